"""The school's own records: who a consultant advises, consultation records and their export,
course choices of advised students, and the grade-12 documents (自傳, 學習計畫) with comments.

Every function takes the caller's session; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Final

from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.base import ExecutableOption

from catalogue import text
from media import sheets
from rules.school_rules import SchoolRules
from storage.clock import academic_year_of, taipei, taipei_date
from storage.models.portfolio import AuditEntry, FileRecord
from storage.models.records import (
    GROUP,
    INDIVIDUAL,
    AttendanceRecord,
    ConsultantAssignment,
    Consultation,
    ConsultationFile,
    ConsultationStudent,
    DocumentComment,
    StudentDocument,
)
from storage.models.school import Course, Enrolment, SchoolClass, Staff, Student, Term

CONSULTANT_ROLE: Final = "課程諮詢教師"
COUNSELLING_ROLE: Final = "輔導室"
CONTENT_LIMIT: Final = 150
PLACE_LIMIT: Final = 50
MAX_ATTACHMENTS: Final = 5
KINDS: Final = (GROUP, INDIVIDUAL)
# Students who left (轉出, 畢業 ...) are not offered for new records; their old ones stay.
ACTIVE_STATUS: Final = "在學"


class RecordError(Exception):
    """A change the records do not allow; reason is a short code, values fill its text."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


# --- who a consultant advises -----------------------------------------------------------------


def is_consultant(staff: Staff) -> bool:
    return CONSULTANT_ROLE in staff.role_names


def assignments(session: Session, staff_id: int | None = None) -> list[ConsultantAssignment]:
    query = select(ConsultantAssignment).options(
        selectinload(ConsultantAssignment.staff), selectinload(ConsultantAssignment.school_class)
    )
    if staff_id is not None:
        query = query.where(ConsultantAssignment.staff_id == staff_id)
    return list(
        session.scalars(
            query.order_by(
                ConsultantAssignment.staff_id,
                ConsultantAssignment.grade,
                ConsultantAssignment.class_id,
            )
        )
    )


@dataclass(frozen=True)
class AssignResult:
    created: bool
    assignment: ConsultantAssignment | None


def assign_consultant(
    session: Session,
    staff: Staff,
    now: datetime,
    *,
    school_class: SchoolClass | None = None,
    grade: int | None = None,
    dry_run: bool = False,
) -> AssignResult:
    """Let a consultant advise one class or a whole grade (roster grade 1-3); idempotent."""
    if (school_class is None) == (grade is None):
        raise RecordError("class_or_grade")
    if not is_consultant(staff):
        raise RecordError("not_consultant", no=staff.staff_no, name=staff.name)
    query = select(ConsultantAssignment).where(ConsultantAssignment.staff_id == staff.id)
    if school_class is not None:
        query = query.where(ConsultantAssignment.class_id == school_class.id)
    else:
        query = query.where(ConsultantAssignment.grade == grade)
    existing = session.scalars(query).first()
    if existing is not None:
        return AssignResult(False, existing)
    if dry_run:
        return AssignResult(True, None)
    row = ConsultantAssignment(
        staff_id=staff.id,
        grade=grade,
        created_at=now,
        class_id=school_class.id if school_class else None,
    )
    session.add(row)
    session.flush()
    return AssignResult(True, row)


def unassign_consultant(
    session: Session,
    staff: Staff,
    *,
    school_class: SchoolClass | None = None,
    grade: int | None = None,
    dry_run: bool = False,
) -> int:
    query = select(ConsultantAssignment).where(ConsultantAssignment.staff_id == staff.id)
    if school_class is not None:
        query = query.where(ConsultantAssignment.class_id == school_class.id)
    if grade is not None:
        query = query.where(ConsultantAssignment.grade == grade)
    rows = list(session.scalars(query))
    if not dry_run:
        for row in rows:
            session.delete(row)
        session.flush()
    return len(rows)


def advised_classes(session: Session, staff_id: int) -> list[SchoolClass]:
    """The classes a consultant advises: those named, and every class of the grades named."""
    rows = assignments(session, staff_id)
    class_ids = {r.class_id for r in rows if r.class_id is not None}
    grades = {r.grade for r in rows if r.grade is not None}
    if not class_ids and not grades:
        return []
    conditions = []
    if class_ids:
        conditions.append(SchoolClass.id.in_(sorted(class_ids)))
    if grades:
        conditions.append(SchoolClass.grade.in_(sorted(grades)))
    return list(
        session.scalars(select(SchoolClass).where(or_(*conditions)).order_by(SchoolClass.code))
    )


def advises_class(session: Session, staff_id: int, class_id: int | None) -> bool:
    if class_id is None:
        return False
    return any(c.id == class_id for c in advised_classes(session, staff_id))


def advises_student(session: Session, staff_id: int, student: Student) -> bool:
    return advises_class(session, staff_id, student.class_id)


def class_by_code(session: Session, code: str) -> SchoolClass | None:
    return session.scalars(select(SchoolClass).where(SchoolClass.code == code.strip())).first()


def class_students(session: Session, class_id: int) -> list[Student]:
    """The class's students now in school (not sealed), by seat."""
    return list(
        session.scalars(
            select(Student)
            .where(
                Student.class_id == class_id,
                Student.status == ACTIVE_STATUS,
                Student.sealed_at.is_(None),
            )
            .order_by(Student.seat_no, Student.student_no)
        )
    )


def student_by_no(session: Session, student_no: str) -> Student | None:
    return session.scalars(select(Student).where(Student.student_no == student_no.strip())).first()


# --- consultation records ---------------------------------------------------------------------


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


# The export's columns (staff read them in Excel), from the catalogue as the roster's are.
EXPORT_KIND_NAMES: Final = {
    kind: text(f"records.consult.kind.{kind}") for kind in (GROUP, INDIVIDUAL)
}
EXPORT_COLUMNS: Final = tuple(
    text(f"records.export.col.{key}")
    for key in (
        "id",
        "academic_year",
        "semester",
        "date",
        "start",
        "end",
        "kind",
        "classes",
        "student_count",
        "student_nos",
        "student_names",
        "place",
        "content",
        "attachments",
        "consultant",
        "staff_no",
        "created_at",
        "updated_at",
    )
)
EXPORT_STUDENT_COLUMNS: Final = tuple(
    text(f"records.export.student_col.{key}")
    for key in (
        "id",
        "date",
        "student_no",
        "name",
        "class",
        "seat",
        "kind",
        "consultant",
    )
)
EXPORT_SHEET: Final = text("records.export.sheet")
EXPORT_STUDENT_SHEET: Final = text("records.export.student_sheet")


def _stamp(when: datetime | None) -> str:
    if when is None:
        return ""
    local = taipei(when)
    return f"{local:%Y-%m-%d %H:%M}"


def _classes_of(record: Consultation) -> str:
    if record.school_class is not None:
        return text("records.export.whole_class", code=record.school_class.code)
    codes = dict.fromkeys(
        p.student.school_class.code
        for p in record.participants
        if p.student.school_class is not None
    )
    return "、".join(codes)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    records: int
    rows: int


def export_consultations(session: Session, academic_year: int, out: Path) -> ExportResult:
    """Every consultation of the year as an .xlsx: one row per record, one per student."""
    records = consultations_in_year(session, academic_year)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = EXPORT_SHEET
    sheets.append_row(sheet, EXPORT_COLUMNS)
    people = book.create_sheet(EXPORT_STUDENT_SHEET)
    sheets.append_row(people, EXPORT_STUDENT_COLUMNS)
    rows = 0
    for record in records:
        start, end = taipei(record.starts_at), taipei(record.ends_at)
        students = [p.student for p in record.participants]
        files = "、".join(
            a.file.display_name
            or text("records.export.attachment", sha=a.file.sha256[:12], mime=a.file.mime)
            for a in record.attachments
        )
        kind = EXPORT_KIND_NAMES.get(record.kind, record.kind)
        sheets.append_row(
            sheet,
            [
                record.id,
                record.academic_year,
                record.semester,
                f"{start:%Y-%m-%d}",
                f"{start:%H:%M}",
                f"{end:%H:%M}",
                kind,
                _classes_of(record),
                len(students),
                "、".join(s.student_no for s in students),
                "、".join(s.name for s in students),
                record.place,
                record.content,
                files,
                record.consultant.name,
                record.consultant.staff_no,
                _stamp(record.created_at),
                _stamp(record.updated_at),
            ],
        )
        for student in students:
            sheets.append_row(
                people,
                [
                    record.id,
                    f"{start:%Y-%m-%d}",
                    student.student_no,
                    student.name,
                    student.school_class.code if student.school_class else "",
                    student.seat_no,
                    kind,
                    record.consultant.name,
                ],
            )
            rows += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    with sheets.open_private(out, "wb") as handle:
        book.save(handle)
    return ExportResult(out, len(records), rows)


# --- course choices of advised students -------------------------------------------------------


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


# --- grade-12 documents -----------------------------------------------------------------------

AUTOBIOGRAPHY: Final = "autobiography"
STUDY_PLAN: Final = "study_plan"
DOCUMENTS: Final = (AUTOBIOGRAPHY, STUDY_PLAN)
# 學習計畫's parts (DOMAIN §2: career plan, expectations, strengths, interests).
PLAN_SECTIONS: Final = ("career_plan", "expectations", "strengths", "interests")
SECTIONS: Final = (AUTOBIOGRAPHY, *PLAN_SECTIONS)
SECTION_LIMITS: Final = {AUTOBIOGRAPHY: 5000, **{s: 1500 for s in PLAN_SECTIONS}}
COMMENT_LIMIT: Final = 500
# The roster's grade of students who write them (高三 = rules grade 12).
DOCUMENT_GRADE: Final = 3


def document_of(section: str) -> str:
    return AUTOBIOGRAPHY if section == AUTOBIOGRAPHY else STUDY_PLAN


def sections_of_document(document: str) -> tuple[str, ...]:
    return (AUTOBIOGRAPHY,) if document == AUTOBIOGRAPHY else PLAN_SECTIONS


def writes_documents(student: Student) -> bool:
    return student.grade == DOCUMENT_GRADE


def document_sections(session: Session, student_id: int) -> dict[str, StudentDocument]:
    return {
        d.section: d
        for d in session.scalars(
            select(StudentDocument).where(StudentDocument.student_id == student_id)
        )
    }


def section_text(session: Session, student_id: int, section: str) -> str:
    found = document_sections(session, student_id).get(section)
    return found.body if found is not None else ""


def append_text(
    session: Session, student_id: int, section: str, words: str, now: datetime
) -> StudentDocument:
    """Add one message to a section (a new paragraph); RecordError('too_long') past its limit."""
    if section not in SECTIONS:
        raise RecordError("section")
    words = words.strip()
    if not words:
        raise RecordError("empty")
    row = document_sections(session, student_id).get(section)
    current = row.body if row is not None else ""
    joined = f"{current}\n{words}" if current else words
    limit = SECTION_LIMITS[section]
    if len(joined) > limit:
        raise RecordError("too_long", limit=limit, now=len(current), adding=len(words))
    if row is None:
        row = StudentDocument(student_id=student_id, section=section, body="")
        session.add(row)
    row.body = joined
    row.updated_at = now
    session.flush()
    return row


def clear_section(session: Session, student_id: int, section: str, now: datetime) -> None:
    row = document_sections(session, student_id).get(section)
    if row is not None:
        row.body = ""
        row.updated_at = now
        session.flush()


def may_review(session: Session, staff: Staff, student: Student) -> bool:
    """Homeroom teachers see their own class's documents; the counselling office sees all.
    A sealed (graduated) student's documents are the counselling office's alone."""
    if COUNSELLING_ROLE in staff.role_names:
        return True
    if student.class_id is None or student.sealed_at is not None:
        return False
    found = session.scalar(
        select(func.count())
        .select_from(SchoolClass)
        .where(SchoolClass.id == student.class_id, SchoolClass.homeroom_teacher_id == staff.id)
    )
    return bool(found)


def reviewable_classes(session: Session, staff: Staff) -> list[SchoolClass]:
    """Grade-12 classes whose documents this person may read."""
    query = select(SchoolClass).where(SchoolClass.grade == DOCUMENT_GRADE)
    if COUNSELLING_ROLE not in staff.role_names:
        query = query.where(SchoolClass.homeroom_teacher_id == staff.id)
    return list(session.scalars(query.order_by(SchoolClass.code)))


def add_comment(
    session: Session, staff: Staff, student: Student, document: str, words: str, now: datetime
) -> DocumentComment:
    if not may_review(session, staff, student):
        raise RecordError("not_reviewer")
    if document not in DOCUMENTS:
        raise RecordError("document")
    words = words.strip()
    if not words:
        raise RecordError("empty")
    if len(words) > COMMENT_LIMIT:
        raise RecordError("comment_too_long", limit=COMMENT_LIMIT, n=len(words))
    comment = DocumentComment(
        student_id=student.id, document=document, author_id=staff.id, body=words, created_at=now
    )
    session.add(comment)
    session.flush()
    return comment


def comments_on(
    session: Session, student_id: int, documents: Iterable[str] = DOCUMENTS, limit: int = 10
) -> list[DocumentComment]:
    """The newest comments first."""
    return list(
        session.scalars(
            select(DocumentComment)
            .options(selectinload(DocumentComment.author))
            .where(
                DocumentComment.student_id == student_id,
                DocumentComment.document.in_(list(documents)),
            )
            .order_by(DocumentComment.created_at.desc(), DocumentComment.id.desc())
            .limit(limit)
        )
    )


def untold_comments(session: Session, student_id: int) -> list[DocumentComment]:
    return list(
        session.scalars(
            select(DocumentComment)
            .options(selectinload(DocumentComment.author))
            .where(DocumentComment.student_id == student_id, DocumentComment.told_at.is_(None))
            .order_by(DocumentComment.created_at, DocumentComment.id)
        )
    )


def mark_told(comments: Sequence[DocumentComment], now: datetime) -> None:
    for comment in comments:
        comment.told_at = now


def last_written(rows: dict[str, StudentDocument]) -> date | None:
    stamps = [r.updated_at for r in rows.values() if r.body]
    return taipei_date(max(stamps)) if stamps else None


def attachment_records(session: Session, file_ids: Iterable[int]) -> list[FileRecord]:
    ids = list(file_ids)
    if not ids:
        return []
    found = {f.id: f for f in session.scalars(select(FileRecord).where(FileRecord.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


# --- attendance (生輔組): kept at school, never sent to the central database -------------------


def attendance_by_student(
    session: Session, student_ids: Iterable[int], academic_year: int, semester: int | None = None
) -> dict[int, dict[str, int]]:
    """Per student, periods of absence by leave type (假別) in a year or one semester."""
    ids = sorted(set(student_ids))
    query = (
        select(AttendanceRecord.student_id, AttendanceRecord.leave_type, func.count())
        .where(
            AttendanceRecord.student_id.in_(ids or [0]),
            AttendanceRecord.academic_year == academic_year,
        )
        .group_by(AttendanceRecord.student_id, AttendanceRecord.leave_type)
    )
    if semester is not None:
        query = query.where(AttendanceRecord.semester == semester)
    found: dict[int, dict[str, int]] = {}
    for student_id, leave_type, count in session.execute(query):
        found.setdefault(student_id, {})[leave_type] = int(count)
    return found


def attendance_terms(session: Session, student_id: int) -> list[dict[str, object]]:
    """A student's absences per semester and leave type, oldest first (for the export)."""
    rows = session.execute(
        select(
            AttendanceRecord.academic_year,
            AttendanceRecord.semester,
            AttendanceRecord.leave_type,
            func.count(),
        )
        .where(AttendanceRecord.student_id == student_id)
        .group_by(
            AttendanceRecord.academic_year, AttendanceRecord.semester, AttendanceRecord.leave_type
        )
        .order_by(
            AttendanceRecord.academic_year, AttendanceRecord.semester, AttendanceRecord.leave_type
        )
    )
    return [
        {
            "academic_year": year,
            "semester": semester,
            "leave_type": leave_type,
            "periods": int(count),
        }
        for year, semester, leave_type, count in rows
    ]


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
