"""Reading a school's rules file: TOML in, SchoolRules out, or a RulesError naming the line."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final

from rules.defaults import (
    DEFAULT_APPROVAL_NOTICE,
    DEFAULT_CERTIFICATION_DAYS_AFTER_UPLOAD,
    DEFAULT_COUNTED_STATES,
    DEFAULT_ESCALATION_DAYS,
    DEFAULT_EVENT_MONTHS,
    DEFAULT_MONTHLY_QUOTA,
    DEFAULT_PICKING_DAYS,
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    DEFAULT_RECEIPT_DAYS,
    DEFAULT_RETENTION_YEARS,
    DEFAULT_SEMESTER_EVENT_DAYS,
    DEFAULT_SEND_TIME,
    DEFAULT_UPLOAD_DAYS_AFTER_CLOSING,
)
from rules.labels import ANCHOR_LABELS, AUDIENCES
from rules.model import (
    APPROVAL_NOTICE_MODES,
    GRADE12_WINDOWS,
    GRADE12_YEAR_WINDOWS,
    ITEM_STATES,
    NATIONAL_MIN_RECEIPT_DAYS,
    NATIONAL_UPLOAD_DAYS_AFTER_CLOSING,
    PRIORITIES,
    SETTABLE_WINDOWS,
    WINDOW_KINDS,
    YEAR_WINDOWS,
    AcademicYear,
    CertCadence,
    ItemLimits,
    Limits,
    QuietHours,
    RulesError,
    ScheduleRow,
    School,
    Semester,
    When,
    Window,
    WindowSetting,
)
from rules.school_rules import SchoolRules
from rules.toml_tables import Context, TableReader, parse_time

_ID_RE: Final = re.compile(r"^[a-z][a-z0-9_]*$")
_TEXT_KEY_RE: Final = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_SCHOOL_CODE_RE: Final = re.compile(r"^\d{6}$")
_ANCHOR_RE: Final = re.compile(
    r"^(?P<anchor>[a-z_]+\.[a-z_]+)\s*(?:(?P<sign>[+-])\s*(?P<days>\d+)\s*d)?$"
)
_DATES_RE: Final = re.compile(r"^on\s+(\d{2}-\d{2}(?:\s*,\s*\d{2}-\d{2})*)$")
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


def _read_holidays(top: TableReader) -> frozenset[date]:
    """`holidays = [2027-02-04, { start = 2027-02-04, end = 2027-02-10, name = "春節" }]`."""
    raw = top._raw("holidays", [])
    if not isinstance(raw, list):
        raise top.error("holidays", "holidays must be a list of dates or {start, end} tables")
    days: set[date] = set()
    for entry in raw:
        if isinstance(entry, date) and not isinstance(entry, datetime):
            days.add(entry)
            continue
        if isinstance(entry, dict):
            span = TableReader(entry, top.path + ("holidays",), top.ctx)
            first = span.get_date("start")
            last = span.get_date("end", first)
            span.get_str("name", "")
            span.finish()
            if last < first or (last - first).days > 60:
                raise top.error("holidays", f"holiday {first}..{last} is not a span of days")
            days.update(first + timedelta(days=i) for i in range((last - first).days + 1))
            continue
        raise top.error("holidays", f"holidays: {entry!r} is not a date like 2027-02-04")
    return frozenset(days)


def _working_day_after(holidays: frozenset[date]) -> Callable[[date], date]:
    def shift(day: date) -> date:
        while day.weekday() >= 5 or day in holidays:
            day += timedelta(days=1)
        return day

    return shift


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
    if push == "immediate":
        cadence = CertCadence(immediate=True, at=None)
    else:
        push_at = parse_time(push)
        if push_at is None:
            raise cert.error(
                "push", f'push must be "immediate" or a time like "16:00", not {push!r}'
            )
        cadence = CertCadence(immediate=False, at=push_at)
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


def _read_window(
    table: TableReader, key: str, default_first: date, default_last: date
) -> tuple[date, date, bool]:
    """A window's days; either edge may be omitted and then takes the derived default."""
    if not table.has(key):
        table.asked.append(key)
        return default_first, default_last, False
    sub = table.table(key)
    first = sub.get_date("start", default_first)
    last = sub.get_date("end", default_last)
    sub.finish()
    if last < first:
        raise sub.error("end", f"the {key} window ends ({last}) before it starts ({first})")
    return first, last, True


def _read_year(
    reader: TableReader,
    upload_after: int,
    cert_after: int,
    picking_days: int,
    receipt_days: int,
    escalation_days: int,
    shift: Callable[[date], date] = lambda day: day,
) -> AcademicYear:
    number = reader.get_int("academic_year", minimum=100, maximum=999)
    first_day, last_day = date(number + 1911, 8, 1), date(number + 1912, 7, 31)
    semesters: dict[int, Semester] = {}
    for sem_reader in reader.tables("semesters"):
        semester = _read_semester(
            sem_reader,
            number,
            first_day,
            last_day,
            upload_after,
            cert_after,
            escalation_days,
            shift,
        )
        if semester.number in semesters:
            raise sem_reader.error("number", f"semester {semester.label} appears twice")
        semesters[semester.number] = semester
    if sorted(semesters) != [1, 2]:
        raise reader.error("semesters", f"academic year {number} needs semesters 1 and 2")
    if semesters[1].end >= semesters[2].start:
        raise reader.error(
            "semesters", f"semester {number}-1 ends ({semesters[1].end}) after {number}-2 starts"
        )
    # 附表二 六: students record 多元表現 all year; a semester's window (unless the file sets
    # one) runs from the year's first day to the eve of semester 2, then to the year's end.
    spans = {
        1: (first_day, semesters[2].start - timedelta(days=1)),
        2: (semesters[2].start, last_day),
    }
    for raw in reader.data.get("semesters") or []:
        table_data = raw.get("windows") if isinstance(raw, dict) else None
        sem_number = raw.get("number") if isinstance(raw, dict) else None
        if sem_number not in spans or (
            isinstance(table_data, dict) and "performance_upload" in table_data
        ):
            continue
        semester = semesters[sem_number]
        span_first, span_last = spans[sem_number]
        windows = dict(semester.windows)
        windows["performance_upload"] = Window(
            "performance_upload", number, sem_number, span_first, span_last
        )
        semesters[sem_number] = replace(semester, windows=windows)

    table = reader.table("windows")
    cert_last = semesters[2].windows["certification"].last_day
    pick_first, pick_last, _ = _read_window(
        table,
        "picking",
        shift(cert_last + timedelta(days=1)),
        shift(cert_last + timedelta(days=picking_days)),
    )
    windows = {"picking": Window("picking", number, None, pick_first, pick_last)}
    # The receipt confirmation opens when the 收訖明細 is imported (receipts import sets it),
    # and the submission date follows the agency's letter (staff set it): neither is derived.
    for kind in ("receipt_confirmation", "submission"):
        if not table.has(kind):
            table.asked.append(kind)
            continue
        first, last, _ = _read_window(table, kind, first_day, first_day)
        if kind == "receipt_confirmation" and (last - first).days + 1 < NATIONAL_MIN_RECEIPT_DAYS:
            raise table.error(
                kind,
                f"students must get at least {NATIONAL_MIN_RECEIPT_DAYS} days to confirm the "
                f"receipt list; {first}..{last} is shorter",
            )
        windows[kind] = Window(kind, number, None, first, last)
    # Grade 12 graduates in June: where semester 2 gives grade 12 its own certification window,
    # they pick (and their picks are submitted) before they leave.
    grade12: dict[str, Window] = {}
    g12_cert = semesters[2].grade12_windows.get("certification")
    if g12_cert is not None or table.has("grade12_picking"):
        base = g12_cert.last_day if g12_cert is not None else cert_last
        first, last, _ = _read_window(
            table,
            "grade12_picking",
            shift(base + timedelta(days=1)),
            shift(base + timedelta(days=picking_days)),
        )
        grade12["picking"] = Window("picking", number, None, first, last, grade12=True)
    else:
        table.asked.append("grade12_picking")
    if table.has("grade12_submission"):
        first, last, _ = _read_window(table, "grade12_submission", first_day, first_day)
        grade12["submission"] = Window("submission", number, None, first, last, grade12=True)
    else:
        table.asked.append("grade12_submission")
    table.finish()
    reader.finish()
    return AcademicYear(
        number=number, semesters=semesters, windows=windows, grade12_windows=grade12
    )


def _read_semester(
    reader: TableReader,
    year: int,
    year_first: date,
    year_last: date,
    upload_after: int,
    cert_after: int,
    escalation_days: int,
    shift: Callable[[date], date] = lambda day: day,
) -> Semester:
    number = reader.get_int("number", minimum=1, maximum=2)
    label = f"{year}-{number}"
    start = reader.get_date("start")
    closing = reader.get_date("closing_ceremony")
    end = reader.get_date("end")
    for key, day in (("start", start), ("closing_ceremony", closing), ("end", end)):
        if not year_first <= day <= year_last:
            raise reader.error(
                key,
                f"{label} {key} {day} is outside academic year {year} ({year_first}..{year_last})",
            )
    if not start < closing <= end:
        raise reader.error(
            "closing_ceremony",
            f"{label}: expected start < closing ceremony <= end, got {start}, {closing}, {end}",
        )

    table = reader.table("windows")
    closing_floor = closing + timedelta(days=NATIONAL_UPLOAD_DAYS_AFTER_CLOSING)
    windows: dict[str, Window] = {}
    grade12: dict[str, Window] = {}

    up_first, up_last, explicit = _read_window(
        table, "upload", start, shift(closing + timedelta(days=upload_after))
    )
    if up_last < closing_floor:
        reason = (
            f"{label} upload window ends {up_last}, but the national rule keeps it open until at "
            f"least {closing_floor} (14 days after the closing ceremony {closing}); "
            f"only grade 12's last semester may end earlier (grade12_upload)"
        )
        if explicit:
            raise table.error("upload", reason)
        raise reader.ctx.error(("window_defaults", "upload_days_after_closing"), reason)
    windows["upload"] = Window("upload", year, number, up_first, up_last)
    pf_first, pf_last, _ = _read_window(table, "performance_upload", up_first, up_last)
    windows["performance_upload"] = Window("performance_upload", year, number, pf_first, pf_last)
    cert_first, cert_last, _ = _read_window(
        table, "certification", up_first, shift(up_last + timedelta(days=cert_after))
    )
    windows["certification"] = Window("certification", year, number, cert_first, cert_last)
    _check_certification(table, "certification", label, windows, escalation_days)

    for kind in GRADE12_WINDOWS:
        key = f"grade12_{kind}"
        if not table.has(key):
            table.asked.append(key)
            continue
        if number != 2:
            raise table.error(key, f"{key} belongs to semester 2 only (grade 12's last semester)")
        base = grade12.get("upload", windows["upload"])
        if kind == "upload":
            first, last, _ = _read_window(table, key, base.first_day, base.last_day)
        else:
            first, last, _ = _read_window(
                table, key, base.first_day, shift(base.last_day + timedelta(days=cert_after))
            )
        grade12[kind] = Window(kind, year, number, first, last, grade12=True)
    if grade12:
        # A grade-12 upload window alone still needs a certification window that follows it.
        if "certification" not in grade12:
            up = grade12["upload"]
            grade12["certification"] = Window(
                "certification",
                year,
                number,
                up.first_day,
                shift(up.last_day + timedelta(days=cert_after)),
                grade12=True,
            )
        both = {"upload": grade12.get("upload", windows["upload"]), **grade12}
        _check_certification(table, "grade12_certification", label, both, escalation_days)
    table.finish()
    reader.finish()
    return Semester(year, number, start, closing, end, windows, grade12)


def _check_certification(
    table: TableReader, key: str, label: str, windows: Mapping[str, Window], escalation_days: int
) -> None:
    upload, cert = windows["upload"], windows["certification"]
    if cert.last_day < upload.last_day:
        raise table.error(
            key,
            f"{label} certification ends {cert.last_day}, before uploads close on "
            f"{upload.last_day}: items uploaded last could never be certified",
        )
    if escalation_days >= cert.days:
        raise table.error(
            key,
            f"{label} certification window ({cert.days} days) is not longer than the "
            f"escalation lead time ({escalation_days} days)",
        )


def _read_row(reader: TableReader, send_time: time, quiet: QuietHours) -> ScheduleRow:
    row_id = reader.get_str("id")
    if not _ID_RE.match(row_id):
        raise reader.error("id", f"row id {row_id!r} must be lower-case letters, digits and _")
    what = reader.get_str("what")
    audience = reader.get_strs("audience")
    for who in audience:
        if who not in AUDIENCES:
            raise reader.error(
                "audience",
                f"row {row_id!r}: unknown audience {who!r}; known: {', '.join(AUDIENCES)}",
            )
    when_text = reader.get_str("when")
    when = _parse_when(when_text)
    if when is None:
        raise reader.error(
            "when",
            f'row {row_id!r}: cannot read when = {when_text!r}; expected e.g. "upload.end - 7d", '
            f'"semester.start + 3d", "picking.start" or "on 10-01, 04-01"',
        )
    priority = reader.get_str("priority", "normal", choices=PRIORITIES)
    text_key = reader.get_str("text")
    if not _TEXT_KEY_RE.match(text_key):
        raise reader.error("text", f"row {row_id!r}: {text_key!r} is not a catalogue key")
    flow = reader.get_str("flow", None)
    if flow is not None and not _ID_RE.match(flow):
        raise reader.error("flow", f"row {row_id!r}: {flow!r} is not a flow name")
    at = reader.get_time("at", send_time)
    if quiet.contains(at):
        raise reader.error("at", f"row {row_id!r}: {at:%H:%M} falls in the quiet hours")
    grades = reader.get_ints("grades", (10, 11, 12))
    semesters = reader.get_ints("semesters", (1, 2))
    if semesters and when.scope == "year":
        raise reader.error(
            "semesters", f"row {row_id!r}: semesters filters semester rows; {when_text!r} is yearly"
        )
    reader.finish()
    return ScheduleRow(
        id=row_id,
        what=what,
        audience=audience,
        when=when,
        priority=priority,
        text_key=text_key,
        flow=flow,
        at=at,
        grades=grades,
        semesters=semesters,
    )


def _parse_when(text: str) -> When | None:
    text = text.strip()
    dates = _DATES_RE.match(text)
    if dates:
        month_days: list[tuple[int, int]] = []
        for part in dates[1].split(","):
            month, day = (int(p) for p in part.strip().split("-"))
            try:
                date(2001, month, day)  # a common year: 02-29 would skip three years in four
            except ValueError:
                return None
            month_days.append((month, day))
        return When("dates", 0, tuple(month_days))
    match = _ANCHOR_RE.match(text)
    if not match:
        return None
    anchor = match["anchor"]
    head, edge = anchor.split(".")
    valid = anchor in ANCHOR_LABELS or (head in WINDOW_KINDS and edge in ("start", "end"))
    if not valid:
        return None
    days = int(match["days"] or 0)
    return When(anchor, -days if match["sign"] == "-" else days)
