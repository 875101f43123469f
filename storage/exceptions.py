"""Windows reopened for one student or one item (the console's 個別補交 / 個別補認證)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.clock import TAIPEI
from storage.models.console_office import StudentException


def open_exception(
    session: Session,
    kind: str,
    student_id: int,
    academic_year: int,
    semester: int,
    now: datetime,
    outcome_ids: tuple[int, ...] = (),
) -> StudentException | None:
    """The exception that keeps this window open for the student now, if any.

    One granted for the whole student covers every item; one granted for an item covers
    only the items named in outcome_ids (the item itself, or the rejected item it replaces).
    """
    today = now.astimezone(TAIPEI).date()
    scope = StudentException.outcome_id.is_(None)
    if outcome_ids:
        scope = or_(scope, StudentException.outcome_id.in_(outcome_ids))
    return session.scalars(
        select(StudentException)
        .where(
            StudentException.kind == kind,
            StudentException.student_id == student_id,
            StudentException.academic_year == academic_year,
            StudentException.semester == semester,
            StudentException.revoked_at.is_(None),
            StudentException.until >= today,
            StudentException.created_at <= now,
            scope,
        )
        .order_by(StudentException.until.desc())
        .limit(1)
    ).first()
