"""What a handler or flow step gets: the session, the time, who is talking, a way to answer."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from rules.school_rules import SchoolRules
from storage.clock import Clock
from storage.files import FileStore
from storage.models.line import LineAccount
from storage.outbox import NORMAL, Outbox


class ContentSource(Protocol):
    """LINE's content endpoint, as the flows see it (the LINE seam implements it)."""

    def content(
        self, message_id: str
    ) -> AbstractContextManager[tuple[int, str | None, Iterator[bytes]]]: ...

    def content_ready(self, message_id: str) -> str: ...


class FlowStarter(Protocol):
    """What starts a conversation (the front desk implements it)."""

    def start_flow(self, ctx: Ctx, flow: str, **args: object) -> None: ...


@dataclass
class Ctx:
    session: Session
    clock: Clock
    now: datetime
    outbox: Outbox
    rules: SchoolRules
    files: FileStore
    secret_key: str
    public_base_url: str
    line_user_id: str | None = None
    account: LineAccount | None = None
    reply_token: str | None = None
    event_time: datetime | None = None
    inbox_event_id: int | None = None
    content_source: ContentSource | None = None
    # Waits while LINE prepares content; tests pass a no-op so nothing ever sleeps.
    sleep: Callable[[float], None] = time.sleep
    # Limits against abuse (Settings.upload_bytes_per_day, Settings.bind_tries_per_hour).
    upload_bytes_per_day: int = 200 * 1024 * 1024
    bind_tries_per_hour: int = 200
    replies: list[dict[str, Any]] = field(default_factory=list)
    reply_purpose: str = "reply"
    # The desk handling this event (set by FrontDesk.handle): flows start one another through it.
    desk: FlowStarter | None = None

    def reply(self, *messages: dict[str, Any], purpose: str | None = None) -> None:
        """Queue an answer to the current event; sent together when the handler is done."""
        self.replies.extend(messages)
        if purpose:
            self.reply_purpose = purpose

    def start_flow(self, flow: str, **args: object) -> None:
        """Start a conversation for the person talking, replacing any open one."""
        if self.desk is None:
            raise RuntimeError("start_flow needs the desk that is handling this event")
        self.desk.start_flow(self, flow, **args)

    def push(
        self, to: str, messages: list[dict[str, Any]], purpose: str, priority: str = NORMAL
    ) -> None:
        self.outbox.push(to, messages, purpose, priority)

    def flush_replies(self) -> None:
        if self.replies and self.line_user_id:
            self.outbox.reply(
                self.line_user_id,
                self.reply_token,
                self.event_time,
                self.replies,
                self.reply_purpose,
                inbox_event_id=self.inbox_event_id,
            )
        self.replies = []
