"""The daily tally of bytes each person sends the bot, for the per-student cap."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.clock import taipei_date
from storage.models.line import LineAccount
from storage.models.security import UploadUsage

KEEP_DAYS = 7


def who_of(account: LineAccount | None) -> str | None:
    """Whose tally an upload counts against: the student, else the bound account; None if
    nobody is bound (such accounts cannot upload)."""
    if account is None or account.id is None:
        return None
    if account.student_id is not None:
        return f"student:{account.student_id}"
    return f"account:{account.id}"


def used_today(session: Session, who: str, now: datetime) -> int:
    row = session.get(UploadUsage, (who, taipei_date(now)))
    return int(row.bytes) if row is not None else 0


def charge(session: Session, who: str, now: datetime, size: int) -> None:
    """Add size bytes to today's tally (the caller holds the person's event lock)."""
    if size <= 0:
        return
    day = taipei_date(now)
    row = session.scalars(
        select(UploadUsage).where(UploadUsage.who == who, UploadUsage.day == day).with_for_update()
    ).first()
    if row is None:
        session.add(UploadUsage(who=who, day=day, bytes=size))
    else:
        row.bytes = int(row.bytes) + size
    session.flush()


def purge(session: Session, now: datetime) -> int:
    """Forget tallies older than a week."""
    cutoff = taipei_date(now) - timedelta(days=KEEP_DAYS)
    result = session.execute(delete(UploadUsage).where(UploadUsage.day < cutoff))
    return int(result.rowcount or 0)
