"""LINE accounts, the durable webhook inbox and the outbox of every message sent."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base, UtcDateTime

# Inbox states.
PENDING = "pending"
DONE = "done"
IGNORED = "ignored"  # stored but never answered (standby mode)
DEAD = "dead"

# Outbox states.
SENT = "sent"
HELD = "held"  # waiting for quiet hours or the monthly budget
# A sender has taken the row and is talking to LINE; the claim lapses at next_attempt_at.
SENDING = "sending"


class LineAccount(Base):
    """A LINE user and, once bound, the one person they are."""

    __tablename__ = "line_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    followed: Mapped[bool] = mapped_column(default=True)
    language: Mapped[Optional[str]] = mapped_column(String(16))
    student_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("students.id", ondelete="SET NULL")
    )
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    guardian_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("guardians.id", ondelete="SET NULL")
    )
    bound_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    @property
    def is_bound(self) -> bool:
        return any(x is not None for x in (self.student_id, self.staff_id, self.guardian_id))


class InboxEvent(Base):
    """One webhook event, stored once whatever LINE redelivers."""

    __tablename__ = "inbox_events"
    __table_args__ = (Index("ix_inbox_pending_user", "status", "source_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16), default="active")
    source_id: Mapped[Optional[str]] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    is_redelivery: Mapped[bool] = mapped_column(default=False)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    enqueued_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    processed_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())


class OutboxMessage(Base):
    """A message on its way to LINE; recorded before the first attempt, so cost can be counted."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # reply, push or multicast; a reply may turn into a push when its token is stale.
    kind: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[list[Any]]
    purpose: Mapped[str] = mapped_column(String(48))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    messages: Mapped[list[Any]]
    reply_token: Mapped[Optional[str]] = mapped_column(String(128))
    reply_deadline: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    inbox_event_id: Mapped[Optional[int]] = mapped_column(ForeignKey("inbox_events.id"))
    retry_key: Mapped[str] = mapped_column(String(36), default=lambda: str(uuid.uuid4()))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    sent_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    sent_as: Mapped[Optional[str]] = mapped_column(String(16))
    # Messages counted against the monthly quota (recipients of a push or multicast; 0 for replies).
    cost: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[Optional[str]] = mapped_column(Text)
    line_request_id: Mapped[Optional[str]] = mapped_column(String(64))
