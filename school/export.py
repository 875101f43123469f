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
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from media.kinds import AV_LIMIT, DOCUMENT_LIMIT, EXTENSIONS, FORMAT_NAMES, Kind, mb
from media.sheets import append_row, csv_writer, mark_text
from media.sniff import sniff
from rules.model import COURSE_OUTCOME, LAST_GRADE, PERFORMANCE, rules_grade
from school.picking import ref_of as _ref_of
from school.picking import unconfirmed_with_picks
from storage.clock import taipei
from storage.files import CHUNK_SIZE, FileStore, NotStored
from storage.models.picking import ExportRun
from storage.models.portfolio import (
    CERTIFIED,
    SUBMITTED,
    CourseOutcome,
    FileRecord,
    Performance,
    PerformanceFile,
)
from storage.models.school import Student

# --- the central database's format ------------------------------------------------------------

NATIONAL_ID: Final = "身分證號"
BIRTH_DATE: Final = "出生日期"
SUMMARY: Final = "內容簡述"
OUTCOME_SUMMARY: Final = "成果簡述"
DOCUMENT_LINK: Final = "證明文件連結"
AV_LINK: Final = "影音檔案連結"
OUTCOME_DOCUMENT_LINK: Final = "成果檔案連結"
SCHOOL_REF: Final = "校內編號"

# Course learning outcomes: one sheet.
COURSE_OUTCOME_SHEET: Final = "課程學習成果"
COURSE_OUTCOME_COLUMNS: Final = (
    NATIONAL_ID,
    BIRTH_DATE,
    "學年度",
    "學期",
    "課程代碼",
    "科目名稱",
    OUTCOME_SUMMARY,
    OUTCOME_DOCUMENT_LINK,
    AV_LINK,
    SCHOOL_REF,
)
# 成果簡述 is at most 100 characters (national rule).
OUTCOME_SUMMARY_MAX: Final = 100


@dataclass(frozen=True)
class RecordType:
    """A 多元表現 record type: its key (Performance.record_type), sheet name and fields in order."""

    key: str
    label: str
    fields: tuple[tuple[str, str], ...]  # (key in Performance.fields, column header)

    @property
    def columns(self) -> tuple[str, ...]:
        return (
            NATIONAL_ID,
            BIRTH_DATE,
            *(h for _, h in self.fields),
            SUMMARY,
            DOCUMENT_LINK,
            AV_LINK,
            SCHOOL_REF,
        )


# The field keys are those flows/performance.py stores in Performance.fields (its RECORD_TYPES);
# the headers are the central database's column names, in its order.
RECORD_TYPES: Final[tuple[RecordType, ...]] = (
    RecordType(
        "cadre",
        "幹部經歷暨事蹟紀錄",
        (
            ("unit", "單位名稱"),
            ("start", "開始日期"),
            ("end", "結束日期"),
            ("position", "擔任職務"),
            ("level", "幹部等級"),
        ),
    ),
    RecordType(
        "competition",
        "競賽參與紀錄",
        (
            ("name", "競賽名稱"),
            ("item", "項目"),
            ("level", "競賽等級"),
            ("award", "獎項"),
            ("result_date", "結果公布日期"),
            ("team", "參與類型"),
        ),
    ),
    RecordType(
        "certificate",
        "檢定證照紀錄",
        (
            ("code", "證照代碼"),
            ("score", "分數"),
            ("sub_scores", "分項結果"),
            ("obtained", "取得證照日期"),
            ("number", "證照字號"),
            ("group", "檢定組別"),
        ),
    ),
    RecordType(
        "service",
        "服務學習紀錄",
        (
            ("name", "服務名稱"),
            ("organisation", "服務單位"),
            ("start", "開始日期"),
            ("end", "結束日期"),
            ("hours", "服務時數"),
        ),
    ),
    RecordType(
        "flexible",
        "彈性學習時間紀錄",
        (
            ("category", "類別"),
            ("title", "名稱"),
            ("organiser", "開設單位"),
            ("year", "學年度"),
            ("semester", "學期"),
            ("periods_per_week", "每週節數"),
            ("weeks", "週數"),
        ),
    ),
    RecordType(
        "group_activity",
        "團體活動時間紀錄",
        (
            ("category", "類別"),
            ("organiser", "辦理單位"),
            ("title", "名稱"),
            ("year", "學年度"),
            ("semester", "學期"),
            ("periods", "節數"),
        ),
    ),
    RecordType(
        "workplace",
        "職場學習紀錄",
        (
            ("category", "類別"),
            ("organisation", "單位名稱"),
            ("start", "開始日期"),
            ("end", "結束日期"),
            ("hours", "時數"),
        ),
    ),
    RecordType("works", "作品成果紀錄", (("title", "作品名稱"), ("date", "發表日期"))),
    RecordType(
        "university_course",
        "大學及技專校院先修課程紀錄",
        (
            ("programme", "計畫名稱"),
            ("organiser", "開設單位"),
            ("course", "課程名稱"),
            ("start", "開始日期"),
            ("end", "結束日期"),
            ("credits", "學分數"),
            ("hours", "時數"),
        ),
    ),
    RecordType(
        "other",
        "其他多元表現紀錄",
        (
            ("title", "名稱"),
            ("organiser", "主辦單位"),
            ("start", "開始日期"),
            ("end", "結束日期"),
            ("hours", "時數"),
        ),
    ),
)
RECORD_TYPE_BY_KEY: Final = {t.key: t for t in RECORD_TYPES}

# What the central database takes, by slot, and how big.
DOCUMENT: Final = "document"
AV: Final = "av"
SLOT_KINDS: Final = {
    DOCUMENT: frozenset({Kind.PDF, Kind.JPEG, Kind.PNG}),
    AV: frozenset({Kind.MP3, Kind.MP4}),
}
SLOT_LIMITS: Final = {DOCUMENT: DOCUMENT_LIMIT, AV: AV_LIMIT}
SLOT_NAMES: Final = {DOCUMENT: "doc", AV: "av"}

ROSTER_NAME: Final = "roster.xlsx"
MANIFEST_NAME: Final = "manifest.csv"
FILES_DIR: Final = "files"
MANIFEST_COLUMNS: Final = ("path", "sha256", "bytes", "student_no", "ref")
ZIP_PREFIX: Final = {COURSE_OUTCOME: "course-outcomes", PERFORMANCE: "diverse"}

# Fixed entry times and modes: the same picks give the same file entries.
ZIP_ENTRY_TIME: Final = (1980, 1, 1, 0, 0, 0)
ZIP_ENTRY_MODE: Final = 0o640

_SAFE_NAME = re.compile(r"[^A-Za-z0-9-]")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


# Told (files written, files in all) as the zip is written, for a progress bar.
Progress = Callable[[int, int], None]


def central_date(day: date) -> str:
    """Dates as the central database's rosters write them: Minguo year, 7 digits (0990305)."""
    return f"{day.year - 1911:03d}{day.month:02d}{day.day:02d}"


def cell(value: Any) -> str:
    """A roster cell: always text (leading zeros survive); ISO dates become central dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return central_date(taipei(value).date())
    if isinstance(value, date):
        return central_date(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(cell(v) for v in value)
    if isinstance(value, dict):
        return "、".join(f"{k} {cell(v)}" for k, v in value.items())
    text = str(value).strip()
    match = _ISO_DATE.match(text)
    if match:
        try:
            return central_date(date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            return text
    return text


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something that must be fixed before the export; code is a catalogue key suffix."""

    student_no: str
    class_seat: str
    name: str
    ref: str | None
    code: str
    values: dict[str, str] = field(default_factory=dict)


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


# --- gathering --------------------------------------------------------------------------------


@dataclass
class _File:
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
class _Row:
    student: Student
    ref: str
    sheet: str
    cells: list[str]  # the type's own columns, between 出生日期 and the links
    summary: str
    files: list[_File]
    problems: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def _order(student: Student) -> tuple[str, int, str]:
    code = student.school_class.code if student.school_class else ""
    return (code, student.seat_no or 0, student.student_no)


def _outcome_rows(session: Session, academic_year: int, exclude: set[int]) -> list[_Row]:
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
    rows: list[_Row] = []
    for o in outcomes:
        if o.student_id in exclude:
            continue
        ref = _ref_of(COURSE_OUTCOME, o.id)
        course = o.course
        files = [_File(DOCUMENT, o.document, ref)] if o.document is not None else []
        if o.video is not None:
            files.append(_File(AV, o.video, ref))
        row = _Row(
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


def _performance_rows(session: Session, academic_year: int, exclude: set[int]) -> list[_Row]:
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
    rows: list[_Row] = []
    for p in performances:
        if p.student_id in exclude:
            continue
        ref = _ref_of(PERFORMANCE, p.id)
        record_type = RECORD_TYPE_BY_KEY.get(p.record_type)
        fields = p.fields or {}
        files: list[_File] = []
        counts = {DOCUMENT: 0, AV: 0}
        for proof in p.proofs:
            slot = AV if proof.file.kind == AV else DOCUMENT
            counts[slot] += 1
            files.append(_File(slot, proof.file, ref, n=counts[slot]))
        row = _Row(
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


# --- checking ---------------------------------------------------------------------------------


def _check_file(files: FileStore, f: _File) -> tuple[str, dict[str, str]] | None:
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


def _problems(files: FileStore, rows: list[_Row]) -> list[Problem]:
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


# --- writing ----------------------------------------------------------------------------------


def _roster(rows: list[_Row], sheets: Sequence[tuple[str, tuple[str, ...]]]) -> bytes:
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
    rows: list[_Row],
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
    rows: list[_Row],
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
    gather = _outcome_rows if kind == COURSE_OUTCOME else _performance_rows
    rows = [r for r in gather(session, academic_year, exclude) if wanted(r.student)]
    if not rows:
        raise NothingToExport(kind)
    problems = _problems(files, rows)
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


def sheet_columns(kind: str) -> Iterable[tuple[str, tuple[str, ...]]]:
    """Sheet names and their columns, as the export writes them (for --help and tests)."""
    if kind == COURSE_OUTCOME:
        return [(COURSE_OUTCOME_SHEET, COURSE_OUTCOME_COLUMNS)]
    return [(t.label, t.columns) for t in RECORD_TYPES]
