"""The web console: sign-in links, browser sessions, its audit log and per-account rate counts."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base, UtcDateTime


class ConsoleLink(Base):
    """A single-use sign-in link; only the token's hash is kept, so the table signs nobody in."""

    __tablename__ = "console_links"
    __table_args__ = (Index("ix_console_links_staff_created", "staff_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    # The LINE account that asked for it (None for a link printed by the CLI at set-up).
    line_account_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("line_accounts.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())


class ConsoleSession(Base):
    """A signed-in browser; the cookie holds a random token whose hash is stored here."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_staff", "staff_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    line_account_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("line_accounts.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    # signed_out, unbound, no_role, idle, expired
    end_reason: Mapped[Optional[str]] = mapped_column(String(16))


class ConsoleAudit(Base):
    """Every change made in the console: who, what, when, and the counts before and after."""

    __tablename__ = "console_audit"
    __table_args__ = (Index("ix_console_audit_office_at", "office", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    # The office that owns the change (who may read it), e.g. 註冊組.
    office: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[Optional[str]] = mapped_column(Text)
    before_count: Mapped[Optional[int]] = mapped_column(Integer)
    after_count: Mapped[Optional[int]] = mapped_column(Integer)


class ConsoleHit(Base):
    """One rate-limited act (a sign-in link asked for, a file uploaded) by one staff member."""

    __tablename__ = "console_hits"
    __table_args__ = (Index("ix_console_hits_staff_action_at", "staff_id", "action", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
