"""公告: notices shown to an audience until they expire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from storage.models.schedule import Announcement


def create_announcement(
    session: Session,
    *,
    source: str,
    source_id: int | None,
    audience: dict[str, Any],
    body: str,
    action: str | None,
    action_label: str | None,
    priority: str,
    now: datetime,
    until: datetime,
    created_by: str = "",
) -> Announcement:
    row = Announcement(
        source=source,
        source_id=source_id,
        audience=audience,
        body=body,
        action=action,
        action_label=action_label,
        priority=priority,
        created_at=now,
        until=until,
        created_by=created_by,
    )
    session.add(row)
    session.flush()
    return row


def open_announcements(session: Session, now: datetime) -> list[Announcement]:
    return list(
        session.scalars(
            select(Announcement)
            .where(and_(Announcement.created_at <= now, Announcement.until > now))
            .order_by(Announcement.id)
        )
    )


def recent_announcements(session: Session, limit: int = 5) -> list[Announcement]:
    return list(session.scalars(select(Announcement).order_by(Announcement.id.desc()).limit(limit)))
