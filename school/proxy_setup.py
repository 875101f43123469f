"""The parts of the certification proxy chain staff name (rule 四): a course's successor teacher
(接任教師) and a subject convener's designee, listed for the console's 認證 page; setting them is
school.certification's set_successor and set_convener, as `portfolio certify` does."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models.certification import CourseSuccessor, SubjectConvener
from storage.models.school import Course, SchoolClass, Staff, Term


@dataclass(frozen=True)
class CourseChoice:
    course_id: int
    label: str  # term, subject, class and code, as staff pick it from a list
    teacher: str
    successor: str | None


def courses(session: Session, academic_year: int | None = None) -> list[CourseChoice]:
    """The courses of a year (every year with None), with their teacher and successor."""
    names = {s.id: s.name for s in session.scalars(select(Staff))}
    successors = {
        row.course_id: row.successor_id for row in session.scalars(select(CourseSuccessor))
    }
    query = (
        select(Course, Term, SchoolClass.code)
        .join(Term, Term.id == Course.term_id)
        .outerjoin(SchoolClass, SchoolClass.id == Course.class_id)
        .order_by(Term.academic_year.desc(), Term.semester.desc(), Course.subject, SchoolClass.code)
    )
    if academic_year is not None:
        query = query.where(Term.academic_year == academic_year)
    out = []
    for course, term, class_code in session.execute(query):
        successor = successors.get(course.id)
        out.append(
            CourseChoice(
                course.id,
                f"{term.label} {course.subject} {class_code or ''} ({course.code})".replace(
                    "  ", " "
                ),
                names.get(course.teacher_id or 0, "—"),
                names.get(successor, "—") if successor is not None else None,
            )
        )
    return out


def subjects(session: Session) -> list[str]:
    """Every subject a convener may head: those of the courses, and those already headed."""
    found = set(session.scalars(select(Course.subject).distinct()))
    found |= set(session.scalars(select(SubjectConvener.subject)))
    return sorted(found)
