"""Course-consultation records (諮詢紀錄): checked and saved as the consultant entered them,
read back page by page, and the yearly check that every advised class had a group consultation.

Every function takes the caller's session; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.base import ExecutableOption

from rules.school_rules import SchoolRules
from school.consultants import advised_classes, assignments
from school.records import RecordError
from storage.clock import academic_year_of, taipei_date
from storage.models.portfolio import AuditEntry, FileRecord
from storage.models.records import (
    GROUP,
    INDIVIDUAL,
    Consultation,
    ConsultationFile,
    ConsultationStudent,
)
from storage.models.school import SchoolClass, Staff, Student

CONTENT_LIMIT: Final = 150
PLACE_LIMIT: Final = 50
MAX_ATTACHMENTS: Final = 5
KINDS: Final = (GROUP, INDIVIDUAL)


@dataclass(frozen=True)
class TermOf:
    academic_year: int
    semester: int


def term_of(rules: SchoolRules, when: datetime) -> TermOf:
    """The semester a consultation belongs to: the school's calendar, else Aug-Jan / Feb-Jul."""
    semester = rules.semester_at(when) or rules.current_semester(when)
    day = taipei_date(when)
    if semester is not None and semester.academic_year == academic_year_of(day):
        return TermOf(semester.academic_year, semester.number)
    return TermOf(academic_year_of(day), 1 if day.month >= 8 or day.month == 1 else 2)


@dataclass
class ConsultationInput:
    """What a consultant entered; checked as a whole by save_consultation."""

    kind: str
    student_ids: list[int]
    starts_at: datetime
    ends_at: datetime
    place: str
    content: str
    class_id: int | None = None  # set when the whole class took part
    file_ids: list[int] = field(default_factory=list)


def check_consultation(
    session: Session, consultant_id: int, entry: ConsultationInput
) -> list[Student]:
    """The students of the record, or RecordError naming the first problem."""
    if entry.kind not in KINDS:
        raise RecordError("kind")
    ids = list(dict.fromkeys(entry.student_ids))
    if not ids:
        raise RecordError("no_students")
    if entry.kind == INDIVIDUAL and len(ids) != 1:
        raise RecordError("individual_one")
    students = list(session.scalars(select(Student).where(Student.id.in_(ids))))
    if len(students) != len(ids):
        raise RecordError("no_students")
    advised = {c.id for c in advised_classes(session, consultant_id)}
    for student in students:
        if student.class_id not in advised:
            raise RecordError("not_advised", name=student.name, no=student.student_no)
    if entry.class_id is not None and entry.class_id not in advised:
        raise RecordError("not_advised_class")
    if entry.ends_at <= entry.starts_at:
        raise RecordError("end_before_start")
    if not entry.place.strip() or len(entry.place) > PLACE_LIMIT:
        raise RecordError("place")
    if not entry.content.strip() or len(entry.content) > CONTENT_LIMIT:
        raise RecordError("content")
    if len(entry.file_ids) > MAX_ATTACHMENTS:
        raise RecordError("too_many_files", limit=MAX_ATTACHMENTS)
    order = {sid: n for n, sid in enumerate(ids)}
    return sorted(students, key=lambda s: order[s.id])


def save_consultation(
    session: Session,
    rules: SchoolRules,
    consultant_id: int,
    entry: ConsultationInput,
    now: datetime,
    consultation_id: int | None = None,
) -> Consultation:
    """Create a record, or correct the consultant's own (consultation_id); audited either way."""
    students = check_consultation(session, consultant_id, entry)
    if consultation_id is not None:
        record = own_consultation(session, consultant_id, consultation_id)
        if record is None:
            raise RecordError("not_found")
        record.updated_at = now
        action = "consult_corrected"
    else:
        record = Consultation(consultant_id=consultant_id, created_at=now)
        session.add(record)
        action = "consult_recorded"
    term = term_of(rules, entry.starts_at)
    record.kind = entry.kind
    record.class_id = entry.class_id
    record.academic_year, record.semester = term.academic_year, term.semester
    record.starts_at, record.ends_at = entry.starts_at, entry.ends_at
    record.place = entry.place.strip()
    record.content = entry.content.strip()
    wanted = [s.id for s in students]
    kept = [p for p in record.participants if p.student_id in wanted]
    have = {p.student_id for p in kept}
    record.participants = kept + [
        ConsultationStudent(student_id=sid) for sid in wanted if sid not in have
    ]
    old_files = {a.file_id: a for a in record.attachments}
    record.attachments = [
        old_files.get(fid) or ConsultationFile(file_id=fid) for fid in dict.fromkeys(entry.file_ids)
    ]
    for position, attachment in enumerate(record.attachments):
        attachment.position = position
    session.flush()
    session.add(
        AuditEntry(
            at=now,
            action=action,
            item_kind="consultation",
            item_id=record.id,
            actor_staff_id=consultant_id,
            detail=f"students={len(wanted)} files={len(record.attachments)}",
        )
    )
    session.flush()
    return record


def _with_everything() -> tuple[ExecutableOption, ...]:
    return (
        selectinload(Consultation.participants)
        .selectinload(ConsultationStudent.student)
        .selectinload(Student.school_class),
        selectinload(Consultation.attachments).selectinload(ConsultationFile.file),
        selectinload(Consultation.consultant),
        selectinload(Consultation.school_class),
    )


def own_consultation(
    session: Session, consultant_id: int, consultation_id: int
) -> Consultation | None:
    record = session.scalars(
        select(Consultation).options(*_with_everything()).where(Consultation.id == consultation_id)
    ).first()
    return record if record is not None and record.consultant_id == consultant_id else None


def consultations_by(
    session: Session, consultant_id: int, *, offset: int = 0, limit: int = 10
) -> tuple[list[Consultation], int]:
    """A page of the consultant's own records, newest first, and how many there are."""
    total = (
        session.scalar(
            select(func.count())
            .select_from(Consultation)
            .where(Consultation.consultant_id == consultant_id)
        )
        or 0
    )
    rows = session.scalars(
        select(Consultation)
        .options(*_with_everything())
        .where(Consultation.consultant_id == consultant_id)
        .order_by(Consultation.starts_at.desc(), Consultation.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def consultations_of_student(
    session: Session, student_id: int, *, offset: int = 0, limit: int = 10
) -> tuple[list[Consultation], int]:
    """A page of the consultations a student took part in, newest first, and the total."""
    condition = Consultation.id.in_(
        select(ConsultationStudent.consultation_id).where(
            ConsultationStudent.student_id == student_id
        )
    )
    total = session.scalar(select(func.count()).select_from(Consultation).where(condition)) or 0
    rows = session.scalars(
        select(Consultation)
        .options(*_with_everything())
        .where(condition)
        .order_by(Consultation.starts_at.desc(), Consultation.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def consultations_in_year(session: Session, academic_year: int) -> list[Consultation]:
    return list(
        session.scalars(
            select(Consultation)
            .options(*_with_everything())
            .where(Consultation.academic_year == academic_year)
            .order_by(Consultation.starts_at, Consultation.id)
        )
    )


def attachment_records(session: Session, file_ids: Iterable[int]) -> list[FileRecord]:
    ids = list(file_ids)
    if not ids:
        return []
    found = {f.id: f for f in session.scalars(select(FileRecord).where(FileRecord.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


# --- 附表二 四(二): each advised class has a group consultation at least once a year ------------


@dataclass(frozen=True)
class MissingGroupConsultation:
    consultant: Staff
    school_class: SchoolClass


def classes_without_group_consultation(
    session: Session, academic_year: int, consultant_id: int | None = None
) -> list[MissingGroupConsultation]:
    """Advised classes that have had no group consultation this academic year (a group
    consultation of the class, or one that any of its students took part in)."""
    consultants = sorted({a.staff_id for a in assignments(session, consultant_id)})
    met: set[int] = set(
        session.scalars(
            select(Consultation.class_id).where(
                Consultation.kind == GROUP,
                Consultation.academic_year == academic_year,
                Consultation.class_id.is_not(None),
            )
        )
    )
    met.update(
        session.scalars(
            select(Student.class_id)
            .join(ConsultationStudent, ConsultationStudent.student_id == Student.id)
            .join(Consultation, Consultation.id == ConsultationStudent.consultation_id)
            .where(
                Consultation.kind == GROUP,
                Consultation.academic_year == academic_year,
                Student.class_id.is_not(None),
            )
        )
    )
    found = []
    for staff_id in consultants:
        staff = session.get(Staff, staff_id)
        if staff is None:
            continue
        for school_class in advised_classes(session, staff_id):
            if school_class.id not in met:
                found.append(MissingGroupConsultation(staff, school_class))
    return found
