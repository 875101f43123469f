"""Progress views counted as everywhere else: a homeroom class per student, and per course for
supervision (附表二 五 督導)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rules.model import COURSE_OUTCOME
from rules.school_rules import SchoolRules
from school import certification
from school.item_counts import NOT_UPLOADS, SUPERSEDED, current_state, superseded_ids, tallies
from storage.clock import taipei_date
from storage.models.portfolio import (
    CERTIFIED,
    PENDING,
    REJECTED,
    CourseOutcome,
)
from storage.models.school import (
    Course,
    Enrolment,
    Student,
    Term,
)


@dataclass(frozen=True)
class StudentProgress:
    """A homeroom row: one student's course outcomes of the semester by current state."""

    student: Student
    uploaded: int
    pending: int
    certified: int
    rejected: int
    counted: int = 0
    limit: int | None = None


def class_progress(
    session: Session, rules: SchoolRules, class_id: int, academic_year: int, semester: int
) -> list[StudentProgress]:
    """Per student of the class, this semester's course outcomes, counted as everywhere else."""
    students = list(
        session.scalars(
            select(Student)
            .where(Student.class_id == class_id, Student.status == "在學")
            .order_by(Student.seat_no, Student.student_no)
        )
    )
    found = tallies(
        session, rules, COURSE_OUTCOME, [s.id for s in students], academic_year, semester
    )
    return [
        StudentProgress(
            s,
            found[s.id].uploaded,
            found[s.id].pending,
            found[s.id].certified,
            found[s.id].rejected,
            found[s.id].counted,
            found[s.id].limit,
        )
        for s in students
    ]


@dataclass(frozen=True)
class CourseProgress:
    """One course's outcomes this semester: who has uploaded, and items by current state."""

    course: Course
    enrolled: int
    uploaded_students: int
    pending: int
    certified: int
    rejected: int

    @property
    def missing(self) -> int:
        return self.enrolled - self.uploaded_students


def course_progress(
    session: Session, courses: Iterable[Course], academic_year: int, semester: int
) -> list[CourseProgress]:
    listed = sorted(
        courses,
        key=lambda c: (c.subject, c.school_class.code if c.school_class else "", c.code, c.id),
    )
    ids = [c.id for c in listed]
    rows = list(
        session.execute(
            select(
                CourseOutcome.id,
                CourseOutcome.course_id,
                CourseOutcome.student_id,
                CourseOutcome.status,
                CourseOutcome.replaces_id,
            ).where(
                CourseOutcome.course_id.in_(ids or [0]),
                CourseOutcome.academic_year == academic_year,
                CourseOutcome.semester == semester,
            )
        )
    )
    gone = superseded_ids(rows)
    enrolled: dict[int, int] = dict(
        session.execute(
            select(Enrolment.course_id, func.count())
            .where(Enrolment.course_id.in_(ids or [0]))
            .group_by(Enrolment.course_id)
        ).all()
    )
    states: dict[int, dict[str, int]] = {i: {} for i in ids}
    students: dict[int, set[int]] = {i: set() for i in ids}
    for r in rows:
        state = current_state(r.status, r.id in gone)
        if state in NOT_UPLOADS or state == SUPERSEDED:
            continue
        states[r.course_id][state] = states[r.course_id].get(state, 0) + 1
        students[r.course_id].add(r.student_id)
    return [
        CourseProgress(
            c,
            enrolled.get(c.id, 0),
            len(students[c.id]),
            states[c.id].get(PENDING, 0),
            states[c.id].get(CERTIFIED, 0),
            states[c.id].get(REJECTED, 0),
        )
        for c in listed
    ]


def term_courses(session: Session, academic_year: int, semester: int) -> list[Course]:
    return list(
        session.scalars(
            select(Course)
            .join(Term, Term.id == Course.term_id)
            .where(Term.academic_year == academic_year, Term.semester == semester)
        )
    )


def convened_courses(
    session: Session, staff_id: int, academic_year: int, semester: int, now: datetime
) -> list[Course]:
    """The semester's courses whose subject this person convenes (or certifies for, named by
    the convener): the chain of rule 七 decides, as it does for certification."""
    book = certification.ChainBook(session, taipei_date(now))
    found = []
    for course in term_courses(session, academic_year, semester):
        convener = book.convener_for(course)
        if convener is not None and staff_id in convener:
            found.append(course)
    return found


def taught_courses(
    session: Session, staff_id: int, academic_year: int, semester: int
) -> list[Course]:
    return [c for c in term_courses(session, academic_year, semester) if c.teacher_id == staff_id]
