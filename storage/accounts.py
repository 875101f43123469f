"""LINE accounts: find or create the row for a LINE user."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models.line import LineAccount

# last_seen_at is written at most this often: an hour says enough, and a chat message does not
# write the account on every event.
SEEN_EVERY = timedelta(hours=1)


def find(session: Session, line_user_id: str) -> LineAccount | None:
    return session.scalars(
        select(LineAccount).where(LineAccount.line_user_id == line_user_id)
    ).first()


def ensure(
    session: Session, line_user_id: str, now: datetime, known: LineAccount | None = None
) -> LineAccount:
    """The user's account, created on first contact. known: the row if the caller has it."""
    account = known if known is not None and known.line_user_id == line_user_id else None
    if account is None:
        account = find(session, line_user_id)
    if account is None:
        account = LineAccount(line_user_id=line_user_id, created_at=now, followed=True)
        session.add(account)
        session.flush()
    if account.last_seen_at is None or now - account.last_seen_at >= SEEN_EVERY:
        account.last_seen_at = now
    return account
