"""The yearly export of consultation records (諮詢紀錄) as an .xlsx kept at school: one sheet
with a row per record, one with a row per student who took part."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from catalogue import text
from media import sheets
from school.consultations import consultations_in_year
from storage.clock import taipei
from storage.models.records import GROUP, INDIVIDUAL, Consultation

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


def export_consultations(
    session: Session,
    academic_year: int,
    out: Path,
    progress: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Every consultation of the year as an .xlsx: one row per record, one per student.
    progress, if given, is told (records done, records in all) as the rows are written."""
    records = consultations_in_year(session, academic_year)
    if progress is not None:
        progress(0, len(records))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = EXPORT_SHEET
    sheets.append_row(sheet, EXPORT_COLUMNS)
    people = book.create_sheet(EXPORT_STUDENT_SHEET)
    sheets.append_row(people, EXPORT_STUDENT_COLUMNS)
    rows = 0
    for done, record in enumerate(records, 1):
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
        if progress is not None:
            progress(done, len(records))
    out.parent.mkdir(parents=True, exist_ok=True)
    with sheets.open_private(out, "wb") as handle:
        book.save(handle)
    return ExportResult(out, len(records), rows)
