"""Certification of course outcomes (placeholder until the certification feature lands)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage.models.portfolio import PENDING, AuditEntry, CourseOutcome


def submit(session: Session, outcome: CourseOutcome, now: datetime) -> None:
    """A student sent the item: it waits for its certifier (the course teacher for now)."""
    outcome.status = PENDING
    outcome.submitted_at = now
    outcome.certifier_id = outcome.course.teacher_id if outcome.course else None
    outcome.certifier_capacity = "teacher"
    session.add(AuditEntry(at=now, action="submit", item_kind="outcome", item_id=outcome.id,
                           student_id=outcome.student_id, actor_student_id=outcome.student_id))
