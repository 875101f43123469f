"""Where people stand, counted for the reminders: items per student, pending per certifier."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from school.recipients import ENROLLED
from storage.models.picking import PickConfirmation, ReceiptItem, ReceiptList
from storage.models.portfolio import DRAFT, PENDING, SUBMITTED, CourseOutcome, Performance
from storage.models.school import Course, Student


@dataclass(frozen=True)
class Standing:
    """One student's items in one term: counted toward the limit, and drafts not yet sent."""

    counted: int = 0
    drafts: int = 0
    year_counted: int = 0


def course_outcome_standing(
    session: Session,
    academic_year: int,
    semester: int,
    student_ids: Collection[int],
    counted_states: Collection[str],
) -> dict[int, Standing]:
    if not student_ids:
        return {}
    rows = session.execute(
        select(CourseOutcome.student_id, CourseOutcome.status, func.count())
        .where(
            CourseOutcome.student_id.in_(list(student_ids)),
            CourseOutcome.academic_year == academic_year,
            CourseOutcome.semester == semester,
        )
        .group_by(CourseOutcome.student_id, CourseOutcome.status)
    )
    counted: dict[int, int] = defaultdict(int)
    drafts: dict[int, int] = defaultdict(int)
    for student_id, status, n in rows:
        if status in counted_states:
            counted[student_id] += n
        if status == DRAFT:
            drafts[student_id] += n
    return {sid: Standing(counted[sid], drafts[sid]) for sid in student_ids}


def performance_standing(
    session: Session, academic_year: int, semester: int, student_ids: Collection[int]
) -> dict[int, Standing]:
    """Submitted 多元表現 this semester and this year, and drafts this semester."""
    if not student_ids:
        return {}
    rows = session.execute(
        select(Performance.student_id, Performance.semester, Performance.status, func.count())
        .where(
            Performance.student_id.in_(list(student_ids)),
            Performance.academic_year == academic_year,
        )
        .group_by(Performance.student_id, Performance.semester, Performance.status)
    )
    term: dict[int, int] = defaultdict(int)
    year: dict[int, int] = defaultdict(int)
    drafts: dict[int, int] = defaultdict(int)
    for student_id, sem, status, n in rows:
        if status == SUBMITTED:
            year[student_id] += n
            if sem == semester:
                term[student_id] += n
        elif status == DRAFT and sem == semester:
            drafts[student_id] += n
    return {sid: Standing(term[sid], drafts[sid], year[sid]) for sid in student_ids}


def pending_by_certifier(
    session: Session, academic_year: int, semester: int | None
) -> dict[int, int]:
    """Pending course outcomes per certifier (the item's certifier, else the course teacher)."""
    who = func.coalesce(CourseOutcome.certifier_id, Course.teacher_id)
    query = (
        select(who, func.count())
        .join(Course, Course.id == CourseOutcome.course_id)
        .where(CourseOutcome.status == PENDING, CourseOutcome.academic_year == academic_year)
        .group_by(who)
    )
    if semester is not None:
        query = query.where(CourseOutcome.semester == semester)
    return {staff_id: n for staff_id, n in session.execute(query) if staff_id is not None}


def classes_without_uploads(
    session: Session,
    academic_year: int,
    semester: int,
    class_ids: Collection[int],
    counted_states: Collection[str],
) -> dict[int, int]:
    """Per class: enrolled students with nothing counted this semester."""
    if not class_ids:
        return {}
    has_items = select(CourseOutcome.student_id).where(
        CourseOutcome.academic_year == academic_year,
        CourseOutcome.semester == semester,
        CourseOutcome.status.in_(list(counted_states)),
    )
    rows = session.execute(
        select(Student.class_id, func.count())
        .where(
            Student.class_id.in_(list(class_ids)),
            Student.status == ENROLLED,
            Student.sealed_at.is_(None),
            Student.id.not_in(has_items),
        )
        .group_by(Student.class_id)
    )
    return {class_id: n for class_id, n in rows if class_id is not None}


def unconfirmed_pickers(
    session: Session, academic_year: int, student_ids: Collection[int]
) -> set[int]:
    """Students who have not pressed 確認送出 for the year's picks (or reopened them)."""

    if not student_ids:
        return set()
    confirmed = set(
        session.scalars(
            select(PickConfirmation.student_id).where(
                PickConfirmation.academic_year == academic_year,
                PickConfirmation.confirmed_at.is_not(None),
                PickConfirmation.student_id.in_(list(student_ids)),
            )
        )
    )
    return set(student_ids) - confirmed


def unanswered_receipts(session: Session, academic_year: int) -> dict[int, int]:
    """Per student: received items (收訖明細) of the year not yet answered."""

    rows = session.execute(
        select(ReceiptItem.student_id, func.count())
        .join(ReceiptList, ReceiptList.id == ReceiptItem.list_id)
        .where(
            ReceiptList.academic_year == academic_year,
            ReceiptItem.answer.is_(None),
            ReceiptItem.superseded_at.is_(None),
        )
        .group_by(ReceiptItem.student_id)
    )
    return {student_id: n for student_id, n in rows}
