"""A student's 多元表現: drafts with their proof, saving and withdrawing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.model import PERFORMANCE
from rules.school_rules import SchoolRules
from school.draft_files import PERFORMANCE_DRAFT, clear_pages
from school.item_counts import room
from school.items import ItemError, Submitted, lock_student, term_of
from school.terms import TermRef, check_window_for
from storage.models.portfolio import (
    DRAFT,
    SUBMITTED,
    WITHDRAWN,
    AuditEntry,
    FileRecord,
    Performance,
    PerformanceFile,
)
from storage.models.school import (
    Student,
)


def own_performance(session: Session, student_id: int, performance_id: int) -> Performance | None:
    performance = session.get(Performance, performance_id)
    if performance is None or performance.student_id != student_id:
        return None
    return performance


def draft_performances(session: Session, student_id: int) -> list[Performance]:
    return list(
        session.scalars(
            select(Performance)
            .where(Performance.student_id == student_id, Performance.status == DRAFT)
            .order_by(Performance.id)
        )
    )


def create_performance_draft(
    session: Session, student_id: int, record_type: str, term: TermRef, now: datetime
) -> Performance:
    performance = Performance(
        student_id=student_id,
        academic_year=term.academic_year,
        semester=term.semester,
        record_type=record_type,
        fields={},
        summary="",
        status=DRAFT,
        created_at=now,
    )
    session.add(performance)
    session.flush()
    return performance


def add_proof(session: Session, performance: Performance, record: FileRecord) -> PerformanceFile:
    position = max((p.position for p in performance.proofs), default=0) + 1
    proof = PerformanceFile(file_id=record.id, position=position)
    performance.proofs.append(proof)
    session.flush()
    return proof


def discard_performance_draft(session: Session, performance: Performance) -> None:
    if performance.status != DRAFT:
        raise ItemError("not_draft")
    clear_pages(session, PERFORMANCE_DRAFT, performance.id)
    session.delete(performance)
    session.flush()


def submit_performance(
    session: Session, rules: SchoolRules, performance_id: int, now: datetime
) -> Submitted:
    """Save a 多元表現 for good, if the window and both limits still allow it."""
    performance = session.get(Performance, performance_id)
    if performance is None:
        return Submitted(False, "not_draft")
    lock_student(session, performance.student_id)
    session.refresh(performance)
    if performance.status != DRAFT or performance.edits_id is not None:
        # An edit of a saved item is saved onto it (school.performance_edits), never as a new one.
        return Submitted(False, "not_draft")
    if not performance.summary.strip():
        return Submitted(False, "no_summary")
    student = session.get(Student, performance.student_id)
    term = term_of(performance)
    window = check_window_for(
        session,
        rules,
        PERFORMANCE,
        term,
        performance.student_id,
        student.grade if student else None,
        now,
    )
    if not window.open:
        return Submitted(False, "window", window=window)
    usage = room(
        session, rules, PERFORMANCE, performance.student_id, term, exclude={performance.id}
    )
    if usage.full_scope is not None:
        return Submitted(False, "limit", window=window, room=usage)
    performance.status = SUBMITTED
    performance.submitted_at = now
    clear_pages(session, PERFORMANCE_DRAFT, performance.id)
    session.add(
        AuditEntry(
            at=now,
            action="submit",
            item_kind="performance",
            item_id=performance.id,
            student_id=performance.student_id,
            actor_student_id=performance.student_id,
        )
    )
    session.flush()
    return Submitted(True, window=window, room=usage, number=usage.semester.used + 1)


def withdraw_performance(
    session: Session, student_id: int, performance_id: int, now: datetime
) -> Performance:
    """Take back a saved 多元表現 (not once picked for the central database)."""
    lock_student(session, student_id)
    performance = session.get(
        Performance, performance_id, with_for_update=True, populate_existing=True
    )
    if performance is None or performance.student_id != student_id or performance.entered_by_staff:
        raise ItemError("not_found")
    if performance.picked_at is not None:
        raise ItemError("picked")
    if performance.status != SUBMITTED:
        raise ItemError(performance.status)
    performance.status = WITHDRAWN
    _drop_edits(session, performance.id)
    session.add(
        AuditEntry(
            at=now,
            action="withdraw",
            item_kind="performance",
            item_id=performance.id,
            student_id=student_id,
            actor_student_id=student_id,
        )
    )
    session.flush()
    return performance


def _drop_edits(session: Session, performance_id: int) -> None:
    """An edit still open of a withdrawn 多元表現 has nothing left to change."""
    for draft in session.scalars(
        select(Performance).where(
            Performance.edits_id == performance_id, Performance.status == DRAFT
        )
    ):
        clear_pages(session, PERFORMANCE_DRAFT, draft.id)
        session.delete(draft)
    session.flush()
