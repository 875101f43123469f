"""Conversation state stores behind one narrow interface: SQL (the default) and Redis."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from storage.models.conversation import ConversationRow


@dataclass
class Conversation:
    line_user_id: str
    flow: str
    state: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    @property
    def history(self) -> list[str]:
        return self.data.setdefault("_history", [])


class ConversationStore(Protocol):
    def load(self, line_user_id: str) -> Conversation | None: ...

    def save(self, conv: Conversation, now: datetime, ttl: timedelta) -> None: ...

    def clear(self, line_user_id: str) -> None: ...


class SqlConversationStore:
    """Rows in the caller's session: saved in the same transaction as the step's effects."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def load(self, line_user_id: str) -> Conversation | None:
        row = self.session.get(ConversationRow, line_user_id)
        if row is None:
            return None
        return Conversation(
            row.line_user_id,
            row.flow,
            row.state,
            json.loads(json.dumps(row.data)),
            row.updated_at,
            row.expires_at,
        )

    def save(self, conv: Conversation, now: datetime, ttl: timedelta) -> None:
        row = self.session.get(ConversationRow, conv.line_user_id)
        if row is None:
            row = ConversationRow(line_user_id=conv.line_user_id)
            self.session.add(row)
        row.flow = conv.flow
        row.state = conv.state
        row.data = json.loads(json.dumps(conv.data))
        row.updated_at = now
        row.expires_at = now + ttl
        conv.updated_at, conv.expires_at = row.updated_at, row.expires_at

    def clear(self, line_user_id: str) -> None:
        row = self.session.get(ConversationRow, line_user_id)
        if row is not None:
            self.session.delete(row)


class RedisConversationStore:
    """The same contract on Redis, for deployments that keep chat state there.

    Expiry is the engine's (it offers to resume a draft after a timeout), so the Redis key
    outlives it by a margin instead of vanishing at the timeout.
    """

    KEEP_AFTER_EXPIRY = timedelta(days=30)

    def __init__(self, redis: Any, prefix: str = "portfolio:conv:") -> None:
        self.redis = redis
        self.prefix = prefix

    def load(self, line_user_id: str) -> Conversation | None:
        raw = self.redis.get(self.prefix + line_user_id)
        if raw is None:
            return None
        data = json.loads(raw)
        return Conversation(
            line_user_id,
            data["flow"],
            data["state"],
            data["data"],
            datetime.fromisoformat(data["updated_at"]),
            datetime.fromisoformat(data["expires_at"]),
        )

    def save(self, conv: Conversation, now: datetime, ttl: timedelta) -> None:
        conv.updated_at, conv.expires_at = now, now + ttl
        payload = {
            "flow": conv.flow,
            "state": conv.state,
            "data": conv.data,
            "updated_at": now.isoformat(),
            "expires_at": conv.expires_at.isoformat(),
        }
        self.redis.set(
            self.prefix + conv.line_user_id,
            json.dumps(payload),
            ex=int((ttl + self.KEEP_AFTER_EXPIRY).total_seconds()),
        )

    def clear(self, line_user_id: str) -> None:
        self.redis.delete(self.prefix + line_user_id)
