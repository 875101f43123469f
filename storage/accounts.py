"""LINE accounts: find or create the row for a LINE user."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models.line import LineAccount


def find(session: Session, line_user_id: str) -> LineAccount | None:
    return session.scalars(
        select(LineAccount).where(LineAccount.line_user_id == line_user_id)
    ).first()


def ensure(session: Session, line_user_id: str, now: datetime) -> LineAccount:
    account = find(session, line_user_id)
    if account is None:
        account = LineAccount(line_user_id=line_user_id, created_at=now, followed=True)
        session.add(account)
        session.flush()
    account.last_seen_at = now
    return account
