"""Reading the school system's exports: CSV in any school encoding or xlsx, header rows mapped
to columns, and what a cell may hold (national IDs, dates, phones, staff roles)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import charset_normalizer
from openpyxl import load_workbook

from catalogue import text


# Every text the registrar reads from an import lives in the catalogue under "roster."; the CLI
# prints from it too.
def t(key: str, **values: Any) -> str:
    return text("roster." + key, **values)


CONVENER = "科召集人"


STAFF_ROLES = (
    "任課教師",
    "導師",
    "課程諮詢教師",
    CONVENER,
    "註冊組",
    "教學組",
    "訓育組",
    "社團組",
    "生輔組",
    "輔導室",
    "資媒組",
    "校長",
    "教務主任",
    "工作小組",
)


# Section heads are the platform-management proxy chain (rule 七): 註冊組長 → 教學組長 → 資媒組長.
# A head is also a member of the section, so checks on the section role keep working for them.
HEAD_ROLES = {
    "註冊組長": "註冊組",
    "教學組長": "教學組",
    "資媒組長": "資媒組",
    # Seed 三: the working group's convener (the principal) and executive secretary
    # (the director of academic affairs) are members of it.
    "執行秘書": "工作小組",
    "工作小組召集人": "工作小組",
}


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
    "學習歷程檔案工作小組": "工作小組",
    "工作小組成員": "工作小組",
}


ROLE_SEPARATORS = re.compile(r"[、,，/;；\s]+")


MIN_ACADEMIC_YEAR, MAX_ACADEMIC_YEAR = 80, 250  # Minguo; 2026 = 115


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
    return sum(d * w for d, w in zip(digits, _ID_WEIGHTS, strict=False)) % 10 == 0


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
    for number, record in enumerate(
        csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
    ):
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
        RosterRow(
            number, {key: cells[pos] if pos < len(cells) else "" for key, pos in positions.items()}
        )
        for number, cells in table.rows[header_at + 1 :]
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

    def integer(
        self,
        key: str,
        reason: str,
        low: int,
        high: int,
        *,
        required: bool = True,
        label_key: str | None = None,
    ) -> int | None:
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
        return self.integer(
            key, t(reason_key), MIN_ACADEMIC_YEAR, MAX_ACADEMIC_YEAR, required=required
        )

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


ACTIVE_STATUS = "在學"


# Statuses of students who no longer sit in a class: never auto-enrolled, not counted as missing.
LEFT_STATUSES = frozenset({"轉出", "轉學", "休學", "退學", "畢業", "死亡", "開除", "出國"})
