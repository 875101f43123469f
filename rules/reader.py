"""Reading a school's rules file: TOML in, SchoolRules out, or a RulesError naming the line."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

from rules.calendar_reader import _read_holidays, _read_year, _working_day_after
from rules.defaults import (
    DEFAULT_APPROVAL_NOTICE,
    DEFAULT_CERTIFICATION_DAYS_AFTER_UPLOAD,
    DEFAULT_COUNTED_STATES,
    DEFAULT_ESCALATION_DAYS,
    DEFAULT_EVENT_MONTHS,
    DEFAULT_MONTHLY_QUOTA,
    DEFAULT_PICKING_DAYS,
    DEFAULT_PUSH_EVERY_DAYS,
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    DEFAULT_RECEIPT_DAYS,
    DEFAULT_RETENTION_YEARS,
    DEFAULT_SEAL_WITHOUT_RECEIPT_DAYS,
    DEFAULT_SEMESTER_EVENT_DAYS,
    DEFAULT_SEND_TIME,
    DEFAULT_UPLOAD_DAYS_AFTER_CLOSING,
)
from rules.model import (
    APPROVAL_NOTICE_MODES,
    GRADE12_YEAR_WINDOWS,
    ITEM_STATES,
    NATIONAL_MIN_RECEIPT_DAYS,
    SETTABLE_WINDOWS,
    YEAR_WINDOWS,
    AcademicYear,
    CertCadence,
    ItemLimits,
    Limits,
    QuietHours,
    RulesError,
    ScheduleRow,
    School,
    WindowSetting,
)
from rules.schedule_reader import _read_row
from rules.school_rules import SchoolRules
from rules.toml_tables import Context, TableReader, parse_time

_SCHOOL_CODE_RE: Final = re.compile(r"^\d{6}$")


_TOML_POSITION_RE: Final = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")

DEFAULT_RULES_PATH: Final = Path(__file__).parent / "default.toml"


def load_rules(path: Path | str | None = None) -> SchoolRules:
    """Read and validate a rules file; None means the packaged default."""
    target = Path(path) if path is not None else DEFAULT_RULES_PATH
    source = str(target)
    try:
        raw = target.read_bytes()
    except OSError as exc:
        raise RulesError(
            source, None, f"cannot read the rules file: {exc.strerror or exc}"
        ) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise RulesError(source, line, "the file is not UTF-8 text") from exc
    return parse_rules(text, source)


def check_rules_file(
    path: Path | str,
    *,
    known_text_keys: Collection[str] | None = None,
    known_flows: Collection[str] | None = None,
) -> SchoolRules:
    """Validate a file for `portfolio rules check`; callers above storage pass the catalogue keys
    and flow names so a row pointing at a missing text or flow is caught before it runs."""
    rules = load_rules(path)
    if known_text_keys is None and known_flows is None:
        return rules
    text = Path(path).read_text(encoding="utf-8")
    ctx = Context(rules.source, text)
    for i, row in enumerate(rules.schedule):
        if known_text_keys is not None and row.text_key not in known_text_keys:
            raise ctx.error(
                ("schedule", i, "text"), f"schedule row {row.id!r}: no text {row.text_key!r}"
            )
        if known_flows is not None and row.flow is not None and row.flow not in known_flows:
            raise ctx.error(
                ("schedule", i, "flow"), f"schedule row {row.id!r}: no flow {row.flow!r}"
            )
    return rules


def parse_rules(
    text: str, source: str = "<rules>", *, windows: Sequence[WindowSetting] = ()
) -> SchoolRules:
    """Parse and validate rules TOML; any problem raises RulesError naming the line.

    windows: settings applied on top of the file, later ones winning; a problem they cause is
    reported at the line of the semester or year they change."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, text, source) from None
    ctx = Context(source, text)
    for setting in windows:
        _apply_window_setting(data, setting, ctx)
    rules = _build(TableReader(data, (), ctx))
    return replace(rules, text=text, window_settings=tuple(windows), reparse=parse_rules)


def _apply_window_setting(data: dict[str, Any], setting: WindowSetting, ctx: Context) -> None:
    if setting.kind not in SETTABLE_WINDOWS:
        raise RulesError(ctx.source, None, f"unknown window kind {setting.kind!r}")
    found = data.get("years")
    years: list[Any] = found if isinstance(found, list) else []
    index = next(
        (
            i
            for i, y in enumerate(years)
            if isinstance(y, dict) and y.get("academic_year") == setting.academic_year
        ),
        None,
    )
    if index is None:
        raise RulesError(
            ctx.source, None, f"academic year {setting.academic_year} is not in the rules file"
        )
    year = years[index]
    value = {"start": setting.first_day, "end": setting.last_day}
    if setting.kind in YEAR_WINDOWS or setting.kind.removeprefix("grade12_") in (
        GRADE12_YEAR_WINDOWS
    ):
        year.setdefault("windows", {})[setting.kind] = value
        return
    for semester in year.get("semesters") or []:
        if isinstance(semester, dict) and semester.get("number") == setting.semester:
            semester.setdefault("windows", {})[setting.kind] = value
            return
    raise RulesError(
        ctx.source,
        ctx.line_of(("years", index)),
        f"no semester {setting.academic_year}-{setting.semester} in the rules file",
    )


def _syntax_error(exc: tomllib.TOMLDecodeError, text: str, source: str) -> RulesError:
    message = str(exc)
    match = _TOML_POSITION_RE.search(message)
    if match:
        reason = message[: match.start()]
        return RulesError(source, int(match[1]), f"TOML syntax: {reason} (column {match[2]})")
    reason = message.replace(" (at end of document)", "")
    return RulesError(source, max(1, text.count("\n") + 1), f"TOML syntax: {reason}")


MISSING: Final[Any] = object()


def _build(top: TableReader) -> SchoolRules:
    top.get_int("version", 1, minimum=1, maximum=1)
    holidays = _read_holidays(top)
    shift = _working_day_after(holidays)

    school_table = top.table("school", required=True)
    school = School(
        name=school_table.get_str("name"),
        code=school_table.get_str("code"),
    )
    if not _SCHOOL_CODE_RE.match(school.code):
        raise school_table.error("code", f"school code must be 6 digits, not {school.code!r}")
    school_table.finish()

    limits = _read_limits(top.table("limits"))

    defaults = top.table("window_defaults")
    upload_after = defaults.get_int("upload_days_after_closing", DEFAULT_UPLOAD_DAYS_AFTER_CLOSING)
    cert_after = defaults.get_int(
        "certification_days_after_upload", DEFAULT_CERTIFICATION_DAYS_AFTER_UPLOAD
    )
    picking_days = defaults.get_int("picking_days", DEFAULT_PICKING_DAYS, minimum=1)
    receipt_days = defaults.get_int(
        "receipt_days", DEFAULT_RECEIPT_DAYS, minimum=NATIONAL_MIN_RECEIPT_DAYS
    )
    defaults.finish()

    cert = top.table("certification")
    escalation_days = cert.get_int("escalation_days", DEFAULT_ESCALATION_DAYS)
    push = cert.get_str("push", "16:00")
    every_days = cert.get_int("push_every_days", DEFAULT_PUSH_EVERY_DAYS, minimum=1)
    if push == "immediate":
        cadence = CertCadence(immediate=True, at=None)
    else:
        push_at = parse_time(push)
        if push_at is None:
            raise cert.error(
                "push", f'push must be "immediate" or a time like "16:00", not {push!r}'
            )
        cadence = CertCadence(immediate=False, at=push_at, every_days=every_days)
    cert.finish()

    notes = top.table("notifications")
    send_time = notes.get_time("send_time", DEFAULT_SEND_TIME)
    approval = notes.get_str(
        "approval_notice", DEFAULT_APPROVAL_NOTICE, choices=APPROVAL_NOTICE_MODES
    )
    # Parents always get briefing notices; their child's progress only where the school says so.
    guardian_progress = notes.get_bool("guardian_progress", True)
    quiet_table = notes.table("quiet_hours")
    quiet = QuietHours(
        start=quiet_table.get_time("start", DEFAULT_QUIET_START),
        end=quiet_table.get_time("end", DEFAULT_QUIET_END),
    )
    if quiet.start == quiet.end:
        raise quiet_table.error("start", "quiet hours start and end at the same time")
    quiet_table.finish()
    quota = notes.get_int("monthly_quota", DEFAULT_MONTHLY_QUOTA)
    notes.finish()
    if quiet.contains(send_time):
        raise notes.error("send_time", f"send_time {send_time:%H:%M} falls in the quiet hours")
    if cadence.at is not None and quiet.contains(cadence.at):
        raise cert.error("push", f"push time {cadence.at:%H:%M} falls in the quiet hours")

    retention = top.table("retention")
    retention_years = retention.get_int(
        "years_after_graduation", DEFAULT_RETENTION_YEARS, minimum=1
    )
    seal_without_receipt_days = retention.get_int(
        "seal_without_receipt_days", DEFAULT_SEAL_WITHOUT_RECEIPT_DAYS, minimum=1, maximum=365
    )
    retention.finish()

    events_table = top.table("required_events")
    required_events = {
        kind: events_table.get_int(kind, month, minimum=1, maximum=12)
        for kind, month in DEFAULT_EVENT_MONTHS.items()
    }
    events_table.finish()
    semester_table = top.table("semester_events")
    semester_events = {
        kind: semester_table.get_int(kind, days, minimum=1, maximum=180)
        for kind, days in DEFAULT_SEMESTER_EVENT_DAYS.items()
    }
    semester_table.finish()

    year_readers = top.tables("years")
    if not year_readers:
        raise top.error("years", "the file needs at least one academic year ([[years]])")
    years: dict[int, AcademicYear] = {}
    for reader in year_readers:
        year = _read_year(
            reader, upload_after, cert_after, picking_days, receipt_days, escalation_days, shift
        )
        if year.number in years:
            raise reader.error("academic_year", f"academic year {year.number} appears twice")
        years[year.number] = year

    schedule: list[ScheduleRow] = []
    for reader in top.tables("schedule"):
        row = _read_row(reader, send_time, quiet)
        if any(r.id == row.id for r in schedule):
            raise reader.error("id", f"schedule row id {row.id!r} appears twice")
        schedule.append(row)
    top.finish()

    return SchoolRules(
        source=top.ctx.source,
        school=school,
        years=dict(sorted(years.items())),
        limits=limits,
        escalation_days=escalation_days,
        cert_cadence=cadence,
        approval_notice=approval,
        guardian_progress=guardian_progress,
        send_time=send_time,
        quiet_hours=quiet,
        monthly_quota=quota,
        retention_years=retention_years,
        required_events=required_events,
        semester_events=semester_events,
        schedule=schedule,
        holidays=holidays,
        receipt_days=receipt_days,
        seal_without_receipt_days=seal_without_receipt_days,
    )


def _read_limits(table: TableReader) -> Limits:
    states = table.get_strs("count_states", tuple(sorted(DEFAULT_COUNTED_STATES)))
    for state in states:
        if state not in ITEM_STATES:
            raise table.error(
                "count_states", f"unknown item state {state!r}; states are {sorted(ITEM_STATES)}"
            )
    co = table.table("course_outcome")
    course_outcome = ItemLimits(
        uploads_per_semester=co.get_int("uploads_per_semester", 6, minimum=1),
        uploads_per_year=co.get_int("uploads_per_year", None, minimum=1),
        picks_per_year=co.get_int("picks_per_year", 6, minimum=1),
    )
    co.finish()
    pf = table.table("performance")
    performance = ItemLimits(
        uploads_per_semester=pf.get_int("uploads_per_semester", 10, minimum=1),
        uploads_per_year=pf.get_int("uploads_per_year", 20, minimum=1),
        picks_per_year=pf.get_int("picks_per_year", 10, minimum=1),
    )
    pf.finish()
    table.finish()
    return Limits(course_outcome, performance, frozenset(states))
