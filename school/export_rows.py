"""What an export writes, gathered and checked: picked items with their files, and problems."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from media.kinds import EXTENSIONS, FORMAT_NAMES, Kind, mb
from media.sniff import sniff
from rules.model import COURSE_OUTCOME, PERFORMANCE
from school.central_format import (
    AV,
    COURSE_OUTCOME_SHEET,
    DOCUMENT,
    OUTCOME_SUMMARY_MAX,
    RECORD_TYPE_BY_KEY,
    SLOT_KINDS,
    SLOT_LIMITS,
    SLOT_NAMES,
    cell,
)
from school.pick_candidates import ref_of as _ref_of
from storage.files import CHUNK_SIZE, FileStore, NotStored
from storage.models.portfolio import (
    CERTIFIED,
    SUBMITTED,
    CourseOutcome,
    FileRecord,
    Performance,
    PerformanceFile,
)
from storage.models.school import Student

FILES_DIR: Final = "files"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9-]")


@dataclass(frozen=True)
class Problem:
    """Something that must be fixed before the export; code is a catalogue key suffix."""

    student_no: str
    class_seat: str
    name: str
    ref: str | None
    code: str
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class ExportFile:
    slot: str
    record: FileRecord
    ref: str
    n: int = 1  # 2, 3 ... only for a problem report: the central database takes one per slot
    kind: Kind | None = None
    sha256: str = ""
    size: int = 0

    def name_in_zip(self, student_no: str) -> str:
        ext = EXTENSIONS.get(self.kind, "") if self.kind else ""
        safe_no = _SAFE_NAME.sub("_", student_no)
        return f"{FILES_DIR}/{safe_no}_{self.ref}_{SLOT_NAMES[self.slot]}{ext}"


@dataclass
class ExportRow:
    student: Student
    ref: str
    sheet: str
    cells: list[str]  # the type's own columns, between 出生日期 and the links
    summary: str
    files: list[ExportFile]
    problems: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def _order(student: Student) -> tuple[str, int, str]:
    code = student.school_class.code if student.school_class else ""
    return (code, student.seat_no or 0, student.student_no)


def outcome_rows(session: Session, academic_year: int, exclude: set[int]) -> list[ExportRow]:
    outcomes = (
        session.scalars(
            select(CourseOutcome)
            .options(
                joinedload(CourseOutcome.course),
                joinedload(CourseOutcome.document),
                joinedload(CourseOutcome.video),
                joinedload(CourseOutcome.student).joinedload(Student.school_class),
            )
            .where(
                CourseOutcome.academic_year == academic_year,
                CourseOutcome.status == CERTIFIED,
                CourseOutcome.picked_at.is_not(None),
            )
        )
        .unique()
        .all()
    )
    rows: list[ExportRow] = []
    for o in outcomes:
        if o.student_id in exclude:
            continue
        ref = _ref_of(COURSE_OUTCOME, o.id)
        course = o.course
        files = [ExportFile(DOCUMENT, o.document, ref)] if o.document is not None else []
        if o.video is not None:
            files.append(ExportFile(AV, o.video, ref))
        row = ExportRow(
            student=o.student,
            ref=ref,
            sheet=COURSE_OUTCOME_SHEET,
            cells=[
                str(o.academic_year),
                str(o.semester),
                course.code if course else "",
                course.subject if course else "",
            ],
            summary=(o.summary or "").strip(),
            files=files,
        )
        if not row.summary:
            row.problems.append(("summary_missing", {}))
        elif len(row.summary) > OUTCOME_SUMMARY_MAX:
            row.problems.append(
                (
                    "summary_too_long",
                    {"length": str(len(row.summary)), "limit": str(OUTCOME_SUMMARY_MAX)},
                )
            )
        if not files:
            row.problems.append(("no_file", {}))
        rows.append(row)
    rows.sort(key=lambda r: (_order(r.student), int(r.ref[1:])))
    return rows


def performance_rows(session: Session, academic_year: int, exclude: set[int]) -> list[ExportRow]:
    performances = (
        session.scalars(
            select(Performance)
            .options(
                selectinload(Performance.proofs).joinedload(PerformanceFile.file),
                joinedload(Performance.student).joinedload(Student.school_class),
            )
            .where(
                Performance.academic_year == academic_year,
                Performance.status == SUBMITTED,
                Performance.picked_at.is_not(None),
            )
        )
        .unique()
        .all()
    )
    rows: list[ExportRow] = []
    for p in performances:
        if p.student_id in exclude:
            continue
        ref = _ref_of(PERFORMANCE, p.id)
        record_type = RECORD_TYPE_BY_KEY.get(p.record_type)
        fields = p.fields or {}
        files: list[ExportFile] = []
        counts = {DOCUMENT: 0, AV: 0}
        for proof in p.proofs:
            slot = AV if proof.file.kind == AV else DOCUMENT
            counts[slot] += 1
            files.append(ExportFile(slot, proof.file, ref, n=counts[slot]))
        row = ExportRow(
            student=p.student,
            ref=ref,
            sheet=record_type.label if record_type else p.record_type,
            cells=[cell(fields.get(key)) for key, _ in record_type.fields] if record_type else [],
            summary=(p.summary or "").strip(),
            files=files,
        )
        if record_type is None:
            row.problems.append(("unknown_record_type", {"type": p.record_type}))
        for slot, n in counts.items():
            if n > 1:
                row.problems.append(("too_many_files", {"slot": slot, "count": str(n)}))
        rows.append(row)
    rows.sort(key=lambda r: (_order(r.student), int(r.ref[1:])))
    return rows


def _check_file(files: FileStore, f: ExportFile) -> tuple[str, dict[str, str]] | None:
    """Size, format and checksum of the stored bytes (not what the database row says)."""
    values = {"slot": f.slot}
    try:
        path = files.path(f.record.sha256)
        f.size = files.size(f.record.sha256)
    except (NotStored, ValueError):
        return "missing_file", values
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK_SIZE):
            digest.update(chunk)
    f.sha256 = digest.hexdigest()
    if f.sha256 != f.record.sha256:
        return "file_damaged", values
    f.kind = sniff(path)
    if f.kind not in SLOT_KINDS[f.slot]:
        name = FORMAT_NAMES.get(f.kind, "") if f.kind is not Kind.OTHER else ""
        return "wrong_format", values | {"format": name or "?"}
    limit = SLOT_LIMITS[f.slot]
    if f.size > limit:
        return "too_large", values | {"size": mb(f.size), "limit": mb(limit)}
    return None


def find_problems(files: FileStore, rows: list[ExportRow]) -> list[Problem]:
    found: list[Problem] = []
    seen_students: set[int] = set()
    for row in rows:
        s = row.student
        who = (s.student_no, s.class_seat, s.name)
        if s.id not in seen_students:
            seen_students.add(s.id)
            if not s.national_id:
                found.append(Problem(*who, None, "no_national_id"))
            if s.birth_date is None:
                found.append(Problem(*who, None, "no_birth_date"))
        for code, values in row.problems:
            found.append(Problem(*who, row.ref, code, values))
        for f in row.files:
            if f.n > 1:
                continue
            problem = _check_file(files, f)
            if problem is not None:
                found.append(Problem(*who, row.ref, problem[0], problem[1]))
    return found
