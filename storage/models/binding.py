"""One-time binding codes and the wrong tries counted against a LINE account."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base, UtcDateTime


class BindingCode(Base):
    """A printed slip's code; only its keyed hash is stored, so a database leak binds nobody."""

    __tablename__ = "binding_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # student, staff, guardian
    student_id: Mapped[Optional[int]] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    guardian_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("guardians.id", ondelete="CASCADE")
    )
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    used_by: Mapped[Optional[str]] = mapped_column(String(64))
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())


class BindAttempt(Base):
    """A wrong code sent by a LINE account; five in an hour lock the account out for an hour."""

    __tablename__ = "bind_attempts"
    __table_args__ = (Index("ix_bind_attempts_user_at", "line_user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
