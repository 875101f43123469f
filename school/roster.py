"""Roster import: read the school system's exports, check every row, then apply all or nothing."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import charset_normalizer
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, defer

from catalogue import text
from storage.crypto import cipher, mask_national_id
from storage.db import lock_named
from storage.models.school import (
    Course,
    Enrolment,
    Guardian,
    GuardianLink,
    SchoolClass,
    Staff,
    StaffRole,
    Student,
    StudentClassHistory,
    Term,
)

# --- the registrar's words ------------------------------------------------------------------------

# Every text the registrar reads from an import lives in the catalogue under "roster."; the CLI
# prints from it too.
def t(key: str, **values: Any) -> str:
    return text("roster." + key, **values)


# --- school facts ---------------------------------------------------------------------------------

ACTIVE_STATUS = "在學"
# Statuses of students who no longer sit in a class: never auto-enrolled, not counted as missing.
LEFT_STATUSES = frozenset({"轉出", "轉學", "休學", "退學", "畢業", "死亡", "開除", "出國"})

CONVENER = "科召集人"
STAFF_ROLES = (
    "任課教師", "導師", "課程諮詢教師", CONVENER, "註冊組", "教學組", "訓育組", "社團組",
    "生輔組", "輔導室", "資媒組", "校長", "教務主任",
)
# Section heads are the platform-management proxy chain (rule 七): 註冊組長 → 教學組長 → 資媒組長.
# A head is also a member of the section, so checks on the section role keep working for them.
HEAD_ROLES = {"註冊組長": "註冊組", "教學組長": "教學組", "資媒組長": "資媒組"}
ROLE_ALIASES = {
    "任課老師": "任課教師",
    "教師": "任課教師",
    "班導": "導師",
    "班導師": "導師",
    "課諮教師": "課程諮詢教師",
    "課諮老師": "課程諮詢教師",
    "課程諮詢老師": "課程諮詢教師",
    "科主席": CONVENER,
    "教務處註冊組": "註冊組",
    "教務處教學組": "教學組",
    "學務處訓育組": "訓育組",
    "學務處社團組": "社團組",
    "學務處生輔組": "生輔組",
    "資訊媒體組": "資媒組",
    "圖書館資訊媒體組": "資媒組",
    "輔導處": "輔導室",
}
ROLE_SEPARATORS = re.compile(r"[、,，/;；\s]+")

MIN_ACADEMIC_YEAR, MAX_ACADEMIC_YEAR = 80, 250  # Minguo; 2026 = 115
IMPORT_LOCK = "roster-import"


# --- national ID ----------------------------------------------------------------------------------

# Area letters in the order of their codes 10..35 (I, O, W, Z were added after the first 22).
_AREA_CODES = {letter: code for code, letter in enumerate("ABCDEFGHJKLMNPQRSTUVXYWZIO", start=10)}
# Citizens have 1/2 as the second digit; resident certificates since 2021 have 8/9.
_ID_FORMAT = re.compile(r"[A-Z][1289]\d{8}")
# Resident certificates issued before 2021 have a second letter A-D; they stay valid for years.
_OLD_RESIDENT_FORMAT = re.compile(r"[A-Z][A-D]\d{8}")
_ID_WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)


def normalise_national_id(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).upper()


def is_valid_national_id(value: str) -> bool:
    """A Taiwanese national ID or resident certificate number with a correct check digit."""
    number = normalise_national_id(value)
    if _ID_FORMAT.fullmatch(number):
        second = int(number[1])
    elif _OLD_RESIDENT_FORMAT.fullmatch(number):
        second = _AREA_CODES[number[1]] % 10
    else:
        return False
    area = _AREA_CODES[number[0]]
    digits = (area // 10, area % 10, second, *(int(d) for d in number[2:]))
    return sum(d * w for d, w in zip(digits, _ID_WEIGHTS)) % 10 == 0


# --- dates and phones -----------------------------------------------------------------------------

_DATE_PARTS = re.compile(r"[-/.年月日\s]+")


def parse_roster_date(text: str) -> date:
    """2009-05-01, 2009/5/1, 20090501, Minguo 98/05/01, 98年5月1日 or 0980501; ValueError if not."""
    value = unicodedata.normalize("NFKC", text).strip().removeprefix("民國").strip()
    if value.isdigit():
        if len(value) == 8:
            year, month, day = value[:4], value[4:6], value[6:]
        elif len(value) in (6, 7):
            year, month, day = value[:-4], value[-4:-2], value[-2:]
        else:
            raise ValueError(text)
    else:
        parts = [p for p in _DATE_PARTS.split(value) if p]
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError(text)
        year, month, day = parts
    full_year = int(year) + (1911 if len(year) <= 3 else 0)
    if not 1912 <= full_year <= 2100:
        raise ValueError(text)
    return date(full_year, int(month), int(day))


def normalise_phone(value: str) -> str | None:
    """A Taiwanese mobile number as 09xxxxxxxx, or None if it is not one."""
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", value))
    if digits.startswith("+886"):
        digits = "0" + digits[4:]
    elif digits.startswith("886") and len(digits) == 12:
        digits = "0" + digits[3:]
    if re.fullmatch(r"9\d{8}", digits):  # Excel ate the leading zero of a number cell
        digits = "0" + digits
    return digits if re.fullmatch(r"09\d{8}", digits) else None


# --- reading files --------------------------------------------------------------------------------


class RosterFileError(Exception):
    """The file as a whole cannot be used; lines say why, in the registrar's words."""

    def __init__(self, *lines: str) -> None:
        super().__init__("\n".join(lines))
        self.lines = list(lines)


@dataclass
class RosterTable:
    """A file's non-blank rows as text, each with its row number as a spreadsheet shows it."""

    rows: list[tuple[int, list[str]]]


_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_TEXT_SUFFIXES = {".csv", ".txt", ".tsv", ""}
_ZIP_MAGIC = b"PK\x03\x04"
_BIG5_FAMILY = {"big5", "cp950", "big5hkscs"}


def read_roster_file(path: str | Path) -> RosterTable:
    """Read a CSV (UTF-8, UTF-8 with BOM, Big5/CP950, UTF-16) or the first sheet of an .xlsx."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise RosterFileError(t("file.not_found", name=path.name)) from None
    suffix = path.suffix.lower()
    if suffix in _XLSX_SUFFIXES or data.startswith(_ZIP_MAGIC):
        table = _read_xlsx(data)
    elif suffix in _TEXT_SUFFIXES:
        table = _read_csv(data)
    else:
        raise RosterFileError(t("file.unsupported", suffix=suffix))
    if not table.rows:
        raise RosterFileError(t("file.empty"))
    return table


def decode_text(data: bytes) -> str:
    """The text of a CSV export: BOM-marked UTF-16, strict UTF-8, strict CP950, then a guess."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp950"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding.replace("_", "").lower() not in _BIG5_FAMILY:
        return str(best)
    # Big5 that strict CP950 refuses is nearly always 造字 (the school's private characters):
    # guessing would put a wrong character in a name, so name the rows instead.
    guessed = data.decode("cp950", errors="replace")
    bad_rows = [number for number, cells in _csv_rows(guessed) if any("\ufffd" in c for c in cells)]
    if not bad_rows:
        raise RosterFileError(t("file.encoding"))
    raise RosterFileError(
        *(t("row.line", row=number, reasons=t("file.private_chars")) for number in bad_rows)
    )


def _read_csv(data: bytes) -> RosterTable:
    return RosterTable(rows=[(n, cells) for n, cells in _csv_rows(decode_text(data)) if any(cells)])


def _csv_rows(text: str) -> Iterable[tuple[int, list[str]]]:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";"), key=first_line.count)
    # A record is one spreadsheet row even when a quoted cell spans lines.
    for number, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter),
                                    start=1):
        yield number, [_csv_cell(cell) for cell in record]


def _csv_cell(cell: str) -> str:
    cell = cell.strip()
    # Excel's way of keeping leading zeros in a CSV: ="0123"
    if len(cell) >= 3 and cell.startswith('="') and cell.endswith('"'):
        cell = cell[2:-1]
    return cell


def _read_xlsx(data: bytes) -> RosterTable:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for broken or encrypted files
        raise RosterFileError(t("file.bad_xlsx")) from None
    try:
        sheet = workbook.worksheets[0]
        # Some exporters write a wrong sheet size, and read-only mode would cut columns by it.
        sheet.reset_dimensions()  # type: ignore[union-attr]
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_xlsx_cell(v) for v in values]
            if any(cells):
                rows.append((number, cells))
        return RosterTable(rows=rows)
    finally:
        workbook.close()


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 110123.0 is a student number, not a measurement
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


# --- columns and rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label_key: str
    aliases: tuple[str, ...] = ()
    required: bool = True

    @property
    def label(self) -> str:
        return t(self.label_key)

    def header_names(self) -> set[str]:
        return {_header_key(self.label), *(_header_key(a) for a in self.aliases)}


def _header_key(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", header)).casefold()


@dataclass(frozen=True)
class RosterRow:
    number: int
    values: dict[str, str]


# A title row ("某某高中 學生名冊") may sit above the header; look a few rows down for it.
_HEADER_SEARCH_ROWS = 5


def map_rows(table: RosterTable, columns: tuple[Column, ...]) -> list[RosterRow]:
    """The data rows keyed by column; RosterFileError names missing or repeated columns."""
    by_name = {name: column for column in columns for name in column.header_names()}
    header_at = 0
    for index, (_, cells) in enumerate(table.rows[:_HEADER_SEARCH_ROWS]):
        if any(_header_key(c) in by_name for c in cells):
            header_at = index
            break
    header = table.rows[header_at][1]
    positions: dict[str, int] = {}
    for position, cell in enumerate(header):
        column = by_name.get(_header_key(cell))
        if column is None:
            continue  # extra columns are the school system's business
        if column.key in positions:
            raise RosterFileError(t("file.duplicate_column", column=column.label))
        positions[column.key] = position
    missing = [c.label for c in columns if c.required and c.key not in positions]
    if missing:
        found = "、".join(c for c in header if c) or t("change.empty")
        raise RosterFileError(t("file.missing_columns", columns="、".join(missing), found=found))
    rows = [
        RosterRow(number, {key: cells[pos] if pos < len(cells) else ""
                           for key, pos in positions.items()})
        for number, cells in table.rows[header_at + 1:]
    ]
    if not rows:
        raise RosterFileError(t("file.no_rows"))
    return rows


class RowCheck:
    """One data row under check: typed getters that note every problem instead of stopping."""

    def __init__(self, row: RosterRow, problems: list[str]) -> None:
        self.row = row
        self.number = row.number
        self.problems = problems

    @property
    def failed(self) -> bool:
        return bool(self.problems)

    def problem(self, reason: str) -> None:
        if reason not in self.problems:
            self.problems.append(reason)

    def given(self, key: str) -> bool:
        return bool(self.row.values.get(key))

    def text(self, key: str, label_key: str, limit: int, *, required: bool = True) -> str | None:
        """A name as written (inner spaces squeezed, full-width space included)."""
        value = " ".join(self.row.values.get(key, "").split())
        return self._checked(value, label_key, limit, required)

    def code(self, key: str, label_key: str, limit: int, *, required: bool = True) -> str | None:
        """A number-like code (學號, 班級, 課程代碼): full-width digits folded, no spaces."""
        value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", self.row.values.get(key, "")))
        return self._checked(value, label_key, limit, required)

    def _checked(self, value: str, label_key: str, limit: int, required: bool) -> str | None:
        if not value:
            if required:
                self.problem(t("row.required", label=t(label_key)))
            return None
        if len(value) > limit:
            self.problem(t("row.too_long", label=t(label_key), limit=limit))
            return None
        return value

    def integer(self, key: str, reason: str, low: int, high: int, *,
                required: bool = True, label_key: str | None = None) -> int | None:
        value = unicodedata.normalize("NFKC", self.row.values.get(key, "")).strip()
        if not value:
            if required:
                self.problem(t("row.required", label=t(label_key)) if label_key else reason)
            return None
        if not value.isdigit() or not low <= int(value) <= high:
            self.problem(reason)
            return None
        return int(value)

    def grade(self, key: str = "grade") -> int | None:
        value = unicodedata.normalize("NFKC", self.row.values.get(key, "")).strip()
        value = value.removeprefix("高").removesuffix("年級")
        number = {"一": "1", "二": "2", "三": "3"}.get(value, value)
        if number not in ("1", "2", "3"):
            self.problem(t("row.grade_range") if value else t("row.required", label=t("col.grade")))
            return None
        return int(number)

    def academic_year(self, key: str, reason_key: str, *, required: bool = True) -> int | None:
        return self.integer(key, t(reason_key), MIN_ACADEMIC_YEAR, MAX_ACADEMIC_YEAR,
                            required=required)

    def day(self, key: str, label_key: str) -> date | None:
        raw = self.row.values.get(key, "").strip()
        if not raw:
            return None
        try:
            return parse_roster_date(raw)
        except ValueError:
            self.problem(t("row.date", label=t(label_key), value=raw))
            return None

    def national_id(self, key: str = "national_id") -> str | None:
        value = normalise_national_id(self.row.values.get(key, ""))
        if not value:
            self.problem(t("row.required", label=t("col.national_id")))
            return None
        if not is_valid_national_id(value):
            self.problem(t("row.national_id_format"))
            return None
        return value

    def phone(self, key: str = "phone") -> str | None:
        raw = self.row.values.get(key, "").strip()
        if not raw:
            return None
        phone = normalise_phone(raw)
        if phone is None:
            self.problem(t("row.phone"))
        return phone

    def roles(self, key: str = "roles") -> set[str] | None:
        text = unicodedata.normalize("NFKC", self.row.values.get(key, ""))
        words = [w for w in ROLE_SEPARATORS.split(text) if w]
        if not words:
            self.problem(t("row.roles_empty"))
            return None
        roles: set[str] = set()
        for word in words:
            role = ROLE_ALIASES.get(word, word)
            if role in HEAD_ROLES:
                roles.update((role, HEAD_ROLES[role]))
            elif role in STAFF_ROLES:
                roles.add(role)
            else:
                self.problem(t("row.unknown_role", role=word))
        return roles


# --- plans and results ----------------------------------------------------------------------------

Action = Literal["new", "update", "same"]


@dataclass
class Planned:
    """What one valid row will do; apply is called only on a real import of a clean file."""

    action: Action
    label: str
    changes: list[str] = field(default_factory=list)
    apply: Callable[[], None] | None = None


class Diffs:
    """Field changes to one stored row: the lines to show and the assignments to make."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.lines: list[str] = []
        self._assignments: list[tuple[str, Any]] = []

    def field(self, attr: str, new: Any, label_key: str,
              show: Callable[[Any], str] | None = None) -> bool:
        old = getattr(self.target, attr)
        if old == new:
            return False
        render = show or _show
        self.lines.append(
            t("change.arrow", label=t(label_key), old=render(old), new=render(new)))
        self._assignments.append((attr, new))
        return True

    def assign(self, attr: str, value: Any, line: str | None = None) -> None:
        """An assignment whose line the caller words (or that rides on another line)."""
        if line:
            self.lines.append(line)
        self._assignments.append((attr, value))

    def apply(self) -> None:
        for attr, value in self._assignments:
            setattr(self.target, attr, value)


def _show(value: Any) -> str:
    return t("change.empty") if value is None or value == "" else str(value)


@dataclass(frozen=True)
class RowError:
    row: int
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        return t("row.line", row=self.row, reasons="；".join(self.reasons))


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    file_errors: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.errors

    @property
    def kind_name(self) -> str:
        return t(f"kind.{self.kind}")

    def error_lines(self) -> list[str]:
        if self.file_errors:
            return [t("summary.file_failed", kind=self.kind_name), *self.file_errors]
        return [t("summary.failed", kind=self.kind_name, count=len(self.errors)),
                *(str(e) for e in self.errors)]

    def summary_lines(self) -> list[str]:
        title = "summary.dry_run" if self.dry_run else "summary.done"
        lines = [t(title, kind=self.kind_name),
                 t("summary.counts", added=self.added, updated=self.updated,
                   unchanged=self.unchanged)]
        if self.changes:
            lines.append(t("summary.updates"))
            lines.extend(f"  {change}" for change in self.changes)
        lines.extend(self.notes)
        return lines


# --- the import context ---------------------------------------------------------------------------


class ImportContext:
    """One import's session, clock and lookups, loaded once instead of one query per row."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.problems: dict[int, list[str]] = {}
        self.notes: list[str] = []
        self.counters: dict[str, int] = {}
        self.before_apply: list[Callable[[], None]] = []
        self.after_apply: list[Callable[[], None]] = []
        self._first_rows: dict[tuple[Any, ...], int] = {}
        self._values: dict[tuple[Any, ...], tuple[Any, int]] = {}
        self.file_values: dict[str, dict[Any, Any]] = {}

    def problems_of(self, row: int) -> list[str]:
        return self.problems.setdefault(row, [])

    def first_row(self, *key: Any, row: int) -> int | None:
        """The earlier row that had this key, or None (and this row becomes the first)."""
        first = self._first_rows.setdefault(key, row)
        return first if first != row else None

    def conflicting_row(self, *key: Any, value: Any, row: int) -> int | None:
        """The earlier row that gave this key a different value, if any."""
        earlier = self._values.setdefault(key, (value, row))
        return earlier[1] if earlier[0] != value else None

    def note_once(self, line: str) -> None:
        if line not in self.notes:
            self.notes.append(line)

    def count(self, name: str, amount: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + amount

    # lookups

    @cached_property
    def classes(self) -> dict[str, SchoolClass]:
        return {c.code: c for c in self.session.scalars(select(SchoolClass))}

    @cached_property
    def class_codes(self) -> dict[int, str]:
        return {c.id: c.code for c in self.classes.values()}

    @cached_property
    def staff(self) -> dict[str, Staff]:
        return {s.staff_no: s for s in self.session.scalars(select(Staff))}

    @cached_property
    def staff_nos(self) -> dict[int, str]:
        return {s.id: s.staff_no for s in self.staff.values()}

    @cached_property
    def students(self) -> dict[str, Student]:
        # The national ID stays encrypted unless a change line needs it masked.
        query = select(Student).options(defer(Student.national_id))
        return {s.student_no: s for s in self.session.scalars(query)}

    @cached_property
    def students_by_hash(self) -> dict[str, Student]:
        return {s.national_id_hash: s for s in self.students.values() if s.national_id_hash}

    @cached_property
    def class_members(self) -> dict[int, list[Student]]:
        members: dict[int, list[Student]] = {}
        for student in self.students.values():
            if student.class_id is not None and student.status not in LEFT_STATUSES:
                members.setdefault(student.class_id, []).append(student)
        return members

    @cached_property
    def terms(self) -> dict[tuple[int, int], Term]:
        return {(x.academic_year, x.semester): x for x in self.session.scalars(select(Term))}

    def term(self, year: int, semester: int) -> Term:
        """The term, made on first use by a real import."""
        term = self.terms.get((year, semester))
        if term is None:
            term = self.terms[(year, semester)] = Term(academic_year=year, semester=semester)
            self.session.add(term)
        return term

    @cached_property
    def courses(self) -> dict[tuple[int, str], list[Course]]:
        by_code: dict[tuple[int, str], list[Course]] = {}
        for course in self.session.scalars(select(Course)):
            by_code.setdefault((course.term_id, course.code), []).append(course)
        return by_code

    @cached_property
    def enrolled(self) -> set[tuple[int, int]]:
        query = select(Enrolment.student_id, Enrolment.course_id)
        return {(student_id, course_id) for student_id, course_id in self.session.execute(query)}

    @cached_property
    def guardian_links(self) -> dict[int, list[GuardianLink]]:
        links: dict[int, list[GuardianLink]] = {}
        query = select(GuardianLink).join(GuardianLink.guardian).options(
            contains_eager(GuardianLink.guardian))
        for link in self.session.scalars(query):
            links.setdefault(link.student_id, []).append(link)
        return links

    @cached_property
    def guardians_by_phone(self) -> dict[tuple[str, str], Guardian]:
        """(name, phone hash) → guardian; rows of this file add the guardians they will create."""
        found: dict[tuple[str, str], Guardian] = {}
        for links in self.guardian_links.values():
            for link in links:
                guardian = link.guardian
                phone_hash = _stored_phone_hash(guardian)
                if phone_hash:
                    found.setdefault((guardian.name, phone_hash), guardian)
        return found

    def known_class(self, check: RowCheck, key: str = "class", *,
                    required: bool = True) -> SchoolClass | None:
        code = check.code(key, "col.class", 16, required=required)
        if code is None:
            return None
        school_class = self.classes.get(code)
        if school_class is None:
            check.problem(t("row.unknown_class", code=code))
        return school_class

    def known_staff(self, check: RowCheck, key: str, label_key: str, *,
                    required: bool = True) -> Staff | None:
        number = check.code(key, label_key, 20, required=required)
        if number is None:
            return None
        staff = self.staff.get(number)
        if staff is None:
            check.problem(t("row.unknown_staff", no=number))
        return staff

    def known_student(self, check: RowCheck) -> Student | None:
        number = check.code("student_no", "col.student_no", 20)
        if number is None:
            return None
        student = self.students.get(number)
        if student is None:
            check.problem(t("row.unknown_student", no=number))
        return student


def _stored_phone_hash(guardian: Guardian) -> str | None:
    if guardian.phone_hash:
        return guardian.phone_hash
    # Guardians entered before phone_hash existed: hash the decrypted phone once.
    return cipher().lookup_hash(guardian.phone) if guardian.phone else None


# --- the kinds ------------------------------------------------------------------------------------

PlanRow = Callable[[ImportContext, RowCheck], "Planned | None"]


@dataclass(frozen=True)
class RosterKind:
    name: str
    columns: tuple[Column, ...]
    plan_row: PlanRow
    # Checks and notes that need every row first (IDs moving between students, missing students).
    finish: Callable[[ImportContext], None] | None = None

    @property
    def title(self) -> str:
        return t(f"kind.{self.name}")

    def describe(self) -> str:
        required = "、".join(c.label for c in self.columns if c.required)
        optional = "、".join(c.label for c in self.columns if not c.required)
        line = t("describe", kind=self.title, required=required)
        return line + (t("describe_optional", optional=optional) if optional else "")


# students -----------------------------------------------------------------------------------------

STUDENT_NO = Column("student_no", "col.student_no", ("student_no", "student id", "studentid"))
CLASS = Column("class", "col.class", ("班級代碼", "班級代號", "班別", "class", "class_code"))
GRADE = Column("grade", "col.grade", ("grade",))
ACADEMIC_YEAR = Column("academic_year", "col.academic_year", ("academic_year", "school_year"))
SEMESTER = Column("semester", "col.semester", ("semester",))
COURSE_CODE = Column("course_code", "col.course_code", ("course_code", "code"))

STUDENT_COLUMNS = (
    STUDENT_NO,
    Column("name", "col.name", ("學生姓名", "name")),
    Column("national_id", "col.national_id",
           ("身份證號", "身分證字號", "身份證字號", "身分證統一編號", "統一證號", "national_id", "id_no")),
    GRADE,
    CLASS,
    Column("seat", "col.seat", ("seat", "seat_no")),
    Column("entry_year", "col.entry_year", ("入學年度", "entry_year"), required=False),
    Column("status", "col.status", ("在學狀態", "status"), required=False),
    Column("birth_date", "col.birth_date", ("生日", "出生年月日", "birth_date", "birthday"),
           required=False),
)


def _plan_student(ctx: ImportContext, row: RowCheck) -> Planned | None:
    number = row.code("student_no", "col.student_no", 20)
    name = row.text("name", "col.name", 64)
    national_id = row.national_id()
    grade = row.grade()
    school_class = ctx.known_class(row)
    seat = row.integer("seat", t("row.seat_number"), 1, 999, label_key="col.seat")
    entry_year = row.academic_year("entry_year", "row.entry_year", required=False)
    status = row.text("status", "col.status", 16, required=False)
    birth_date = row.day("birth_date", "col.birth_date")

    if school_class and grade and school_class.grade != grade:
        row.problem(t("row.grade_mismatch", grade=grade, code=school_class.code,
                      class_grade=school_class.grade))
    if number and (first := ctx.first_row("student_no", number, row=row.number)):
        row.problem(t("row.duplicate_student_no", no=number, first=first))
    id_hash = cipher().lookup_hash(national_id) if national_id else None
    if id_hash and (first := ctx.first_row("national_id", id_hash, row=row.number)):
        row.problem(t("row.duplicate_national_id", first=first))
    if school_class and seat and (
            first := ctx.first_row("seat", school_class.id, seat, row=row.number)):
        row.problem(t("row.duplicate_seat", code=school_class.code, seat=seat, first=first))
    if number and id_hash:
        ctx.file_values.setdefault("id_hash", {})[number] = (id_hash, row.number)
    if row.failed or not (number and name and national_id and id_hash and grade and school_class
                          and seat):
        return None

    label = t("label.student", no=number)
    student = ctx.students.get(number)
    if student is None:
        def create() -> None:
            new = Student(student_no=number, name=name, national_id=national_id,
                          national_id_hash=id_hash, birth_date=birth_date, grade=grade,
                          class_id=school_class.id, seat_no=seat, entry_year=entry_year,
                          status=status or ACTIVE_STATUS)
            ctx.session.add(new)
            ctx.after_apply.append(lambda: _record_class(ctx, new, "history.first"))
        return Planned("new", label, apply=create)

    diffs = Diffs(student)
    diffs.field("name", name, "col.name")
    if student.national_id_hash != id_hash:
        old = mask_national_id(student.national_id) or t("change.empty")
        diffs.assign("national_id", national_id,
                     t("change.arrow", label=t("col.national_id"), old=old,
                       new=mask_national_id(national_id)))
        diffs.assign("national_id_hash", id_hash)
        # Two students' IDs may swap in one file: free the unique hashes before setting any.
        ctx.before_apply.append(lambda: setattr(student, "national_id_hash", None))
    if birth_date is not None:
        diffs.field("birth_date", birth_date, "col.birth_date")
    diffs.field("grade", grade, "col.grade")
    class_changed = diffs.field("class_id", school_class.id, "col.class",
                                show=lambda cid: _show(ctx.class_codes.get(cid)))
    diffs.field("seat_no", seat, "col.seat")
    if entry_year is not None:
        diffs.field("entry_year", entry_year, "col.entry_year")
    if status is not None:
        diffs.field("status", status, "col.status")
    if not diffs.lines:
        return Planned("same", label)

    def update() -> None:
        # In place, never delete and re-create: every record points at students.id (rule 五).
        diffs.apply()
        if class_changed:
            ctx.after_apply.append(lambda: _record_class(ctx, student, "history.class_change"))
    return Planned("update", label, diffs.lines, update)


def _record_class(ctx: ImportContext, student: Student, note_key: str) -> None:
    assert student.class_id is not None
    ctx.session.add(StudentClassHistory(student_id=student.id, class_id=student.class_id,
                                        seat_no=student.seat_no, since=ctx.now, note=t(note_key)))


def _finish_students(ctx: ImportContext) -> None:
    in_file: dict[str, tuple[str, int]] = ctx.file_values.get("id_hash", {})
    for number, (id_hash, row) in in_file.items():
        owner = ctx.students_by_hash.get(id_hash)
        if owner is None or owner.student_no == number:
            continue
        # The owner keeps the ID unless this same file gives the owner a different one.
        # (The owner in the file with this same ID is a duplicate, reported row by row already.)
        if owner.student_no not in in_file:
            ctx.problems_of(row).append(t("row.national_id_taken", no=owner.student_no))
    missing = sum(1 for no, s in ctx.students.items()
                  if no not in in_file and s.status not in LEFT_STATUSES)
    if missing:
        ctx.notes.append(t("note.students_missing", count=missing))


# staff --------------------------------------------------------------------------------------------

STAFF_COLUMNS = (
    Column("staff_no", "col.staff_no", ("教師編號", "職員編號", "員工編號", "staff_no", "teacher_no")),
    Column("name", "col.name", ("name",)),
    Column("roles", "col.roles", ("職務", "roles", "role")),
    Column("subject", "col.subject_area", ("任教科目", "學科", "subject", "department"),
           required=False),
)


def _plan_staff(ctx: ImportContext, row: RowCheck) -> Planned | None:
    number = row.code("staff_no", "col.staff_no", 20)
    name = row.text("name", "col.name", 64)
    roles = row.roles()
    subject = row.text("subject", "col.subject_area", 32, required=False)
    if roles and CONVENER in roles and not subject:
        row.problem(t("row.convener_needs_subject"))
    if number and (first := ctx.first_row("staff_no", number, row=row.number)):
        row.problem(t("row.duplicate_staff_no", no=number, first=first))
    if number:
        ctx.file_values.setdefault("staff_no", {})[number] = row.number
    if row.failed or not (number and name and roles):
        return None

    label = t("label.staff", no=number)
    staff = ctx.staff.get(number)
    if staff is None:
        def create() -> None:
            ctx.session.add(Staff(staff_no=number, name=name, subject=subject,
                                  roles=[StaffRole(role=r) for r in sorted(roles)]))
        return Planned("new", label, apply=create)

    diffs = Diffs(staff)
    diffs.field("name", name, "col.name")
    if subject is not None:
        diffs.field("subject", subject, "col.subject_area")
    old_roles = staff.role_names
    if old_roles != roles:
        diffs.lines.append(t("change.arrow", label=t("col.roles"), old=_roles_text(old_roles),
                             new=_roles_text(roles)))
    if not diffs.lines:
        return Planned("same", label)

    def update() -> None:
        diffs.apply()
        for role in list(staff.roles):
            if role.role not in roles:
                staff.roles.remove(role)
        for name_of_role in sorted(roles - old_roles):
            staff.roles.append(StaffRole(role=name_of_role))
    return Planned("update", label, diffs.lines, update)


def _roles_text(roles: set[str]) -> str:
    order = {role: i for i, role in enumerate((*STAFF_ROLES, *HEAD_ROLES))}
    return "、".join(sorted(roles, key=lambda r: order.get(r, len(order)))) or t("change.empty")


def _finish_staff(ctx: ImportContext) -> None:
    in_file = ctx.file_values.get("staff_no", {})
    missing = sum(1 for no in ctx.staff if no not in in_file)
    if missing:
        ctx.notes.append(t("note.staff_missing", count=missing))


# classes ------------------------------------------------------------------------------------------

CLASS_COLUMNS = (
    CLASS,
    Column("homeroom", "col.homeroom", ("導師教職員編號", "導師教師編號", "homeroom_teacher",
                                        "homeroom_teacher_no")),
    GRADE,
)


def _plan_class(ctx: ImportContext, row: RowCheck) -> Planned | None:
    code = row.code("class", "col.class", 16)
    # A blank homeroom cell is allowed: classes are often set up before homerooms are assigned.
    homeroom = ctx.known_staff(row, "homeroom", "col.homeroom", required=False)
    grade = row.grade()
    if code and (first := ctx.first_row("class", code, row=row.number)):
        row.problem(t("row.duplicate_class", code=code, first=first))
    if homeroom and (first := ctx.first_row("homeroom", homeroom.id, row=row.number)):
        row.problem(t("row.homeroom_twice", no=homeroom.staff_no, first=first))
    if row.failed or not (code and grade):
        return None

    label = t("label.class", code=code)
    homeroom_id = homeroom.id if homeroom else None
    school_class = ctx.classes.get(code)
    if school_class is None:
        def create() -> None:
            ctx.session.add(SchoolClass(code=code, grade=grade, homeroom_teacher_id=homeroom_id))
        return Planned("new", label, apply=create)

    diffs = Diffs(school_class)
    diffs.field("grade", grade, "col.grade")
    diffs.field("homeroom_teacher_id", homeroom_id, "col.homeroom",
                show=lambda sid: _show(ctx.staff_nos.get(sid)))
    if not diffs.lines:
        return Planned("same", label)
    return Planned("update", label, diffs.lines, diffs.apply)


# courses ------------------------------------------------------------------------------------------

COURSE_COLUMNS = (
    ACADEMIC_YEAR,
    SEMESTER,
    COURSE_CODE,
    Column("subject", "col.course_subject", ("課程名稱", "科目", "subject", "course_name")),
    Column("class", "col.class", CLASS.aliases, required=False),
    Column("teacher", "col.teacher", ("教師編號", "任課教師編號", "teacher_no", "teacher")),
)


def _term_of(row: RowCheck) -> tuple[int, int] | None:
    year = row.academic_year("academic_year", "row.academic_year")
    semester = row.integer("semester", t("row.semester"), 1, 2, label_key="col.semester")
    return (year, semester) if year and semester else None


def _plan_course(ctx: ImportContext, row: RowCheck) -> Planned | None:
    term_key = _term_of(row)
    code = row.code("course_code", "col.course_code", 32)
    subject = row.text("subject", "col.course_subject", 64)
    school_class = ctx.known_class(row, required=False)
    teacher = ctx.known_staff(row, "teacher", "col.teacher", required=False)
    where = school_class.code if school_class else t("course.no_class")
    class_id = school_class.id if school_class else None
    class_known = school_class is not None or not row.given("class")
    if term_key and code and class_known and (
            first := ctx.first_row("course", term_key, code, class_id, row=row.number)):
        row.problem(t("row.duplicate_course", code=code, where=where, first=first))
    if row.failed or not (term_key and code and subject):
        return None

    label = t("label.course", code=code, where=where)
    teacher_id = teacher.id if teacher else None
    term = ctx.terms.get(term_key)
    if term is None:
        ctx.note_once(t("note.new_term", year=term_key[0], semester=term_key[1]))
    course = next((c for c in ctx.courses.get((term.id, code), []) if c.class_id == class_id),
                  None) if term else None
    # A course bound to a class enrols the whole class; electives come through the enrolments file.
    members = ctx.class_members.get(class_id, []) if class_id else []
    joining = [s for s in members if course is None or (s.id, course.id) not in ctx.enrolled]
    ctx.count("class_enrolments", len(joining))

    def enrol(target: Course) -> None:
        for student in joining:
            ctx.session.add(Enrolment(student_id=student.id, course=target))

    if course is None:
        def create() -> None:
            new = Course(term=ctx.term(*term_key), code=code, subject=subject, class_id=class_id,
                         teacher_id=teacher_id)
            ctx.session.add(new)
            enrol(new)
        return Planned("new", label, apply=create)

    diffs = Diffs(course)
    diffs.field("subject", subject, "col.course_subject")
    diffs.field("teacher_id", teacher_id, "col.teacher",
                show=lambda sid: _show(ctx.staff_nos.get(sid)))
    existing = course

    def update() -> None:
        diffs.apply()
        enrol(existing)
    return Planned("update" if diffs.lines else "same", label, diffs.lines,
                   update if diffs.lines or joining else None)


def _finish_courses(ctx: ImportContext) -> None:
    if ctx.counters.get("class_enrolments"):
        ctx.notes.append(t("note.class_enrolments", count=ctx.counters["class_enrolments"]))


# enrolments ---------------------------------------------------------------------------------------

ENROLMENT_COLUMNS = (ACADEMIC_YEAR, SEMESTER, STUDENT_NO, COURSE_CODE)


def _plan_enrolment(ctx: ImportContext, row: RowCheck) -> Planned | None:
    term_key = _term_of(row)
    student = ctx.known_student(row)
    code = row.code("course_code", "col.course_code", 32)
    if row.failed or not (term_key and student and code):
        return None
    term = ctx.terms.get(term_key)
    if term is None:
        row.problem(t("row.unknown_term", year=term_key[0], semester=term_key[1]))
        return None
    course = _resolve_course(ctx, row, ctx.courses.get((term.id, code), []), student, code, term)
    if course is None:
        return None
    if first := ctx.first_row("enrolment", student.id, course.id, row=row.number):
        row.problem(t("row.duplicate_enrolment", no=student.student_no, code=code, first=first))
        return None

    label = t("label.enrolment", no=student.student_no, code=code)
    if (student.id, course.id) in ctx.enrolled:
        return Planned("same", label)
    return Planned("new", label, apply=lambda: ctx.session.add(
        Enrolment(student_id=student.id, course_id=course.id)))


def _resolve_course(ctx: ImportContext, row: RowCheck, candidates: list[Course],
                    student: Student, code: str, term: Term) -> Course | None:
    """The one course of that code: the only one, else the student's class's, else class-less."""
    if not candidates:
        row.problem(t("row.unknown_course", code=code, year=term.academic_year,
                      semester=term.semester))
        return None
    if len(candidates) == 1:
        return candidates[0]
    for wanted in (student.class_id, None):
        matches = [c for c in candidates if c.class_id == wanted]
        if len(matches) == 1:
            return matches[0]
        if matches:
            break
    row.problem(t("row.ambiguous_course", code=code, no=student.student_no))
    return None


# guardians ----------------------------------------------------------------------------------------

GUARDIAN_COLUMNS = (
    STUDENT_NO,
    Column("guardian_name", "col.guardian_name", ("監護人姓名", "家長", "guardian_name", "guardian")),
    Column("relation", "col.relation", ("稱謂", "relation", "relationship")),
    Column("phone", "col.phone", ("手機號碼", "行動電話", "mobile", "phone"), required=False),
)


def _plan_guardian(ctx: ImportContext, row: RowCheck) -> Planned | None:
    student = ctx.known_student(row)
    name = row.text("guardian_name", "col.guardian_name", 64)
    relation = row.text("relation", "col.relation", 16, required=False)
    phone = row.phone()
    phone_hash = cipher().lookup_hash(phone) if phone else None
    if student and name and (first := ctx.first_row("guardian", student.id, name, row=row.number)):
        row.problem(t("row.duplicate_guardian", no=student.student_no, name=name, first=first))
    if row.failed or not (student and name):
        return None

    label = t("label.guardian", no=student.student_no, name=name)
    links = ctx.guardian_links.get(student.id, [])
    link = next((k for k in links if k.guardian.name == name), None)
    if link is not None:
        return _update_guardian(ctx, row, link, label, relation, phone, phone_hash)

    # A parent of siblings is one guardian with a link per child, found by name and phone.
    guardian = ctx.guardians_by_phone.get((name, phone_hash)) if phone_hash else None
    if guardian is not None:
        ctx.count("shared_guardians")
    else:
        guardian = Guardian(name=name, phone=phone, phone_hash=phone_hash)
        if phone_hash:
            ctx.guardians_by_phone[(name, phone_hash)] = guardian
    shared = guardian

    def create() -> None:
        ctx.session.add(GuardianLink(guardian=shared, student_id=student.id, relation=relation))
    return Planned("new", label, apply=create)


def _update_guardian(ctx: ImportContext, row: RowCheck, link: GuardianLink, label: str,
                     relation: str | None, phone: str | None,
                     phone_hash: str | None) -> Planned | None:
    guardian = link.guardian
    diffs = Diffs(link)
    if relation is not None:
        diffs.field("relation", relation, "col.relation")
    phone_diffs = Diffs(guardian)
    if phone_hash is not None:
        first = ctx.conflicting_row("guardian_phone", guardian.id, value=phone_hash, row=row.number)
        if first:
            row.problem(t("row.phone_conflict", first=first))
            return None
        if _stored_phone_hash(guardian) != phone_hash:
            # Only staff may see a parent's phone; the summary says that it changed, not to what.
            phone_diffs.assign("phone", phone, t("change.phone"))
            phone_diffs.assign("phone_hash", phone_hash)
    lines = diffs.lines + phone_diffs.lines
    if not lines:
        return Planned("same", label)

    def update() -> None:
        diffs.apply()
        phone_diffs.apply()
    return Planned("update", label, lines, update)


def _finish_guardians(ctx: ImportContext) -> None:
    if ctx.counters.get("shared_guardians"):
        ctx.notes.append(t("note.shared_guardian", count=ctx.counters["shared_guardians"]))


# --- running an import ----------------------------------------------------------------------------

KINDS: dict[str, RosterKind] = {
    kind.name: kind
    for kind in (
        RosterKind("students", STUDENT_COLUMNS, _plan_student, _finish_students),
        RosterKind("staff", STAFF_COLUMNS, _plan_staff, _finish_staff),
        RosterKind("classes", CLASS_COLUMNS, _plan_class),
        RosterKind("courses", COURSE_COLUMNS, _plan_course, _finish_courses),
        RosterKind("enrolments", ENROLMENT_COLUMNS, _plan_enrolment),
        RosterKind("guardians", GUARDIAN_COLUMNS, _plan_guardian, _finish_guardians),
    )
}

Source = str | Path | RosterTable


def import_roster(session: Session, kind: str, source: Source, *, now: datetime,
                  dry_run: bool = False) -> ImportResult:
    """Check every row of the file; only if all are good (and not a dry run) write them.

    The caller owns the transaction. Nothing is added to the session unless the whole file
    passed and dry_run is false.
    """
    return run_import(session, KINDS[kind], source, ImportContext, now=now, dry_run=dry_run)


def run_import(session: Session, spec: RosterKind, source: Source,
               make_context: Callable[[Session, datetime], ImportContext], *, now: datetime,
               dry_run: bool = False) -> ImportResult:
    """The all-or-nothing import every kind shares (rosters here, staff-entered records too)."""
    result = ImportResult(kind=spec.name, dry_run=dry_run)
    try:
        table = source if isinstance(source, RosterTable) else read_roster_file(source)
        rows = map_rows(table, spec.columns)
    except RosterFileError as exc:
        result.file_errors = exc.lines
        return result

    # Two imports at once would check against rows the other is about to change.
    lock_named(session, IMPORT_LOCK)
    # UTC inside: SQLite keeps no offset, so a Taipei time would be stored eight hours off.
    ctx = make_context(session, now.astimezone(UTC))
    plans: list[Planned] = []
    for row in rows:
        planned = spec.plan_row(ctx, RowCheck(row, ctx.problems_of(row.number)))
        if planned is not None:
            plans.append(planned)
    if spec.finish is not None:
        spec.finish(ctx)

    result.errors = [RowError(number, tuple(dict.fromkeys(problems)))
                     for number, problems in sorted(ctx.problems.items()) if problems]
    if result.errors:
        return result
    for planned in plans:
        if planned.action == "new":
            result.added += 1
        elif planned.action == "update":
            result.updated += 1
            result.changes.append(f"{planned.label} {'，'.join(planned.changes)}")
        else:
            result.unchanged += 1
    result.notes = ctx.notes
    if dry_run:
        return result

    for step in ctx.before_apply:
        step()
    session.flush()
    for planned in plans:
        if planned.apply is not None:
            planned.apply()
    session.flush()
    # Steps that need the ids the flush just gave (class history of new students).
    for step in ctx.after_apply:
        step()
    session.flush()
    result.applied = True
    return result


def import_students(session: Session, source: Source, *, now: datetime,
                    dry_run: bool = False) -> ImportResult:
    return import_roster(session, "students", source, now=now, dry_run=dry_run)


def import_staff(session: Session, source: Source, *, now: datetime,
                 dry_run: bool = False) -> ImportResult:
    return import_roster(session, "staff", source, now=now, dry_run=dry_run)


def import_classes(session: Session, source: Source, *, now: datetime,
                   dry_run: bool = False) -> ImportResult:
    return import_roster(session, "classes", source, now=now, dry_run=dry_run)


def import_courses(session: Session, source: Source, *, now: datetime,
                   dry_run: bool = False) -> ImportResult:
    return import_roster(session, "courses", source, now=now, dry_run=dry_run)


def import_enrolments(session: Session, source: Source, *, now: datetime,
                      dry_run: bool = False) -> ImportResult:
    return import_roster(session, "enrolments", source, now=now, dry_run=dry_run)


def import_guardians(session: Session, source: Source, *, now: datetime,
                     dry_run: bool = False) -> ImportResult:
    return import_roster(session, "guardians", source, now=now, dry_run=dry_run)
