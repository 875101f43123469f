"""A student's course outcomes (課程學習成果): drafts, replacing a rejected one, sending for
certification and withdrawing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rules.model import COURSE_OUTCOME
from rules.school_rules import SchoolRules
from school import certification
from school.draft_files import OUTCOME_DRAFT, clear_pages
from school.item_counts import room
from school.items import ItemError, Submitted, lock_student, term_of
from school.terms import TermRef, check_window_for
from storage.models.portfolio import (
    DRAFT,
    PENDING,
    REJECTED,
    WITHDRAWN,
    AuditEntry,
    CourseOutcome,
)
from storage.models.school import (
    Course,
    Student,
)


def draft_outcomes(session: Session, student_id: int) -> list[CourseOutcome]:
    return list(
        session.scalars(
            select(CourseOutcome)
            .where(CourseOutcome.student_id == student_id, CourseOutcome.status == DRAFT)
            .order_by(CourseOutcome.id)
        )
    )


def create_outcome_draft(
    session: Session,
    student_id: int,
    course: Course,
    term: TermRef,
    now: datetime,
    replaces: CourseOutcome | None = None,
) -> CourseOutcome:
    outcome = CourseOutcome(
        student_id=student_id,
        course_id=course.id,
        academic_year=term.academic_year,
        semester=term.semester,
        summary="",
        status=DRAFT,
        created_at=now,
        replaces_id=replaces.id if replaces is not None else None,
    )
    session.add(outcome)
    session.flush()
    return outcome


def own_outcome(session: Session, student_id: int, outcome_id: int) -> CourseOutcome | None:
    outcome = session.get(CourseOutcome, outcome_id)
    if outcome is None or outcome.student_id != student_id:
        return None
    return outcome


def live_replacement(session: Session, rejected_id: int) -> CourseOutcome | None:
    """The item that replaces a rejected one (a draft or anything sent), if there is one."""
    return session.scalars(
        select(CourseOutcome)
        .where(CourseOutcome.replaces_id == rejected_id, CourseOutcome.status != WITHDRAWN)
        .order_by(CourseOutcome.id.desc())
    ).first()


def check_replaceable(session: Session, student_id: int, outcome_id: int) -> CourseOutcome:
    """The rejected item a student may replace now; ItemError otherwise."""
    rejected = own_outcome(session, student_id, outcome_id)
    if rejected is None:
        raise ItemError("not_found")
    if rejected.status != REJECTED:
        raise ItemError("not_rejected")
    if live_replacement(session, rejected.id) is not None:
        raise ItemError("already_replaced")
    return rejected


def discard_outcome_draft(session: Session, outcome: CourseOutcome) -> None:
    """A draft the student gave up: its pages and the row go (files stay in the store)."""
    if outcome.status != DRAFT:
        raise ItemError("not_draft")
    clear_pages(session, OUTCOME_DRAFT, outcome.id)
    session.delete(outcome)
    session.flush()


def submit_outcome(
    session: Session, rules: SchoolRules, outcome_id: int, now: datetime
) -> Submitted:
    """Send a draft for certification, if the window and the limits still allow it.

    Two submissions racing for the last slot: the per-student lock makes the second wait for
    the first to commit, and the count taken after the lock then sees it, so exactly one wins.
    """
    outcome = session.get(CourseOutcome, outcome_id)
    if outcome is None:
        return Submitted(False, "not_draft")
    lock_student(session, outcome.student_id)
    session.refresh(outcome)
    if outcome.status != DRAFT:
        return Submitted(False, "not_draft")
    if outcome.document_file_id is None and outcome.video_file_id is None:
        return Submitted(False, "no_files")
    if not outcome.summary.strip():
        return Submitted(False, "no_summary")
    student = session.get(Student, outcome.student_id)
    term = term_of(outcome)
    window = check_window_for(
        session,
        rules,
        COURSE_OUTCOME,
        term,
        outcome.student_id,
        student.grade if student else None,
        now,
        tuple(i for i in (outcome.id, outcome.replaces_id) if i is not None),
    )
    if not window.open:
        return Submitted(False, "window", window=window)
    if outcome.replaces_id is not None:
        other = live_replacement(session, outcome.replaces_id)
        if other is not None and other.id != outcome.id:
            return Submitted(False, "replaced")
    usage = room(session, rules, COURSE_OUTCOME, outcome.student_id, term, exclude={outcome.id})
    if usage.full_scope is not None:
        return Submitted(False, "limit", window=window, room=usage)
    certification.submit(session, outcome, now)
    clear_pages(session, OUTCOME_DRAFT, outcome.id)
    session.flush()
    return Submitted(True, window=window, room=usage, number=usage.semester.used + 1)


def withdraw_outcome(
    session: Session, student_id: int, outcome_id: int, now: datetime
) -> CourseOutcome:
    """Take back an item before it is certified; it stops counting.

    A conditional UPDATE on the pending state (bumping certify_version, as every change of an
    item's state does): a certifier's decision racing this withdrawal makes one of them match
    nothing, so both can never take effect.
    """
    lock_student(session, student_id)
    result = session.execute(
        update(CourseOutcome)
        .where(
            CourseOutcome.id == outcome_id,
            CourseOutcome.student_id == student_id,
            CourseOutcome.status == PENDING,
        )
        .values(status=WITHDRAWN, certify_version=CourseOutcome.certify_version + 1)
        .execution_options(synchronize_session=False)
    )
    outcome = session.get(CourseOutcome, outcome_id, populate_existing=True)
    if outcome is None or outcome.student_id != student_id:
        raise ItemError("not_found")
    if getattr(result, "rowcount", 0) != 1:
        raise ItemError(outcome.status)
    session.add(
        AuditEntry(
            at=now,
            action="withdraw",
            item_kind="outcome",
            item_id=outcome.id,
            student_id=student_id,
            actor_student_id=student_id,
        )
    )
    session.flush()
    return outcome
