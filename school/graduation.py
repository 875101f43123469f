"""Marking graduates (rule 九): who graduates, on which day, and undoing a mistaken mark before
the portfolio is sealed. The daily job seals them on their day (school.sealing)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from school.lifecycle import (
    ENROLLED,
    GRADUATED,
    LifecycleError,
    class_by_code,
    not_sealed,
    record_change,
    require_student,
)
from storage.clock import taipei_date
from storage.models.lifecycle import GRADUATE, GRADUATE_CANCELLED, StudentChange
from storage.models.portfolio import PENDING, CourseOutcome
from storage.models.school import Student


def graduation_candidates(
    session: Session,
    grade: int | None = None,
    class_codes: Sequence[str] = (),
    student_nos: Sequence[str] = (),
    except_nos: Sequence[str] = (),
) -> list[Student]:
    """Enrolled students of a grade (roster 1-3 or rules 10-12), classes or numbers."""
    query = select(Student).where(
        Student.status == ENROLLED, Student.sealed_at.is_(None), Student.graduated_on.is_(None)
    )
    if grade is not None:
        query = query.where(Student.grade == (grade - 9 if grade >= 10 else grade))
    if class_codes:
        ids = [class_by_code(session, code).id for code in class_codes]
        query = query.where(Student.class_id.in_(ids))
    if student_nos:
        for number in student_nos:
            student = require_student(session, number)
            if student.status != ENROLLED or student.graduated_on is not None:
                raise LifecycleError("not_enrolled", no=number, status=student.status)
        query = query.where(Student.student_no.in_([n.strip() for n in student_nos]))
    for number in except_nos:
        require_student(session, number)
    query = query.where(Student.student_no.not_in([n.strip() for n in except_nos] or [""]))
    return list(
        session.scalars(query.order_by(Student.class_id, Student.seat_no, Student.student_no))
    )


def with_pending_items(session: Session, students: Sequence[Student]) -> int:
    """How many of these students still have an item waiting for a teacher: sealing withdraws
    it (a graduate's work can no longer be certified), so staff are told before they mark."""
    if not students:
        return 0
    return int(
        session.scalar(
            select(func.count(func.distinct(CourseOutcome.student_id))).where(
                CourseOutcome.student_id.in_([s.id for s in students]),
                CourseOutcome.status == PENDING,
            )
        )
        or 0
    )


def graduate(
    session: Session, now: datetime, students: Iterable[Student], day: date, by: str = ""
) -> list[StudentChange]:
    """Mark graduates; the daily job seals them on `day` (at once if it has come)."""
    changes = []
    today = taipei_date(now)
    for student in students:
        change = record_change(session, student, GRADUATE, day, now, by)
        student.graduated_on = day
        if day <= today:
            student.status = GRADUATED
            change.to_status = GRADUATED
        changes.append(change)
    session.flush()
    return changes


def cancel_graduation(
    session: Session, now: datetime, student: Student, by: str = ""
) -> StudentChange:
    """Undo a graduation marked by mistake, as long as the portfolio is not sealed yet."""
    not_sealed(student)
    if student.graduated_on is None:
        raise LifecycleError("not_graduating", no=student.student_no)
    change = record_change(session, student, GRADUATE_CANCELLED, taipei_date(now), now, by)
    student.graduated_on = None
    student.status = ENROLLED
    change.to_status = ENROLLED
    session.flush()
    return change
