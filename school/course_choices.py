"""The course choices of a class a consultant advises: per semester, what everyone takes and
what each student takes beyond that."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from school.records import class_students
from storage.models.school import Course, Enrolment, Term


@dataclass
class TermChoices:
    """One semester's enrolments of a class: what everyone takes, and each student's others."""

    academic_year: int
    semester: int
    common: list[str]
    others: dict[int, list[str]]  # student id -> subjects beyond the common ones


def course_choices(session: Session, class_id: int, academic_year: int) -> list[TermChoices]:
    students = class_students(session, class_id)
    ids = [s.id for s in students]
    if not ids:
        return []
    rows = session.execute(
        select(Enrolment.student_id, Term.academic_year, Term.semester, Course.subject, Course.code)
        .join(Course, Course.id == Enrolment.course_id)
        .join(Term, Term.id == Course.term_id)
        .where(Enrolment.student_id.in_(ids), Term.academic_year == academic_year)
        .order_by(Term.semester, Course.subject, Course.code)
    )
    taken: dict[int, dict[int, list[str]]] = {}
    for student_id, _year, semester, subject, _code in rows:
        subjects = taken.setdefault(semester, {}).setdefault(student_id, [])
        if subject not in subjects:
            subjects.append(subject)
    result = []
    for semester in sorted(taken):
        by_student = taken[semester]
        everyone = [set(by_student.get(sid, [])) for sid in ids]
        shared = set.intersection(*everyone) if everyone else set()
        ordered = sorted({s for subjects in by_student.values() for s in subjects})
        common = [s for s in ordered if s in shared]
        others = {sid: [s for s in by_student.get(sid, []) if s not in shared] for sid in ids}
        result.append(
            TermChoices(academic_year, semester, common, {sid: v for sid, v in others.items() if v})
        )
    return result
