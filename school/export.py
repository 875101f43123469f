"""The zips for the central database: .xlsx rosters per record type, the files, a manifest.

Everything is checked before anything is written: every picked file must exist, match its
checksum and fit the national limits (documents pdf/jpg/png ≤ 4 MB, audio/video mp3/mp4 ≤ 10 MB).
Problems come back per student and no file is left behind. A zip that is written is built under
a temporary name in the output directory and renamed at the end, so a reader never sees half.

The roster columns follow the central database's record types (DOMAIN §2): 身分證號 and 出生日期
first, then the type's fields, then 內容簡述 (成果簡述) and the file link columns. Each row also
carries 校內編號 (C12, P7): the same reference is in the file names and is what a receipt list
(收訖明細) is matched back with. The national ID is decrypted here and written only into the
roster inside the zip; file names use the 學號.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook
from sqlalchemy.orm import Session

from media.sheets import append_row, csv_writer, mark_text
from rules.model import COURSE_OUTCOME, LAST_GRADE, PERFORMANCE, rules_grade
from school.central_format import (
    AV,
    COURSE_OUTCOME_COLUMNS,
    COURSE_OUTCOME_SHEET,
    DOCUMENT,
    RECORD_TYPES,
    cell,
)
from school.export_rows import ExportRow, Problem, find_problems, outcome_rows, performance_rows
from school.pick_progress import unconfirmed_with_picks
from storage.clock import taipei
from storage.files import CHUNK_SIZE, FileStore
from storage.models.picking import ExportRun
from storage.models.school import Student

# --- the zip's layout ----------------------------------------------------------------------------


ROSTER_NAME: Final = "roster.xlsx"
MANIFEST_NAME: Final = "manifest.csv"
MANIFEST_COLUMNS: Final = ("path", "sha256", "bytes", "student_no", "ref")
ZIP_PREFIX: Final = {COURSE_OUTCOME: "course-outcomes", PERFORMANCE: "diverse"}

# Fixed entry times and modes: the same picks give the same file entries.
ZIP_ENTRY_TIME: Final = (1980, 1, 1, 0, 0, 0)
ZIP_ENTRY_MODE: Final = 0o640


# Told (files written, files in all) as the zip is written, for a progress bar.
Progress = Callable[[int, int], None]


# --- results ----------------------------------------------------------------------------------


class ExportRefused(Exception):
    """Nothing was written: these problems must be fixed first."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s); nothing written")
        self.problems = problems

    def by_student(self) -> dict[tuple[str, str, str], list[Problem]]:
        grouped: dict[tuple[str, str, str], list[Problem]] = {}
        for p in self.problems:
            grouped.setdefault((p.class_seat, p.student_no, p.name), []).append(p)
        return dict(sorted(grouped.items()))


class NothingToExport(Exception):
    """No picked item of this kind in the year: no zip is written."""


@dataclass(frozen=True)
class Unconfirmed:
    student_no: str
    class_seat: str
    name: str


@dataclass(frozen=True)
class ExportResult:
    path: Path
    sha256: str
    students: int
    items: int
    files: int
    # Picked but never confirmed (included unless only_confirmed).
    unconfirmed: list[Unconfirmed]


# --- writing ----------------------------------------------------------------------------------


def _roster(rows: list[ExportRow], sheets: Sequence[tuple[str, tuple[str, ...]]]) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    by_sheet: dict[str, Any] = {}
    for title, columns in sheets:
        sheet = book.create_sheet(title)
        append_row(sheet, columns)
        by_sheet[title] = sheet
    for row in rows:
        s = row.student
        links = {DOCUMENT: "", AV: ""}
        for f in row.files:
            links[f.slot] = f.name_in_zip(s.student_no)
        values = [
            s.national_id or "",
            cell(s.birth_date),
            *row.cells,
            row.summary,
            links[DOCUMENT],
            links[AV],
            row.ref,
        ]
        append_row(by_sheet[row.sheet], values)
    for sheet in by_sheet.values():
        for line in sheet.iter_rows():
            for c in line:
                c.number_format = "@"
                c.data_type = "s"
                mark_text(c)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_zip(
    files: FileStore,
    rows: list[ExportRow],
    roster: bytes,
    target: Path,
    progress: Progress | None = None,
) -> str:
    """Write the zip under a temporary name beside target, then rename; returns its sha256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp makes the file 0600: the roster holds national IDs.
    fd, temp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w+b") as raw:
            with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
                _write_entries(zf, files, rows, roster, progress)
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


def _write_entries(
    zf: zipfile.ZipFile,
    files: FileStore,
    rows: list[ExportRow],
    roster: bytes,
    progress: Progress | None = None,
) -> None:
    manifest = io.StringIO()
    writer = csv_writer(manifest, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    zf.writestr(ROSTER_NAME, roster)
    writer.writerow([ROSTER_NAME, hashlib.sha256(roster).hexdigest(), len(roster), "", ""])
    total = sum(len(r.files) for r in rows)
    written = 0
    for row in rows:
        for f in row.files:
            written += 1
            if progress is not None:
                progress(written, total)
            name = f.name_in_zip(row.student.student_no)
            info = zipfile.ZipInfo(name, ZIP_ENTRY_TIME)
            info.external_attr = ZIP_ENTRY_MODE << 16
            # Stored media are compressed already; deflating them again only costs time.
            info.compress_type = zipfile.ZIP_STORED
            digest = hashlib.sha256()
            size = 0
            with files.open(f.record.sha256) as source, zf.open(info, "w") as sink:
                while chunk := source.read(CHUNK_SIZE):
                    digest.update(chunk)
                    size += len(chunk)
                    sink.write(chunk)
            if digest.hexdigest() != f.sha256:
                raise RuntimeError(f"{name} changed while the export was being written")
            writer.writerow([name, f.sha256, size, row.student.student_no, row.ref])
    zf.writestr(MANIFEST_NAME, manifest.getvalue().encode("utf-8"))


def _export(
    session: Session,
    files: FileStore,
    kind: str,
    academic_year: int,
    out_dir: Path,
    now: datetime,
    *,
    only_confirmed: bool,
    sheets: Sequence[tuple[str, tuple[str, ...]]],
    grade12: bool | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    def wanted(student: Student) -> bool:
        # Grade 12 is submitted on its own before graduation: True exports only grade 12,
        # False everyone else, None everyone.
        return grade12 is None or (rules_grade(student.grade) == LAST_GRADE) == grade12

    unconfirmed = [s for s in unconfirmed_with_picks(session, academic_year, kind) if wanted(s)]
    exclude = {s.id for s in unconfirmed} if only_confirmed else set()
    gather = outcome_rows if kind == COURSE_OUTCOME else performance_rows
    rows = [r for r in gather(session, academic_year, exclude) if wanted(r.student)]
    if not rows:
        raise NothingToExport(kind)
    problems = find_problems(files, rows)
    if problems:
        raise ExportRefused(problems)
    roster = _roster(rows, sheets)
    stamp = taipei(now).strftime("%Y%m%d-%H%M%S")
    target = Path(out_dir) / f"{ZIP_PREFIX[kind]}-{academic_year}-{stamp}.zip"
    sha = _write_zip(files, rows, roster, target, progress)
    result = ExportResult(
        path=target,
        sha256=sha,
        students=len({r.student.id for r in rows}),
        items=len(rows),
        files=sum(len(r.files) for r in rows),
        unconfirmed=[Unconfirmed(s.student_no, s.class_seat, s.name) for s in unconfirmed],
    )
    session.add(
        ExportRun(
            academic_year=academic_year,
            item_kind=kind,
            file_name=target.name,
            sha256=sha,
            students=result.students,
            items=result.items,
            files=result.files,
            created_at=now,
        )
    )
    return result


def export_course_outcomes(
    session: Session,
    files: FileStore,
    academic_year: int,
    out_dir: Path,
    now: datetime,
    *,
    only_confirmed: bool = False,
    grade12: bool | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """The picked, certified course outcomes of a year (for 教學組)."""
    return _export(
        session,
        files,
        COURSE_OUTCOME,
        academic_year,
        out_dir,
        now,
        only_confirmed=only_confirmed,
        sheets=[(COURSE_OUTCOME_SHEET, COURSE_OUTCOME_COLUMNS)],
        grade12=grade12,
        progress=progress,
    )


def export_performances(
    session: Session,
    files: FileStore,
    academic_year: int,
    out_dir: Path,
    now: datetime,
    *,
    only_confirmed: bool = False,
    grade12: bool | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """The picked 多元表現 of a year, one sheet per record type (for 訓育組)."""
    return _export(
        session,
        files,
        PERFORMANCE,
        academic_year,
        out_dir,
        now,
        only_confirmed=only_confirmed,
        sheets=[(t.label, t.columns) for t in RECORD_TYPES],
        grade12=grade12,
        progress=progress,
    )
