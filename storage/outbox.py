"""The outbox: every message is recorded here, in the same transaction as what caused it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models.line import DEAD, HELD, PENDING, SENDING, SENT, OutboxMessage

# A reply token is good for about a minute; past this age we push instead of risking a 400.
REPLY_TOKEN_FRESH_FOR = timedelta(seconds=50)
MULTICAST_MAX_RECIPIENTS = 500
MAX_MESSAGES_PER_REQUEST = 5
# Delivery attempts before a message is dead-lettered (transient failures only).
MAX_DELIVERY_ATTEMPTS = 8

URGENT = "urgent"
NORMAL = "normal"
LOW = "low"


@dataclass
class Outbox:
    """Collects messages for one unit of work; rows are added to the caller's session."""

    session: Session
    now: datetime
    created: list[int] | None = None
    # Answers to an event are stored already claimed for this long (jobs/delivery.py), when
    # the process that stores them sends them straight after its commit.
    claim_answers_for: timedelta | None = None

    def __post_init__(self) -> None:
        if self.created is None:
            self.created = []

    def _add(self, row: OutboxMessage) -> OutboxMessage:
        self.session.add(row)
        self.session.flush()
        assert self.created is not None
        self.created.append(row.id)
        return row

    def reply(
        self,
        to: str,
        reply_token: str | None,
        event_time: datetime | None,
        messages: list[dict[str, Any]],
        purpose: str,
        inbox_event_id: int | None = None,
    ) -> list[OutboxMessage]:
        """Answer an event: free while the token is fresh, a push otherwise."""
        rows = []
        claimed = self.claim_answers_for is not None and inbox_event_id is not None
        for chunk in _chunks(messages, MAX_MESSAGES_PER_REQUEST):
            deadline = event_time + REPLY_TOKEN_FRESH_FOR if event_time and reply_token else None
            rows.append(
                self._add(
                    OutboxMessage(
                        created_at=self.now,
                        kind="reply" if deadline else "push",
                        recipients=[to],
                        purpose=purpose,
                        priority=URGENT,
                        messages=chunk,
                        reply_token=reply_token if deadline else None,
                        reply_deadline=deadline,
                        inbox_event_id=inbox_event_id,
                        status=SENDING if claimed else PENDING,
                        next_attempt_at=(
                            self.now + self.claim_answers_for
                            if claimed and self.claim_answers_for
                            else self.now
                        ),
                    )
                )
            )
            # A reply token answers one request only; further chunks go as pushes.
            reply_token = None
        return rows

    def push(
        self,
        to: str,
        messages: list[dict[str, Any]],
        purpose: str,
        priority: str = NORMAL,
        not_before: datetime | None = None,
    ) -> list[OutboxMessage]:
        return [
            self._add(
                OutboxMessage(
                    created_at=self.now,
                    kind="push",
                    recipients=[to],
                    purpose=purpose,
                    priority=priority,
                    messages=chunk,
                    status=PENDING,
                    next_attempt_at=not_before or self.now,
                )
            )
            for chunk in _chunks(messages, MAX_MESSAGES_PER_REQUEST)
        ]

    def link_menu(self, to: str, menu: str | None) -> OutboxMessage:
        """Link (or, with None, unlink) a user's rich menu; sent through the seam after commit."""
        return self._add(
            OutboxMessage(
                created_at=self.now,
                kind="richmenu",
                recipients=[to],
                purpose="richmenu",
                priority=URGENT,
                messages=[{"menu": menu}],
                status=PENDING,
                next_attempt_at=self.now,
            )
        )

    def multicast(
        self,
        to: list[str],
        messages: list[dict[str, Any]],
        purpose: str,
        priority: str = NORMAL,
        not_before: datetime | None = None,
    ) -> list[OutboxMessage]:
        """One identical message to many: ⌈n/500⌉ calls to LINE."""
        rows = []
        recipients = sorted(set(to))
        for msg_chunk in _chunks(messages, MAX_MESSAGES_PER_REQUEST):
            for ids in _chunks(recipients, MULTICAST_MAX_RECIPIENTS):
                rows.append(
                    self._add(
                        OutboxMessage(
                            created_at=self.now,
                            kind="multicast" if len(ids) > 1 else "push",
                            recipients=ids,
                            purpose=purpose,
                            priority=priority,
                            messages=msg_chunk,
                            status=PENDING,
                            next_attempt_at=not_before or self.now,
                        )
                    )
                )
        return rows


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or []


def due(session: Session, now: datetime, limit: int = 200) -> list[int]:
    """Rows waiting to be sent, and rows whose sender's claim lapsed (it died mid-send)."""
    return list(
        session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status.in_((PENDING, SENDING)),
                OutboxMessage.next_attempt_at <= now,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


# What a sender needs of a row, returned by the claim itself.
SENDING_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.kind,
    OutboxMessage.purpose,
    OutboxMessage.recipients,
    OutboxMessage.messages,
    OutboxMessage.reply_token,
    OutboxMessage.reply_deadline,
    OutboxMessage.retry_key,
    OutboxMessage.attempts,
    OutboxMessage.next_attempt_at,
)
# Pushes that answer nobody's message: quiet hours hold them.
_UNASKED_PUSH = (
    OutboxMessage.kind.in_(("push", "multicast")),
    OutboxMessage.inbox_event_id.is_(None),
)


def _due(row_id: int, now: datetime) -> tuple[Any, ...]:
    return (
        OutboxMessage.id == row_id,
        OutboxMessage.status.in_((PENDING, SENDING)),
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
    )


def claim(
    session: Session, row_id: int, now: datetime, hold_for: timedelta, *, quiet: bool = False
) -> Any | None:
    """Take a due row for sending until now + hold_for: its SENDING_COLUMNS when this caller
    has it, else None. In quiet hours (quiet=True) a push that answers nobody is not taken.

    One conditional UPDATE, so of two senders (a worker and the sweep, or two threads on
    SQLite) exactly one wins, and nobody holds a transaction open while LINE answers."""
    conditions = list(_due(row_id, now))
    if quiet:
        conditions.append(~(_UNASKED_PUSH[0] & _UNASKED_PUSH[1]))
    return session.execute(
        update(OutboxMessage)
        .where(*conditions)
        .values(status=SENDING, next_attempt_at=now + hold_for)
        .returning(*SENDING_COLUMNS)
        .execution_options(synchronize_session=False)
    ).first()


def renew(
    session: Session, row_id: int, held_until: datetime | None, now: datetime, until: datetime
) -> bool:
    """Keep a claim this caller still holds (it ends at held_until, later than now) until
    `until`; False when it lapsed or another sender has the row since."""
    if held_until is None or held_until <= now:
        return False
    done = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == SENDING,
            OutboxMessage.next_attempt_at == held_until,
        )
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def hold_until(session: Session, row_id: int, now: datetime, until: datetime) -> None:
    """Quiet hours: a due push that answers nobody waits until `until`."""
    session.execute(
        update(OutboxMessage)
        .where(*_due(row_id, now), *_UNASKED_PUSH)
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )


def record(session: Session, row_id: int, values: dict[str, Any]) -> bool:
    """Write what LINE said about a row this caller claimed; False if it is no longer claimed."""
    done = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def sent_cost_between(session: Session, start: datetime, end: datetime) -> int:
    """Quota used: messages counted per recipient for pushes and multicasts."""
    total = session.scalar(
        select(func.coalesce(func.sum(OutboxMessage.cost), 0)).where(
            OutboxMessage.status == SENT,
            OutboxMessage.sent_at >= start,
            OutboxMessage.sent_at < end,
        )
    )
    return int(total or 0)


def dead(session: Session) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == DEAD).order_by(OutboxMessage.id)
        )
    )


# Sent messages (their texts name students) are kept this long for quota counts, then deleted.
KEEP_SENT = timedelta(days=180)


def purge_sent(session: Session, now: datetime) -> int:
    """Delete sent messages older than KEEP_SENT; pending, held and dead ones stay."""
    result = session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status == SENT, OutboxMessage.created_at < now - KEEP_SENT
        )
    )
    return int(result.rowcount or 0)


__all__ = ["Outbox", "due", "sent_cost_between", "dead", "HELD", "SENT", "PENDING", "DEAD"]
