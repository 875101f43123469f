"""A student's whole portfolio as one zip (a workbook and the files), for a transfer to another
school or a student's own request."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import (
    Table,
    select,
)
from sqlalchemy.orm import Session

from catalogue import text
from media import sheets
from media.kinds import EXTENSIONS, MIME_TYPES
from school.attendance import attendance_terms
from school.central_format import RECORD_TYPE_BY_KEY
from school.deletion import NOT_EMPTIED, tables_referencing
from storage.clock import format_datetime, taipei, taipei_date
from storage.crypto import mask_national_id
from storage.files import CHUNK_SIZE, FileStore, NotStored
from storage.models.lifecycle import (
    StudentChange,
)
from storage.models.portfolio import (
    CourseOutcome,
    FileRecord,
    Performance,
)
from storage.models.school import (
    SchoolClass,
    Staff,
    Student,
    StudentClassHistory,
)

EXPORT_FORMAT: Final = "portfolio-student-export/1"


_EXTENSION_OF: Final = {MIME_TYPES[kind]: ext for kind, ext in EXTENSIONS.items()}


ZIP_ENTRY_TIME: Final = (1980, 1, 1, 0, 0, 0)


_SAFE = re.compile(r"[^0-9A-Za-z_-]")


# Columns never written into an export: secrets and lookup hashes.
_SECRET_COLUMNS: Final = frozenset(
    {"national_id", "national_id_hash", "phone", "phone_hash", "code_hash"}
)


Labeller = Callable[[str], str | None]


@dataclass
class StudentExport:
    path: Path
    sha256: str
    items: int
    files: int
    missing: list[str]


@dataclass
class _Entry:
    name: str
    sha256: str
    record: FileRecord


def _when(value: datetime | None) -> str:
    return format_datetime(value) if value else ""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return taipei(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _file_name(ref: str, slot: str, record: FileRecord) -> str:
    return f"files/{ref}_{slot}{_EXTENSION_OF.get(record.mime, '.bin')}"


def export_student(
    session: Session,
    files: FileStore,
    student: Student,
    out_dir: Path,
    now: datetime,
    label: Labeller,
    with_national_id: bool = False,
) -> StudentExport:
    """One zip with every item (status, certification, decider and capacity), the class
    history, standing changes, records other features keep about the student (consultations,
    cadres, grade-12 documents...), the files themselves and a sha256 manifest."""

    def lab(key: str, default: str) -> str:
        return label(key) or default

    staff_names = {s.id: s.name for s in session.scalars(select(Staff))}
    class_codes = {c.id: c.code for c in session.scalars(select(SchoolClass))}
    entries: list[_Entry] = []

    def attach(ref: str, slot: str, record: FileRecord | None) -> str:
        if record is None:
            return ""
        entry = _Entry(_file_name(ref, slot, record), record.sha256, record)
        entries.append(entry)
        return entry.name

    basic = {
        "student_no": student.student_no,
        "name": student.name,
        "national_id": (student.national_id or "")
        if with_national_id
        else mask_national_id(student.national_id),
        "birth_date": _jsonable(student.birth_date),
        "grade": student.grade,
        "class": class_codes.get(student.class_id or 0, ""),
        "seat_no": student.seat_no,
        "entry_year": student.entry_year,
        "status": student.status,
        "graduated_on": _jsonable(student.graduated_on),
        "sealed_at": _jsonable(student.sealed_at),
    }
    history = [
        {
            "class": class_codes.get(h.class_id, ""),
            "seat_no": h.seat_no,
            "since": _jsonable(h.since),
            "note": h.note or "",
        }
        for h in session.scalars(
            select(StudentClassHistory)
            .where(StudentClassHistory.student_id == student.id)
            .order_by(StudentClassHistory.since, StudentClassHistory.id)
        )
    ]
    changes = [
        {
            "kind": c.kind,
            "label": lab(f"lifecycle.change.{c.kind}", c.kind),
            "effective_on": _jsonable(c.effective_on),
            "from_status": c.from_status,
            "to_status": c.to_status,
            "from_class": class_codes.get(c.from_class_id or 0, ""),
            "to_class": class_codes.get(c.to_class_id or 0, ""),
            "old_student_no": c.old_student_no,
            "new_student_no": c.new_student_no,
            "note": c.note or "",
            "recorded_at": _jsonable(c.created_at),
        }
        for c in session.scalars(
            select(StudentChange)
            .where(StudentChange.student_id == student.id)
            .order_by(StudentChange.id)
        )
    ]
    outcomes = []
    for o in session.scalars(
        select(CourseOutcome)
        .where(CourseOutcome.student_id == student.id)
        .order_by(CourseOutcome.academic_year, CourseOutcome.semester, CourseOutcome.id)
    ):
        ref = f"C{o.id}"
        course = o.course
        outcomes.append(
            {
                "ref": ref,
                "academic_year": o.academic_year,
                "semester": o.semester,
                "course_code": course.code if course else "",
                "subject": course.subject if course else "",
                "teacher": staff_names.get(course.teacher_id or 0, "") if course else "",
                "summary": o.summary,
                "status": o.status,
                "status_label": lab(f"upload.status.{o.status}", o.status),
                "decided_by": staff_names.get(o.decided_by_id or 0, ""),
                "decided_capacity": lab(
                    f"certify.capacity.{o.decided_capacity}", o.decided_capacity or ""
                )
                if o.decided_capacity
                else "",
                "decided_at": _jsonable(o.decided_at),
                "reject_reason": o.reject_reason or "",
                "replaces": f"C{o.replaces_id}" if o.replaces_id else "",
                "picked": o.picked_at is not None,
                "submitted_at": _jsonable(o.submitted_at),
                "document": attach(ref, "doc", o.document),
                "video": attach(ref, "av", o.video),
            }
        )
    performances = []
    for p in session.scalars(
        select(Performance)
        .where(Performance.student_id == student.id)
        .order_by(Performance.academic_year, Performance.semester, Performance.id)
    ):
        ref = f"P{p.id}"
        kind = RECORD_TYPE_BY_KEY.get(p.record_type)
        headers = dict(kind.fields) if kind else {}
        performances.append(
            {
                "ref": ref,
                "academic_year": p.academic_year,
                "semester": p.semester,
                "record_type": p.record_type,
                "record_type_label": kind.label if kind else p.record_type,
                "fields": {headers.get(k, k): v for k, v in (p.fields or {}).items()},
                "summary": p.summary,
                "status": p.status,
                "status_label": lab(f"upload.status.{p.status}", p.status),
                "picked": p.picked_at is not None,
                "entered_by_staff": p.entered_by_staff,
                "submitted_at": _jsonable(p.submitted_at),
                "proofs": [attach(ref, str(n), pf.file) for n, pf in enumerate(p.proofs, start=1)],
            }
        )
    others = _other_records(session, student, staff_names, class_codes)
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": _jsonable(now),
        "student": basic,
        "class_history": history,
        "changes": changes,
        "course_outcomes": outcomes,
        "performances": performances,
        # 缺曠 by semester and leave type: kept at school (the central database does not take it).
        "attendance": attendance_terms(session, student.id),
        "other_records": others,
    }
    workbook = _export_workbook(document, lab)
    body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    safe_no = _SAFE.sub("_", student.student_no)
    target = out_dir / f"portfolio-{safe_no}-{taipei_date(now):%Y%m%d}.zip"
    missing = [e.name for e in entries if not files.exists(e.sha256)]
    digest = _write_export_zip(files, target, body, workbook, entries)
    return StudentExport(
        target, digest, len(outcomes) + len(performances), len(entries) - len(missing), missing
    )


def _other_records(
    session: Session, student: Student, staff_names: dict[int, str], class_codes: dict[int, str]
) -> dict[str, list[dict[str, Any]]]:
    """Every other table that keeps rows about the student, one hop out (a consultation row
    for a consultation-participant row), without secrets."""
    known = {
        "course_outcomes",
        "performances",
        "student_class_history",
        "student_changes",
        "enrolments",
        "binding_codes",
        "guardian_links",
        "audit_log",
    }
    found: dict[str, list[dict[str, Any]]] = {}
    for table, column, _ in tables_referencing("students"):
        if table.name in NOT_EMPTIED or table.name in known:
            continue
        rows = []
        for row in session.execute(select(table).where(column == student.id)).mappings():
            rows.append(_row_dict(session, table, dict(row), staff_names, class_codes, hop=True))
        if rows:
            found.setdefault(table.name, []).extend(rows)
    return found


def _row_dict(
    session: Session,
    table: Table,
    row: dict[str, Any],
    staff_names: dict[int, str],
    class_codes: dict[int, str],
    hop: bool,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name in _SECRET_COLUMNS or name == "student_id":
            continue
        column = table.columns[name]
        targets = {fk.column.table.name for fk in column.foreign_keys}
        if "staff" in targets:
            out[name] = staff_names.get(value or 0, "")
        elif "classes" in targets:
            out[name] = class_codes.get(value or 0, "")
        elif hop and targets and value is not None and not targets & {"files", "students"}:
            parent = next(iter(column.foreign_keys)).column.table
            pk = list(parent.primary_key.columns)[0]
            found = session.execute(select(parent).where(pk == value)).mappings().first()
            out[name] = (
                _row_dict(session, parent, dict(found), staff_names, class_codes, hop=False)
                if found
                else value
            )
        else:
            out[name] = _jsonable(value)
    return out


def _export_workbook(document: dict[str, Any], lab: Callable[[str, str], str]) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)

    def sheet(
        key: str, headers: list[tuple[str, str]], rows: list[dict[str, Any]], default: str = ""
    ) -> None:
        ws = book.create_sheet(lab(f"lifecycle.export.sheet.{key}", default or key)[:31])
        sheets.append_row(ws, [lab(f"lifecycle.export.col.{h}", d) for h, d in headers])
        for row in rows:
            sheets.append_row(ws, [_cell(row.get(h)) for h, _ in headers])

    student = document["student"]
    sheet("student", [(k, k) for k in student], [student])
    sheet(
        "class_history",
        [("class", "class"), ("seat_no", "seat_no"), ("since", "since"), ("note", "note")],
        document["class_history"],
    )
    sheet(
        "changes",
        [
            (k, k)
            for k in (
                "label",
                "effective_on",
                "from_status",
                "to_status",
                "from_class",
                "to_class",
                "old_student_no",
                "new_student_no",
                "note",
                "recorded_at",
            )
        ],
        document["changes"],
    )
    sheet(
        "course_outcomes",
        [
            (k, k)
            for k in (
                "ref",
                "academic_year",
                "semester",
                "course_code",
                "subject",
                "teacher",
                "summary",
                "status_label",
                "decided_by",
                "decided_capacity",
                "decided_at",
                "reject_reason",
                "replaces",
                "picked",
                "submitted_at",
                "document",
                "video",
            )
        ],
        document["course_outcomes"],
    )
    sheet(
        "performances",
        [
            (k, k)
            for k in (
                "ref",
                "academic_year",
                "semester",
                "record_type_label",
                "fields",
                "summary",
                "status_label",
                "picked",
                "entered_by_staff",
                "submitted_at",
                "proofs",
            )
        ],
        document["performances"],
    )
    sheet(
        "attendance",
        [(k, k) for k in ("academic_year", "semester", "leave_type", "periods")],
        document["attendance"],
    )
    for table, rows in document["other_records"].items():
        headers = list(dict.fromkeys(k for row in rows for k in row))
        sheet(f"table.{table}", [(h, h) for h in headers], rows, default=table)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return text("lifecycle.export.yes") if value else text("lifecycle.export.no")
    if isinstance(value, dict):
        return "；".join(f"{k}：{_cell(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(str(_cell(v)) for v in value if v)
    return value


def _write_export_zip(
    files: FileStore, target: Path, body: bytes, workbook: bytes, entries: list[_Entry]
) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    # 0600: the zip holds a person's whole school record.
    fd, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent
    )
    temp = Path(temp_name)
    manifest = io.StringIO()
    writer = sheets.csv_writer(manifest, lineterminator="\n")
    writer.writerow(("path", "sha256", "bytes"))
    try:
        with os.fdopen(fd, "w+b") as raw:
            with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, data in (("portfolio.json", body), ("portfolio.xlsx", workbook)):
                    zf.writestr(name, data)
                    writer.writerow((name, hashlib.sha256(data).hexdigest(), len(data)))
                written: set[str] = set()
                for entry in entries:
                    if entry.name in written:
                        continue
                    written.add(entry.name)
                    try:
                        source = files.open(entry.sha256)
                    except NotStored:
                        continue  # reported as missing by the caller
                    info = zipfile.ZipInfo(entry.name, ZIP_ENTRY_TIME)
                    info.external_attr = 0o640 << 16
                    info.compress_type = zipfile.ZIP_STORED
                    digest = hashlib.sha256()
                    size = 0
                    with source, zf.open(info, "w") as sink:
                        while chunk := source.read(CHUNK_SIZE):
                            digest.update(chunk)
                            size += len(chunk)
                            sink.write(chunk)
                    if digest.hexdigest() != entry.sha256:
                        raise RuntimeError(f"{entry.name}: stored bytes do not match their name")
                    writer.writerow((entry.name, entry.sha256, size))
                zf.writestr("manifest.csv", manifest.getvalue().encode("utf-8"))
            raw.flush()
            os.fsync(raw.fileno())
            raw.seek(0)
            digest = hashlib.sha256()
            while chunk := raw.read(CHUNK_SIZE):
                digest.update(chunk)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return digest.hexdigest()
