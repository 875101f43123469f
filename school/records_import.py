"""Staff-entered records from school exports: cadres (訓育組, 社團組) and attendance (生輔組).

Built on the roster import (school/roster.py): the same reader (CSV in any school encoding or
.xlsx), the same header matching, row-numbered checks of every row, all or nothing, dry runs.
Cadre records become 多元表現 of type cadre marked entered_by_staff (shown to the student, not
counted against their upload limits). Attendance is kept at school only: nothing exports it.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from functools import cached_property
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from school import console_access as access
from school import roster_columns
from school.import_plan import (
    Diffs,
    ImportContext,
    ImportResult,
    Planned,
    Progress,
    RosterKind,
    Source,
    run_import,
)
from school.roster_files import Column, RowCheck, t
from school.roster_runs import audited
from storage.clock import academic_year_of
from storage.models.portfolio import SUBMITTED, Performance
from storage.models.records import AttendanceRecord

CADRE: Final = "cadre"
# The central database's cadre levels (flows/performance.py offers the same to students).
CADRE_LEVELS: Final = ("校級幹部", "班級幹部", "社團幹部", "其他幹部")
LEVEL_ALIASES: Final = {level[:2]: level for level in CADRE_LEVELS}  # 校級 → 校級幹部
UNIT_LIMIT, POSITION_LIMIT = 50, 50
PERIOD_LIMIT, LEAVE_LIMIT = 8, 16
PERIOD_WORDS: Final = {"早": "早自習", "早修": "早自習", "午": "午休", "降旗": "降旗"}

# This module's words are in the catalogue under "roster." too (catalogue/zh_TW/), so the
# roster's shared checks and summaries can name our columns and kinds.


class RecordsContext(ImportContext):
    """The roster's lookups plus what staff-entered records need."""

    @cached_property
    def cadres(self) -> dict[tuple[Any, ...], Performance]:
        query = select(Performance).where(
            Performance.record_type == CADRE, Performance.entered_by_staff.is_(True)
        )
        return {
            _cadre_key(p.student_id, p.academic_year, p.semester, p.fields): p
            for p in self.session.scalars(query)
        }

    @cached_property
    def attendance(self) -> dict[tuple[int, date, str], AttendanceRecord]:
        return {
            (a.student_id, a.day, a.period): a
            for a in self.session.scalars(select(AttendanceRecord))
        }


def _cadre_key(
    student_id: int, year: int, semester: int, fields: dict[str, Any]
) -> tuple[Any, ...]:
    return (
        student_id,
        year,
        semester,
        fields.get("unit"),
        fields.get("position"),
        fields.get("start"),
    )


def _show(value: Any) -> str:
    return t("change.empty") if value is None or value == "" else str(value)


def _term(row: RowCheck) -> tuple[int, int] | None:
    year = row.academic_year("academic_year", "row.academic_year")
    semester = row.integer("semester", t("row.semester"), 1, 2, label_key="col.semester")
    return (year, semester) if year is not None and semester is not None else None


def _required_day(row: RowCheck, key: str, label_key: str) -> date | None:
    if not row.given(key):
        row.problem(t("row.required", label=t(label_key)))
        return None
    return row.day(key, label_key)


# cadres ---------------------------------------------------------------------------------------

CADRE_COLUMNS = (
    roster_columns.STUDENT_NO,
    roster_columns.ACADEMIC_YEAR,
    roster_columns.SEMESTER,
    Column("unit", "col.unit", ("單位", "unit")),
    Column("position", "col.position", ("職務", "職稱", "position")),
    Column("start_date", "col.start_date", ("起始日期", "start", "start_date")),
    Column("end_date", "col.end_date", ("迄止日期", "end", "end_date"), required=False),
    Column("level", "col.cadre_level", ("等級", "幹部類別", "level")),
)


def _level(row: RowCheck) -> str | None:
    raw = unicodedata.normalize("NFKC", row.row.values.get("level", "")).strip()
    if not raw:
        row.problem(t("row.required", label=t("col.cadre_level")))
        return None
    level = LEVEL_ALIASES.get(raw, raw)
    if level not in CADRE_LEVELS:
        row.problem(t("row.cadre_level", levels="、".join(CADRE_LEVELS)))
        return None
    return level


def _plan_cadre(ctx: ImportContext, row: RowCheck) -> Planned | None:
    assert isinstance(ctx, RecordsContext)
    student = ctx.known_student(row)
    term = _term(row)
    unit = row.text("unit", "col.unit", UNIT_LIMIT)
    position = row.text("position", "col.position", POSITION_LIMIT)
    start = _required_day(row, "start_date", "col.start_date")
    end = row.day("end_date", "col.end_date")
    level = _level(row)
    if start is not None and end is not None and end < start:
        row.problem(t("row.end_before_start"))
    if row.failed or not (student and term and unit and position and start and level):
        return None
    fields = {
        "unit": unit,
        "start": start.isoformat(),
        "end": end.isoformat() if end else None,
        "position": position,
        "level": level,
    }
    key = _cadre_key(student.id, term[0], term[1], fields)
    if first := ctx.first_row("cadre", *key, row=row.number):
        row.problem(
            t(
                "row.duplicate_cadre",
                no=student.student_no,
                unit=unit,
                position=position,
                start=start.isoformat(),
                first=first,
            )
        )
        return None
    label = t(
        "label.cadre", no=student.student_no, unit=unit, position=position, start=start.isoformat()
    )
    summary = t("summary.cadre", unit=unit, position=position, level=level)
    existing = ctx.cadres.get(key)
    if existing is not None:
        if existing.fields == fields and existing.summary == summary:
            return Planned("same", label)
        changes = [
            t(
                "change.arrow",
                label=t(label_key),
                old=_show(existing.fields.get(name)),
                new=_show(fields[name]),
            )
            for name, label_key in (("end", "col.end_date"), ("level", "col.cadre_level"))
            if existing.fields.get(name) != fields[name]
        ]
        target = existing

        def update() -> None:
            target.fields = fields
            target.summary = summary

        return Planned("update", label, changes, update)

    def create() -> None:
        ctx.session.add(
            Performance(
                student_id=student.id,
                academic_year=term[0],
                semester=term[1],
                record_type=CADRE,
                fields=fields,
                summary=summary,
                status=SUBMITTED,
                created_at=ctx.now,
                submitted_at=ctx.now,
                entered_by_staff=True,
            )
        )

    return Planned("new", label, apply=create)


# attendance -----------------------------------------------------------------------------------

ATTENDANCE_COLUMNS = (
    roster_columns.STUDENT_NO,
    roster_columns.ACADEMIC_YEAR,
    roster_columns.SEMESTER,
    Column("day", "col.day", ("缺曠日期", "請假日期", "date", "day")),
    Column("period", "col.period", ("節", "period")),
    Column("leave_type", "col.leave_type", ("缺曠類別", "類別", "leave_type", "type")),
)


def _period(row: RowCheck) -> str | None:
    raw = unicodedata.normalize("NFKC", row.row.values.get("period", "")).strip()
    raw = raw.removeprefix("第").removesuffix("節").strip()
    raw = PERIOD_WORDS.get(raw, raw)
    if raw.isdigit():
        raw = str(int(raw))
    if not raw:
        row.problem(t("row.required", label=t("col.period")))
        return None
    if len(raw) > PERIOD_LIMIT:
        row.problem(t("row.too_long", label=t("col.period"), limit=PERIOD_LIMIT))
        return None
    return raw


def _plan_attendance(ctx: ImportContext, row: RowCheck) -> Planned | None:
    assert isinstance(ctx, RecordsContext)
    student = ctx.known_student(row)
    term = _term(row)
    day = _required_day(row, "day", "col.day")
    period = _period(row)
    leave = row.text("leave_type", "col.leave_type", LEAVE_LIMIT)
    if term and day and academic_year_of(day) != term[0]:
        row.problem(t("row.year_of_date", label=t("col.day"), value=day.isoformat(), year=term[0]))
    if row.failed or not (student and term and day and period and leave):
        return None
    if first := ctx.first_row("attendance", student.id, day, period, row=row.number):
        row.problem(
            t(
                "row.duplicate_attendance",
                no=student.student_no,
                day=day.isoformat(),
                period=period,
                first=first,
            )
        )
        return None
    ctx.note_once(t("note.attendance_kept"))
    label = t("label.attendance", no=student.student_no, day=day.isoformat(), period=period)
    existing = ctx.attendance.get((student.id, day, period))
    if existing is not None:
        diffs = Diffs(existing)
        diffs.field("leave_type", leave, "col.leave_type")
        diffs.field("academic_year", term[0], "col.academic_year")
        diffs.field("semester", term[1], "col.semester")
        if not diffs.lines:
            return Planned("same", label)
        return Planned("update", label, diffs.lines, diffs.apply)

    def create() -> None:
        ctx.session.add(
            AttendanceRecord(
                student_id=student.id,
                academic_year=term[0],
                semester=term[1],
                day=day,
                period=period,
                leave_type=leave,
                entered_at=ctx.now,
            )
        )

    return Planned("new", label, apply=create)


# --- running an import --------------------------------------------------------------------------

KINDS: Final[dict[str, RosterKind]] = {
    kind.name: kind
    for kind in (
        RosterKind("cadres", CADRE_COLUMNS, _plan_cadre),
        RosterKind("attendance", ATTENDANCE_COLUMNS, _plan_attendance),
    )
}


def import_records(
    session: Session,
    kind: str,
    source: Source,
    *,
    now: datetime,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Check every row; only if all are good (and not a dry run) write them. The caller owns
    the transaction; nothing is added to the session unless the whole file passed. The roster's
    lock is shared: a student import running at the same time could renumber students."""
    return run_import(
        session, KINDS[kind], source, RecordsContext, now=now, dry_run=dry_run, progress=progress
    )


def import_cadres(
    session: Session, source: Source, *, now: datetime, dry_run: bool = False
) -> ImportResult:
    return import_records(session, "cadres", source, now=now, dry_run=dry_run)


def import_attendance(
    session: Session, source: Source, *, now: datetime, dry_run: bool = False
) -> ImportResult:
    return import_records(session, "attendance", source, now=now, dry_run=dry_run)


# --- as the offices run it: check, then apply and audit ------------------------------------------

# The office that owns each kind's import (its audit rows are filed under it).
OWNER: Final = {"cadres": "訓育組", "attendance": "生輔組"}
ACTION: Final = "records_import"


def count_rows(session: Session, kind: str) -> int:
    """The stored rows an import of this kind adds to (counted before and after for the audit)."""
    if kind == "cadres":
        query = select(func.count()).where(
            Performance.record_type == CADRE, Performance.entered_by_staff.is_(True)
        )
    else:
        query = select(func.count()).select_from(AttendanceRecord)
    return int(session.scalar(query) or 0)


def preview(session: Session, kind: str, source: Source, now: datetime) -> ImportResult:
    """The dry run: what the file would add, change and leave, and every error by row.

    Writes nothing; the caller rolls the session back all the same."""
    return import_records(session, kind, source, now=now, dry_run=True)


def apply(
    session: Session,
    kind: str,
    source: Source,
    now: datetime,
    staff_id: int | None,
    file_label: str = "",
    office: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Check again and write every row, or none; a successful import is audited under office
    (the kind's owner unless the caller's office is another that may import it)."""
    return audited(
        session,
        lambda: import_records(session, kind, source, now=now, progress=progress),
        lambda: count_rows(session, kind),
        staff_id,
        office or OWNER[kind],
        ACTION,
        now,
        file_label,
    )


def history(session: Session, offices: set[str], limit: int = 50) -> list[access.AuditRow]:
    """The imports of records filed under these offices, newest first."""
    return access.audit_rows(session, offices, action=ACTION, limit=limit)
