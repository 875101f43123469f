"""收訖明細: read the central database's receipt list, let each student answer, report to staff.

The receipt list is a CSV (UTF-8, Big5/CP950 or UTF-16) or the first sheet of an .xlsx, first row
headers. Columns (aliases in RECEIPT_HEADERS):

    身分證號 or 學號   who the item belongs to (either; both must agree when both are given)
    項目類型           課程學習成果 | 多元表現 (or a record type name such as 競賽參與紀錄)
    項目編號           the export's 校內編號 (C12, P7); a file name from the export
                       (115001_C12_doc.pdf) or the bare number (12, with 項目類型) works too
    說明               optional: what the central database says about the item, shown as it is

Nothing is imported while any row has a problem. Students answer each item 正確 or 有誤 (with a
note) until at least the end of the third whole day after the import (national rule), or the
end of the school's receipt_confirmation window if that is later.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalogue import text
from rules.model import COURSE_OUTCOME, NATIONAL_MIN_RECEIPT_DAYS, PERFORMANCE, NotConfigured
from rules.school_rules import SchoolRules
from school import windows
from school.central_format import RECORD_TYPES
from school.pick_candidates import Candidate, candidate_of, get_item, parse_ref, ref_of
from school.roster_files import RosterFileError, read_roster_file
from storage.clock import at_taipei, taipei_date
from storage.crypto import cipher
from storage.models.picking import ANSWER_CORRECT, ANSWER_WRONG, ReceiptItem, ReceiptList
from storage.models.school import Student

NATIONAL_ID: Final = "national_id"
STUDENT_NO: Final = "student_no"
ITEM_TYPE: Final = "item_type"
ITEM_REF: Final = "item_ref"
DESCRIPTION: Final = "description"
RECEIPT_HEADERS: Final[dict[str, tuple[str, ...]]] = {
    NATIONAL_ID: ("身分證號", "身分證字號", "身分證統一編號"),
    STUDENT_NO: ("學號",),
    ITEM_TYPE: ("項目類型", "類型", "紀錄類型", "資料類型"),
    ITEM_REF: ("項目編號", "校內編號", "編號"),
    DESCRIPTION: ("說明", "收訖說明", "備註"),
}
TYPE_WORDS: Final[dict[str, str]] = {
    "課程學習成果": COURSE_OUTCOME,
    "course_outcome": COURSE_OUTCOME,
    "多元表現": PERFORMANCE,
    "performance": PERFORMANCE,
    **{t.label: PERFORMANCE for t in RECORD_TYPES},
    **{t.key: PERFORMANCE for t in RECORD_TYPES},
}
NOTE_MAX: Final = 300
DESCRIPTION_MAX: Final = 300
_REF_IN_NAME = re.compile(r"(?:^|[_/\\])([CPcp]\d{1,10})(?=[_.]|$)")


class ReceiptFileError(ValueError):
    """The file as a whole cannot be used; lines are ready to show (storage.roster's words)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class RowError:
    """One row that cannot be imported; code is a catalogue key suffix, line as Excel numbers it."""

    line: int
    code: str
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceiptRow:
    line: int
    student_id: int
    kind: str
    item_id: int
    ref: str
    description: str | None
    academic_year: int


@dataclass
class ImportPlan:
    source_name: str
    source_sha256: str
    rows: list[ReceiptRow]
    errors: list[RowError]
    academic_year: int | None

    @property
    def students(self) -> set[int]:
        return {r.student_id for r in self.rows}

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


# --- reading ----------------------------------------------------------------------------------


def _header_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().replace(" ", "").replace("\u3000", "")
        for key, aliases in RECEIPT_HEADERS.items():
            if name in aliases and key not in found:
                found[key] = index
    return found


def _ref_from(raw: str, kind: str | None) -> tuple[str, int] | None:
    raw = raw.strip()
    parsed = parse_ref(raw)
    if parsed is not None:
        return parsed
    match = _REF_IN_NAME.search(raw)
    if match:
        return parse_ref(match[1])
    if raw.isdigit() and kind is not None and len(raw) <= 10:
        return kind, int(raw)
    return None


def plan_import(session: Session, path: Path | str, academic_year: int | None = None) -> ImportPlan:
    """Read and check every row; nothing is written. Raises ReceiptFileError for unusable files."""
    path = Path(path)
    try:
        table = read_roster_file(path)
    except RosterFileError as exc:
        raise ReceiptFileError(list(exc.lines)) from None
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    plan = ImportPlan(
        source_name=path.name, source_sha256=sha, rows=[], errors=[], academic_year=academic_year
    )
    if session.scalars(select(ReceiptList.id).where(ReceiptList.source_sha256 == sha)).first():
        plan.errors.append(RowError(0, "already_imported"))
        return plan
    (header_line, header), *body = table.rows
    columns = _header_map(header)
    missing = [RECEIPT_HEADERS[k][0] for k in (ITEM_TYPE, ITEM_REF) if k not in columns]
    if NATIONAL_ID not in columns and STUDENT_NO not in columns:
        missing.insert(0, text("receipts.id_columns"))
    if missing:
        plan.errors.append(
            RowError(header_line, "missing_columns", {"columns": "、".join(missing)})
        )
        return plan

    def get(cells: list[str], key: str) -> str:
        index = columns.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    seen: dict[tuple[str, int], int] = {}
    years: set[int] = set()
    for line, cells in body:
        error = _check_row(session, line, cells, get, seen, academic_year, plan)
        if error is not None:
            plan.errors.append(error)
    for row in plan.rows:
        years.add(row.academic_year)
    if len(years) > 1:
        plan.errors.append(
            RowError(0, "mixed_years", {"years": "、".join(str(y) for y in sorted(years))})
        )
    elif years and plan.academic_year is None:
        plan.academic_year = years.pop()
    if not body:
        plan.errors.append(RowError(header_line, "empty"))
    return plan


def _check_row(
    session: Session,
    line: int,
    cells: list[str],
    get: Any,
    seen: dict[tuple[str, int], int],
    academic_year: int | None,
    plan: ImportPlan,
) -> RowError | None:
    national_id = get(cells, NATIONAL_ID).upper()
    student_no = get(cells, STUDENT_NO)
    student: Student | None = None
    if national_id:
        student = session.scalars(
            select(Student).where(Student.national_id_hash == cipher().lookup_hash(national_id))
        ).first()
    if student_no:
        by_no = session.scalars(select(Student).where(Student.student_no == student_no)).first()
        if student is not None and by_no is not None and by_no.id != student.id:
            return RowError(line, "who_mismatch", {"student_no": student_no})
        student = student or by_no
    if student is None:
        # Never echo a national ID back: the 學號, when there is one, says enough.
        return RowError(line, "no_student", {"student_no": student_no or text("receipts.blank")})
    type_word = get(cells, ITEM_TYPE)
    kind = TYPE_WORDS.get(type_word.strip().replace(" ", ""))
    if kind is None:
        return RowError(line, "unknown_type", {"type": type_word or text("receipts.blank")})
    raw_ref = get(cells, ITEM_REF)
    parsed = _ref_from(raw_ref, kind)
    if parsed is None:
        return RowError(line, "bad_ref", {"ref": raw_ref or text("receipts.blank")})
    ref_kind, item_id = parsed
    ref = ref_of(ref_kind, item_id)
    if ref_kind != kind:
        return RowError(line, "kind_mismatch", {"ref": ref, "type": type_word})
    item = get_item(session, kind, item_id)
    if item is None or item.student_id != student.id:
        return RowError(line, "item_not_found", {"ref": ref, "student_no": student.student_no})
    if item.picked_at is None:
        return RowError(line, "not_picked", {"ref": ref, "student_no": student.student_no})
    if academic_year is not None and item.academic_year != academic_year:
        return RowError(line, "wrong_year", {"ref": ref, "year": str(item.academic_year)})
    if (kind, item_id) in seen:
        return RowError(line, "duplicate", {"ref": ref, "first": str(seen[(kind, item_id)])})
    seen[(kind, item_id)] = line
    description = get(cells, DESCRIPTION)[:DESCRIPTION_MAX] or None
    plan.rows.append(
        ReceiptRow(line, student.id, kind, item_id, ref, description, item.academic_year)
    )
    return None


# --- recording --------------------------------------------------------------------------------


def respond_until(rules: SchoolRules, academic_year: int, now: datetime) -> datetime:
    """The end of the school's receipt_days'th (at least the third) whole Taipei day after the
    import, moved on to a working day; or the end of a window staff set, if that is later."""
    days = max(rules.receipt_days, NATIONAL_MIN_RECEIPT_DAYS)
    last_day = rules.next_working_day(taipei_date(now) + timedelta(days=days))
    minimum = at_taipei(last_day + timedelta(days=1)) - timedelta(microseconds=1)
    try:
        window_end = rules.window("receipt_confirmation", academic_year).end
    except (NotConfigured, KeyError):
        return minimum
    return max(minimum, window_end)


def apply_import(
    session: Session, rules: SchoolRules, plan: ImportPlan, now: datetime
) -> ReceiptList:
    """Store a checked plan as a receipt list; earlier rows for the same items are superseded."""
    if not plan.ok or plan.academic_year is None:
        raise ValueError("only a plan without errors can be imported")
    receipt_list = ReceiptList(
        academic_year=plan.academic_year,
        source_name=plan.source_name[:200],
        source_sha256=plan.source_sha256,
        imported_at=now,
        respond_until=respond_until(rules, plan.academic_year, now),
    )
    session.add(receipt_list)
    # The receipt confirmation opens now: its window (and the reminders that follow it) is the
    # import's, not a date fixed before any submission.
    first = taipei_date(now)
    try:
        first = min(first, rules.window("receipt_confirmation", plan.academic_year).first_day)
    except (NotConfigured, KeyError):
        pass
    last = taipei_date(receipt_list.respond_until)
    windows.record_window_change(
        session,
        kind="receipt_confirmation",
        academic_year=plan.academic_year,
        semester=None,
        first_day=first,
        last_day=last,
        previous=(first, last),
        now=now,
        changed_by="receipts import",
    )
    for row in plan.rows:
        for older in session.scalars(
            select(ReceiptItem).where(
                ReceiptItem.item_kind == row.kind,
                ReceiptItem.item_id == row.item_id,
                ReceiptItem.superseded_at.is_(None),
            )
        ):
            older.superseded_at = now
        receipt_list.items.append(
            ReceiptItem(
                student_id=row.student_id,
                item_kind=row.kind,
                item_id=row.item_id,
                reference=row.ref,
                description=row.description,
            )
        )
    session.flush()
    return receipt_list


# --- the student's side -----------------------------------------------------------------------


@dataclass(frozen=True)
class OpenItem:
    receipt_item_id: int
    ref: str
    description: str | None
    respond_until: datetime
    answer: str | None
    note: str | None
    item: Candidate | None


def open_items(session: Session, student_id: int, now: datetime) -> list[OpenItem]:
    """The student's current (not superseded) received items still open for an answer."""
    rows = session.scalars(
        select(ReceiptItem)
        .join(ReceiptList)
        .options(joinedload(ReceiptItem.receipt_list))
        .where(
            ReceiptItem.student_id == student_id,
            ReceiptItem.superseded_at.is_(None),
            ReceiptList.respond_until >= now,
        )
        .order_by(ReceiptItem.item_kind, ReceiptItem.id)
    ).all()
    return [
        OpenItem(
            r.id,
            r.reference,
            r.description,
            r.receipt_list.respond_until,
            r.answer,
            r.note,
            candidate_of(session, r.item_kind, r.item_id),
        )
        for r in rows
    ]


def open_item(session: Session, student_id: int, receipt_item_id: int) -> OpenItem | None:
    """One of the student's current received items, whether or not its deadline has passed."""
    row = session.get(ReceiptItem, receipt_item_id)
    if row is None or row.student_id != student_id or row.superseded_at is not None:
        return None
    return OpenItem(
        row.id,
        row.reference,
        row.description,
        row.receipt_list.respond_until,
        row.answer,
        row.note,
        candidate_of(session, row.item_kind, row.item_id),
    )


def latest_deadline(session: Session, student_id: int) -> datetime | None:
    """When the student's most recent receipt list closed (to say so after the deadline)."""
    return session.scalar(
        select(ReceiptList.respond_until)
        .join(ReceiptItem)
        .where(ReceiptItem.student_id == student_id, ReceiptItem.superseded_at.is_(None))
        .order_by(ReceiptList.respond_until.desc())
        .limit(1)
    )


def record_answer(
    session: Session,
    student_id: int,
    receipt_item_id: int,
    answer: str,
    note: str | None,
    now: datetime,
) -> str:
    """Store 正確 / 有誤; returns 'ok', 'not_found' or 'closed'."""
    if answer not in (ANSWER_CORRECT, ANSWER_WRONG):
        raise ValueError(f"unknown answer {answer!r}")
    row = session.get(ReceiptItem, receipt_item_id)
    if row is None or row.student_id != student_id or row.superseded_at is not None:
        return "not_found"
    if row.receipt_list.respond_until < now:
        return "closed"
    row.answer = answer
    cleaned = (note or "").strip()[:NOTE_MAX]
    row.note = (cleaned or None) if answer == ANSWER_WRONG else None
    row.answered_at = now
    return "ok"


# --- the staff's side -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportLine:
    student_no: str
    class_seat: str
    name: str
    ref: str
    note: str | None


@dataclass(frozen=True)
class ReceiptReport:
    academic_year: int
    lists: int
    items: int
    answered: int
    respond_until: datetime | None
    wrong: list[ReportLine]
    # Per student: the references still without an answer.
    unanswered: list[tuple[str, str, str, list[str]]]


def report(session: Session, academic_year: int) -> ReceiptReport:
    lists = session.scalars(
        select(ReceiptList).where(ReceiptList.academic_year == academic_year)
    ).all()
    rows = session.scalars(
        select(ReceiptItem)
        .join(ReceiptList)
        .options(joinedload(ReceiptItem.student).joinedload(Student.school_class))
        .where(ReceiptList.academic_year == academic_year, ReceiptItem.superseded_at.is_(None))
    ).all()

    def order(r: ReceiptItem) -> tuple[str, str, int]:
        return (r.student.class_seat, r.student.student_no, r.id)

    rows = sorted(rows, key=order)
    wrong = [
        ReportLine(r.student.student_no, r.student.class_seat, r.student.name, r.reference, r.note)
        for r in rows
        if r.answer == ANSWER_WRONG
    ]
    waiting: dict[int, tuple[str, str, str, list[str]]] = {}
    for r in rows:
        if r.answer is None:
            s = r.student
            waiting.setdefault(s.id, (s.class_seat, s.student_no, s.name, []))[3].append(
                r.reference
            )
    return ReceiptReport(
        academic_year=academic_year,
        lists=len(lists),
        items=len(rows),
        answered=sum(1 for r in rows if r.answer is not None),
        respond_until=max((rl.respond_until for rl in lists), default=None),
        wrong=wrong,
        unanswered=list(waiting.values()),
    )
