"""What a teacher sees in the console: the items waiting for their certification, their courses'
items, and (for a 導師) every item of their class of both kinds. Each list is one query."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from storage.models.portfolio import DRAFT, PENDING, CourseOutcome, Performance
from storage.models.school import Course, Student


@dataclass(frozen=True)
class ItemRow:
    kind: str  # "outcome" or "performance"
    id: int
    version: int
    student: str  # "101-03 張家豪"
    what: str  # the subject, or the record type
    summary: str
    status: str
    file_ids: tuple[int, ...]
    reject_reason: str | None = None


def _outcome_row(o: CourseOutcome) -> ItemRow:
    files = tuple(i for i in (o.document_file_id, o.video_file_id) if i)
    student = f"{o.student.class_seat} {o.student.name}" if o.student else ""
    return ItemRow(
        "outcome",
        o.id,
        o.certify_version,
        student,
        o.course.subject if o.course else "",
        o.summary,
        o.status,
        files,
        o.reject_reason,
    )


def _outcomes(session: Session, *where: object) -> list[CourseOutcome]:
    return list(
        session.scalars(
            select(CourseOutcome)
            .where(CourseOutcome.status != DRAFT, *where)
            .options(
                joinedload(CourseOutcome.student).joinedload(Student.school_class),
                joinedload(CourseOutcome.course),
            )
            .order_by(CourseOutcome.id)
        ).unique()
    )


def waiting_for(session: Session, staff_id: int) -> list[ItemRow]:
    """Items this person is the certifier of now (as teacher, successor or convener)."""
    return [
        _outcome_row(o)
        for o in _outcomes(
            session, CourseOutcome.status == PENDING, CourseOutcome.certifier_id == staff_id
        )
    ]


def course_items(
    session: Session, staff_id: int, academic_year: int, semester: int
) -> list[ItemRow]:
    courses = select(Course.id).where(Course.teacher_id == staff_id)
    return [
        _outcome_row(o)
        for o in _outcomes(
            session,
            CourseOutcome.course_id.in_(courses),
            CourseOutcome.academic_year == academic_year,
            CourseOutcome.semester == semester,
        )
    ]


def class_items(
    session: Session, class_ids: Collection[int], academic_year: int, semester: int
) -> list[ItemRow]:
    """Both kinds for the 導師's classes, course outcomes first."""
    if not class_ids:
        return []
    students = select(Student.id).where(Student.class_id.in_(list(class_ids)))
    rows = [
        _outcome_row(o)
        for o in _outcomes(
            session,
            CourseOutcome.student_id.in_(students),
            CourseOutcome.academic_year == academic_year,
            CourseOutcome.semester == semester,
        )
    ]
    performances = session.scalars(
        select(Performance)
        .where(
            Performance.student_id.in_(students),
            Performance.status != DRAFT,
            Performance.academic_year == academic_year,
            Performance.semester == semester,
        )
        .options(
            joinedload(Performance.student).joinedload(Student.school_class),
            joinedload(Performance.proofs),
        )
        .order_by(Performance.id)
    ).unique()
    for p in performances:
        student = f"{p.student.class_seat} {p.student.name}" if p.student else ""
        rows.append(
            ItemRow(
                "performance",
                p.id,
                0,
                student,
                p.record_type,
                p.summary,
                p.status,
                tuple(f.file_id for f in p.proofs),
            )
        )
    return rows
