"""The school's rules as validated data: calendar, limits, windows, notices and the 附表二 schedule."""

from __future__ import annotations

import difflib
import re
import tomllib
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final, Literal

from storage.clock import TAIPEI, at_taipei, format_date
from catalogue import text

DEFAULT_RULES_PATH: Final = Path(__file__).parent / "school_rules" / "default.toml"

COURSE_OUTCOME: Final = "course_outcome"
PERFORMANCE: Final = "performance"
ITEM_KINDS: Final = (COURSE_OUTCOME, PERFORMANCE)
LIMIT_SCOPES: Final = ("uploads_per_semester", "uploads_per_year", "picks_per_year")
ITEM_STATES: Final = frozenset({"draft", "pending", "certified", "rejected"})

SEMESTER_WINDOWS: Final = ("upload", "performance_upload", "certification")
# Only these may differ for grade 12's last semester (the national two-week rule exempts it).
GRADE12_WINDOWS: Final = ("upload", "certification")
# submission: the day the picks go to the central database, as the agency's letter says
# (視國教署來文), set by staff each year; receipt_confirmation: set when the 收訖明細 is imported.
YEAR_WINDOWS: Final = ("picking", "receipt_confirmation", "submission")
WINDOW_KINDS: Final = SEMESTER_WINDOWS + YEAR_WINDOWS

NATIONAL_UPLOAD_DAYS_AFTER_CLOSING: Final = 14
NATIONAL_MIN_RECEIPT_DAYS: Final = 3
# How long before the rules file's calendar runs out staff hear that the next year is missing.
ROLLOVER_WARNING_DAYS: Final = 60
LAST_GRADE: Final = 12

DEFAULT_UPLOAD_DAYS_AFTER_CLOSING: Final = 14
DEFAULT_CERTIFICATION_DAYS_AFTER_UPLOAD: Final = 7
DEFAULT_PICKING_DAYS: Final = 7
DEFAULT_RECEIPT_DAYS: Final = 3
DEFAULT_COUNTED_STATES: Final = frozenset({"pending", "certified"})
DEFAULT_ESCALATION_DAYS: Final = 3
DEFAULT_CERT_PUSH_AT: Final = time(16, 0)
DEFAULT_SEND_TIME: Final = time(9, 0)
DEFAULT_QUIET_START: Final = time(22, 0)
DEFAULT_QUIET_END: Final = time(7, 0)
DEFAULT_APPROVAL_NOTICE: Final = "next_reply"
DEFAULT_RETENTION_YEARS: Final = 2
# The free plan: a school that has not said what it pays for must not overspend.
DEFAULT_MONTHLY_QUOTA: Final = 200
DEFAULT_EVENT_MONTHS: Final = {
    "student_training": 10,
    "teacher_workshop": 11,
    "parent_briefing": 12,
}

APPROVAL_NOTICE_MODES: Final = ("next_reply", "daily_digest")
PRIORITIES: Final = ("urgent", "normal", "low")

# Audiences are role names (data: matched against staff roles). The other labels are for the
# operator CLI (`portfolio rules show`) and come from the catalogue (rules.label.*).
AUDIENCES: Final[Mapping[str, str]] = {
    "student": "學生",
    "parent": "家長",
    "certifier": "任課教師",
    "homeroom": "導師",
    "consultant": "課程諮詢教師",
    "convener": "科召集人",
    "registrar": "註冊組",
    "teaching": "教學組",
    "activities": "訓育組",
    "clubs": "社團組",
    "conduct": "生輔組",
    "counselling": "輔導室",
    "library_it": "資媒組",
    "working_group": "工作小組",
}


def _labels(group: str, keys: Sequence[str]) -> Mapping[str, str]:
    return {key: text(f"rules.label.{group}.{key}") for key in keys}


WINDOW_LABELS: Final[Mapping[str, str]] = _labels(
    "window", ("upload", "performance_upload", "certification", "picking", "receipt_confirmation",
               "submission")
)
PRIORITY_LABELS: Final[Mapping[str, str]] = _labels("priority", ("urgent", "normal", "low"))
EVENT_LABELS: Final[Mapping[str, str]] = _labels(
    "event", ("student_training", "teacher_workshop", "parent_briefing")
)
STATE_LABELS: Final[Mapping[str, str]] = _labels(
    "state", ("draft", "pending", "certified", "rejected")
)
_ANCHOR_LABELS: Final[Mapping[str, str]] = _labels(
    "anchor", ("semester.start", "semester.closing_ceremony", "semester.end")
)

ItemKind = Literal["course_outcome", "performance"]
LimitScope = Literal["uploads_per_semester", "uploads_per_year", "picks_per_year"]
ApprovalNotice = Literal["next_reply", "daily_digest"]
Priority = Literal["urgent", "normal", "low"]

_ID_RE: Final = re.compile(r"^[a-z][a-z0-9_]*$")
_TEXT_KEY_RE: Final = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_SCHOOL_CODE_RE: Final = re.compile(r"^\d{6}$")
_TIME_RE: Final = re.compile(r"^(\d{1,2}):(\d{2})$")
_ANCHOR_RE: Final = re.compile(
    r"^(?P<anchor>[a-z_]+\.[a-z_]+)\s*(?:(?P<sign>[+-])\s*(?P<days>\d+)\s*d)?$"
)
_DATES_RE: Final = re.compile(r"^on\s+(\d{2}-\d{2}(?:\s*,\s*\d{2}-\d{2})*)$")
_TOML_POSITION_RE: Final = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")

KeyPath = tuple[str | int, ...]


class RulesError(ValueError):
    """A rules file that cannot be used; str() is one line, `<source>:<line>: <reason>`."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {reason}")


class NotConfigured(LookupError):
    """The rules file says nothing about the academic year or semester asked for."""


# --- the data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class School:
    name: str
    code: str


@dataclass(frozen=True)
class Window:
    """A span of whole Taipei days; start and end are aware UTC instants."""

    kind: str
    academic_year: int
    semester: int | None
    first_day: date
    last_day: date
    grade12: bool = False

    @property
    def start(self) -> datetime:
        return at_taipei(self.first_day)

    @property
    def end(self) -> datetime:
        """The last instant of the last day (23:59:59.999999 Taipei)."""
        return self.end_exclusive - timedelta(microseconds=1)

    @property
    def end_exclusive(self) -> datetime:
        return at_taipei(self.last_day + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def contains(self, when: datetime) -> bool:
        return self.start <= _aware(when) < self.end_exclusive


@dataclass(frozen=True)
class Semester:
    academic_year: int
    number: int
    start: date
    closing_ceremony: date
    end: date
    windows: Mapping[str, Window]
    # Grade 12's own windows in its last semester, where the school set them.
    grade12_windows: Mapping[str, Window]

    @property
    def label(self) -> str:
        return f"{self.academic_year}-{self.number}"

    def contains_day(self, day: date) -> bool:
        return self.start <= day <= self.end

    def window(self, kind: str, grade: int | None = None) -> Window:
        if grade == LAST_GRADE and kind in self.grade12_windows:
            return self.grade12_windows[kind]
        try:
            return self.windows[kind]
        except KeyError:
            raise NotConfigured(f"no {kind!r} window in semester {self.label}") from None


@dataclass(frozen=True)
class AcademicYear:
    number: int
    semesters: Mapping[int, Semester]
    windows: Mapping[str, Window]
    # Grade 12's own picking (and submission) before graduation, where the school set them.
    grade12_windows: Mapping[str, Window] = field(default_factory=dict)

    def window(self, kind: str, grade: int | None = None) -> Window:
        if grade == LAST_GRADE and kind in self.grade12_windows:
            return self.grade12_windows[kind]
        try:
            return self.windows[kind]
        except KeyError:
            raise NotConfigured(f"no {kind!r} window in {self.number} yet") from None

    @property
    def first_day(self) -> date:
        return date(self.number + 1911, 8, 1)

    @property
    def last_day(self) -> date:
        return date(self.number + 1912, 7, 31)


@dataclass(frozen=True)
class ItemLimits:
    uploads_per_semester: int
    uploads_per_year: int | None
    picks_per_year: int


@dataclass(frozen=True)
class Limits:
    course_outcome: ItemLimits
    performance: ItemLimits
    counted_states: frozenset[str]


@dataclass(frozen=True)
class CertCadence:
    """How certifiers hear about new items: one digest a day at `at`, or immediately."""

    immediate: bool
    at: time | None


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, wall: time) -> bool:
        if self.start < self.end:
            return self.start <= wall < self.end
        # Crosses midnight, e.g. 22:00-07:00.
        return wall >= self.start or wall < self.end


@dataclass(frozen=True)
class When:
    """When a schedule row falls due: an anchor day plus an offset, or fixed month-days."""

    anchor: str  # "semester.start", "upload.end", ..., or "dates"
    offset_days: int = 0
    month_days: tuple[tuple[int, int], ...] = ()

    @property
    def scope(self) -> Literal["semester", "year", "dates"]:
        if self.anchor == "dates":
            return "dates"
        if self.anchor.split(".")[0] in YEAR_WINDOWS:
            return "year"
        return "semester"

    def describe(self) -> str:
        """The rule in Chinese, for the operator table."""
        if self.anchor == "dates":
            return text("rules.label.when.dates",
                        dates="、".join(f"{m}/{d}" for m, d in self.month_days))
        if self.anchor in _ANCHOR_LABELS:
            base = _ANCHOR_LABELS[self.anchor]
        else:
            kind, edge = self.anchor.split(".")
            base = text("rules.label.when." + ("start" if edge == "start" else "end"),
                        window=WINDOW_LABELS[kind])
        if self.offset_days > 0:
            return text("rules.label.when.after", base=base, days=self.offset_days)
        if self.offset_days < 0:
            return text("rules.label.when.before", base=base, days=-self.offset_days)
        return text("rules.label.when.same_day", base=base)


@dataclass(frozen=True)
class ScheduleRow:
    """One row of 附表二 that the bot acts on."""

    id: str
    what: str
    audience: tuple[str, ...]
    when: When
    priority: Priority
    text_key: str
    flow: str | None
    at: time
    grades: tuple[int, ...] = ()
    semesters: tuple[int, ...] = ()


@dataclass(frozen=True)
class Occurrence:
    """A schedule row due at a concrete instant, with the semester it concerns (None: yearly)."""

    row: ScheduleRow
    due: datetime
    academic_year: int
    semester: int | None


@dataclass(frozen=True)
class WindowSetting:
    """A window the working group set after the file was written (`portfolio windows set`).

    kind is a window kind, or grade12_upload / grade12_certification; semester is None for the
    yearly kinds. Applied on top of the file and checked exactly like it (SchoolRules.with_windows).
    """

    kind: str
    academic_year: int
    semester: int | None
    first_day: date
    last_day: date


# Grade 12's own yearly windows: picking before graduation, and its submission date.
GRADE12_YEAR_WINDOWS: Final = ("picking", "submission")
SETTABLE_WINDOWS: Final = (
    WINDOW_KINDS
    + tuple(f"grade12_{k}" for k in GRADE12_WINDOWS)
    + tuple(f"grade12_{k}" for k in GRADE12_YEAR_WINDOWS)
)


@dataclass(frozen=True)
class SchoolRules:
    source: str
    school: School
    years: Mapping[int, AcademicYear]
    limits: Limits
    escalation_days: int
    cert_cadence: CertCadence
    approval_notice: ApprovalNotice
    guardian_progress: bool
    send_time: time
    quiet_hours: QuietHours
    monthly_quota: int
    retention_years: int
    required_events: Mapping[str, int]
    schedule: list[ScheduleRow]
    # Days off besides weekends (the rules file's `holidays`): derived dates skip them.
    holidays: frozenset[date] = frozenset()
    # Whole days students get to confirm the 收訖明細 after it is imported (at least 3).
    receipt_days: int = DEFAULT_RECEIPT_DAYS
    # The file's text and the windows set on top of it, so with_windows can rebuild and re-check.
    text: str = field(default="", repr=False, compare=False)
    window_settings: tuple[WindowSetting, ...] = ()

    def with_windows(self, settings: Sequence[WindowSetting]) -> SchoolRules:
        """These rules with windows set later; the result passes every check the file must."""
        if not settings:
            return self
        return parse_rules(self.text, self.source, windows=(*self.window_settings, *settings))

    # --- calendar ---

    def year(self, academic_year: int) -> AcademicYear:
        try:
            return self.years[academic_year]
        except KeyError:
            raise NotConfigured(f"academic year {academic_year} is not in {self.source}") from None

    def semester(self, academic_year: int, number: int) -> Semester:
        try:
            return self.year(academic_year).semesters[number]
        except KeyError:
            raise NotConfigured(f"no semester {academic_year}-{number} in {self.source}") from None

    def semesters(self) -> list[Semester]:
        return [s for y in sorted(self.years) for _, s in sorted(self.years[y].semesters.items())]

    def semester_at(self, when: datetime) -> Semester | None:
        """The semester whose days (start..end, Taipei) include this instant; None in breaks."""
        day = _aware(when).astimezone(TAIPEI).date()
        for semester in self.semesters():
            if semester.contains_day(day):
                return semester
        return None

    def current_semester(self, now: datetime) -> Semester | None:
        """The semester now, or during a break the one that ended last: its windows may run on."""
        day = _aware(now).astimezone(TAIPEI).date()
        latest: Semester | None = None
        for semester in self.semesters():
            if semester.start <= day:
                latest = semester
        return latest

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        """The day itself when it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    @property
    def calendar_end(self) -> date:
        """The last day the rules file has a calendar for (31 July of its last year)."""
        return self.year(max(self.years)).last_day

    def rollover_due(self, now: datetime) -> bool:
        """Whether the calendar runs out within ROLLOVER_WARNING_DAYS (add the next 學年度)."""
        today = _aware(now).astimezone(TAIPEI).date()
        return today >= self.calendar_end - timedelta(days=ROLLOVER_WARNING_DAYS)

    # --- windows ---

    def window(
        self,
        kind: str,
        academic_year: int,
        semester: int | None = None,
        *,
        grade: int | None = None,
    ) -> Window:
        """A window; yearly kinds ignore `semester`; grade 12 gets its own where configured."""
        if kind in YEAR_WINDOWS:
            return self.year(academic_year).window(kind, grade)
        if kind not in SEMESTER_WINDOWS:
            raise ValueError(f"unknown window kind {kind!r}; expected one of {WINDOW_KINDS}")
        if semester is None:
            raise ValueError(f"the {kind!r} window is per semester: pass the semester number")
        return self.semester(academic_year, semester).window(kind, grade)

    @property
    def windows(self) -> list[Window]:
        """Every window of every configured year, in time order."""
        found: list[Window] = []
        for semester in self.semesters():
            found.extend(semester.windows.values())
            found.extend(semester.grade12_windows.values())
        for y in self.years.values():
            found.extend(y.windows.values())
            found.extend(y.grade12_windows.values())
        return sorted(found, key=lambda w: (w.first_day, WINDOW_KINDS.index(w.kind), w.grade12))

    def overlaps(self) -> list[tuple[Window, Window]]:
        """Upload windows of the same kind of different semesters that are open on the same
        days: an item uploaded then belongs to the window the student chooses. (Certification
        windows may overlap freely: each item knows its semester.)"""
        found: list[tuple[Window, Window]] = []
        semester_windows = [w for w in self.windows
                            if w.kind in ("upload", "performance_upload")]
        for i, a in enumerate(semester_windows):
            for b in semester_windows[i + 1:]:
                if a.kind != b.kind or (a.academic_year, a.semester) == (b.academic_year,
                                                                         b.semester):
                    continue
                if a.first_day <= b.last_day and b.first_day <= a.last_day:
                    found.append((a, b))
        return found

    def escalation_at(
        self, academic_year: int, semester: int, *, grade: int | None = None
    ) -> datetime:
        """When pending items move to the next certifier: `escalation_days` before the end."""
        window = self.window("certification", academic_year, semester, grade=grade)
        return window.end_exclusive - timedelta(days=self.escalation_days)

    # --- limits ---

    def limit_for(self, item_kind: str, scope: str) -> int | None:
        """The cap for an item kind and scope; None means the school sets no cap there."""
        if item_kind not in ITEM_KINDS:
            raise ValueError(f"unknown item kind {item_kind!r}; expected one of {ITEM_KINDS}")
        if scope not in LIMIT_SCOPES:
            raise ValueError(f"unknown limit scope {scope!r}; expected one of {LIMIT_SCOPES}")
        limits: ItemLimits = getattr(self.limits, item_kind)
        value: int | None = getattr(limits, scope)
        return value

    def counts_toward_limit(self, state: str) -> bool:
        return state in self.limits.counted_states

    # --- sending ---

    def is_quiet(self, now: datetime) -> bool:
        return self.quiet_hours.contains(_aware(now).astimezone(TAIPEI).time())

    def next_send_time(self, now: datetime) -> datetime:
        """Now, or the end of the quiet hours now in force."""
        now = _aware(now)
        if not self.is_quiet(now):
            return now
        local = now.astimezone(TAIPEI)
        day = local.date()
        if self.quiet_hours.start > self.quiet_hours.end and local.time() >= self.quiet_hours.start:
            day += timedelta(days=1)
        return at_taipei(day, self.quiet_hours.end.hour, self.quiet_hours.end.minute)

    def next_certification_push(self, now: datetime) -> datetime:
        """When certifiers next hear about items that arrived by `now`."""
        now = _aware(now)
        at = self.cert_cadence.at
        if self.cert_cadence.immediate or at is None:
            return self.next_send_time(now)
        local_day = now.astimezone(TAIPEI).date()
        due = at_taipei(local_day, at.hour, at.minute)
        return due if due >= now else at_taipei(local_day + timedelta(days=1), at.hour, at.minute)

    # --- other dates ---

    def event_deadline(self, kind: str, academic_year: int) -> datetime:
        """The end of the month (Taipei) by which a rule-六 event must exist that year."""
        month = self.required_events[kind]
        first_year = academic_year + 1911 if month >= 8 else academic_year + 1912
        next_month = date(first_year + month // 12, month % 12 + 1, 1)
        return at_taipei(next_month) - timedelta(microseconds=1)

    def retention_end(self, graduated_on: date) -> date:
        """The first day a graduate's sealed portfolio may be deleted (rule 九)."""
        try:
            return graduated_on.replace(year=graduated_on.year + self.retention_years)
        except ValueError:  # 29 February into a common year
            return date(graduated_on.year + self.retention_years, 3, 1)

    # --- the schedule ---

    def row(self, row_id: str) -> ScheduleRow:
        for row in self.schedule:
            if row.id == row_id:
                return row
        raise KeyError(row_id)

    def occurrences(self, row: ScheduleRow, academic_year: int) -> list[datetime]:
        """The instants a row falls due in that academic year, at its Taipei send time."""
        return [o.due for o in self.row_occurrences(row, academic_year)]

    def row_occurrences(self, row: ScheduleRow, academic_year: int) -> list[Occurrence]:
        year = self.year(academic_year)
        found: list[Occurrence] = []

        def add(day: date, semester: int | None) -> None:
            due = at_taipei(day, row.at.hour, row.at.minute)
            found.append(Occurrence(row, due, academic_year, semester))

        grade = LAST_GRADE if row.grades == (LAST_GRADE,) else None
        scope = row.when.scope
        if scope == "dates":
            for month, day_of_month in row.when.month_days:
                calendar_year = academic_year + (1911 if month >= 8 else 1912)
                day = date(calendar_year, month, day_of_month)
                semester = next((s for s in year.semesters.values() if s.contains_day(day)), None)
                number = semester.number if semester else None
                if row.semesters and number not in row.semesters:
                    continue
                add(day, number)
        elif scope == "year":
            kind, edge = row.when.anchor.split(".")
            try:
                window = year.window(kind, grade)
            except NotConfigured:  # e.g. no submission date set yet
                return []
            base = window.first_day if edge == "start" else window.last_day
            add(base + timedelta(days=row.when.offset_days), None)
        else:
            for number, semester in sorted(year.semesters.items()):
                if row.semesters and number not in row.semesters:
                    continue
                add(_anchor_day(row.when, semester, grade), number)
        return sorted(found, key=lambda o: o.due)

    def due_between(self, after: datetime, until: datetime) -> list[Occurrence]:
        """Every occurrence with after < due <= until, for a job that runs now and then."""
        after, until = _aware(after), _aware(until)
        found = [
            o
            for y in sorted(self.years)
            for row in self.schedule
            for o in self.row_occurrences(row, y)
            if after < o.due <= until
        ]
        return sorted(found, key=lambda o: (o.due, o.row.id))

    def notice_values(
        self, academic_year: int, semester: int | None = None, *, grade: int | None = None
    ) -> dict[str, str]:
        """Placeholders for a notice's catalogue text: dates as people read them, and limits."""
        y = self.year(academic_year)
        co, pf = self.limits.course_outcome, self.limits.performance
        values = {
            "school": self.school.name,
            "academic_year": str(academic_year),
            "co_upload_limit": str(co.uploads_per_semester),
            "co_pick_limit": str(co.picks_per_year),
            "pf_upload_limit": str(pf.uploads_per_semester),
            "pf_year_limit": str(pf.uploads_per_year or ""),
            "pf_pick_limit": str(pf.picks_per_year),
        }
        for kind, key in (("picking", "picking"), ("receipt_confirmation", "receipt"),
                          ("submission", "submission")):
            try:
                window = y.window(kind, grade)
            except NotConfigured:
                continue
            values[f"{key}_start"] = format_date(window.first_day)
            values[f"{key}_end"] = format_date(window.last_day)
        if semester is not None:
            s = self.semester(academic_year, semester)
            upload = s.window("upload", grade)
            certification = s.window("certification", grade)
            values |= {
                "semester": str(semester),
                "upload_start": format_date(upload.first_day),
                "upload_end": format_date(upload.last_day),
                "performance_upload_end": format_date(s.window("performance_upload").last_day),
                "certification_end": format_date(certification.last_day),
                "escalation_date": format_date(
                    self.escalation_at(academic_year, semester, grade=grade)
                ),
            }
        return values


def overlap_notes(rules: SchoolRules) -> list[str]:
    """Each pair of overlapping windows in words, for `rules check` and `windows set`."""
    notes = []
    for a, b in rules.overlaps():
        first, last = max(a.first_day, b.first_day), min(a.last_day, b.last_day)
        notes.append(text(
            "school_rules.overlap",
            window=WINDOW_LABELS[a.kind] + (text("rules.label.table.grade12")
                                            if a.grade12 or b.grade12 else ""),
            a=f"{a.academic_year}-{a.semester}", b=f"{b.academic_year}-{b.semester}",
            start=format_date(first), end=format_date(last),
        ))
    return notes


def _anchor_day(when: When, semester: Semester, grade: int | None) -> date:
    head, edge = when.anchor.split(".")
    if head == "semester":
        base: date = getattr(semester, edge)
    else:
        window = semester.window(head, grade)
        base = window.first_day if edge == "start" else window.last_day
    return base + timedelta(days=when.offset_days)


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("rules need an aware datetime (UTC inside, Asia/Taipei at the edge)")
    return when


# --- loading ----------------------------------------------------------------------------------


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
    ctx = _Context(rules.source, text)
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
    ctx = _Context(source, text)
    for setting in windows:
        _apply_window_setting(data, setting, ctx)
    rules = _build(_Reader(data, (), ctx))
    return replace(rules, text=text, window_settings=tuple(windows))


def _apply_window_setting(data: dict[str, Any], setting: WindowSetting, ctx: _Context) -> None:
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


_MISSING: Final[Any] = object()


class _Context:
    """The file being read, with a lazily built index from key paths to line numbers."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text
        self._lines: dict[KeyPath, int] | None = None

    def line_of(self, path: KeyPath) -> int:
        if self._lines is None:
            self._lines = _key_lines(self.text)
        for cut in range(len(path), 0, -1):
            line = self._lines.get(path[:cut])
            if line is not None:
                return line
        return 1

    def error(self, path: KeyPath, reason: str) -> RulesError:
        return RulesError(self.source, self.line_of(path), reason)


class _Reader:
    """One table being read: typed getters take known keys; finish() rejects the rest."""

    def __init__(self, data: Mapping[str, Any], path: KeyPath, ctx: _Context) -> None:
        self.data = data
        self.path = path
        self.ctx = ctx
        self.asked: list[str] = []

    @property
    def name(self) -> str:
        return ".".join(p for p in self.path if isinstance(p, str)) or "top level"

    def error(self, key: str | None, reason: str) -> RulesError:
        return self.ctx.error(self.path + ((key,) if key else ()), reason)

    def has(self, key: str) -> bool:
        return key in self.data

    def _raw(self, key: str, default: Any) -> Any:
        self.asked.append(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            # A missing key next to a near-miss is a typo: point at the typo, not the header.
            typo = difflib.get_close_matches(key, [k for k in self.data if k not in self.asked], 1)
            if typo:
                raise self.error(
                    typo[0], f"unknown key {typo[0]!r} in [{self.name}] (did you mean {key!r}?)"
                )
            raise self.error(None, f"[{self.name}] needs {key!r}")
        return default

    def get_int(
        self, key: str, default: Any = _MISSING, *, minimum: int = 0, maximum: int | None = None
    ) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.data:
            return value
        # bool is an int in Python; `true` for a count is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"{key} must be a whole number, not {value!r}")
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"{minimum}..{maximum}" if maximum is not None else f"at least {minimum}"
            raise self.error(key, f"{key} must be {bounds}, not {value}")
        return value

    def get_bool(self, key: str, default: Any = _MISSING) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.data:
            return value
        if not isinstance(value, bool):
            raise self.error(key, f"{key} must be true or false, not {value!r}")
        return value

    def get_str(self, key: str, default: Any = _MISSING, *, choices: Sequence[str] = ()) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.data:
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"{key} must be non-empty text, not {value!r}")
        if choices and value not in choices:
            raise self.error(key, f"{key} must be one of {', '.join(choices)}; not {value!r}")
        return value

    def get_strs(self, key: str, default: Any = _MISSING) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.data:
            return value
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
            raise self.error(key, f"{key} must be text or a non-empty list of text")
        return tuple(items)

    def get_ints(self, key: str, allowed: Collection[int]) -> tuple[int, ...]:
        value = self._raw(key, ())
        if value == ():
            return ()
        items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
        if (
            not isinstance(items, list)
            or not items
            or not all(
                isinstance(v, int) and not isinstance(v, bool) and v in allowed for v in items
            )
        ):
            raise self.error(
                key, f"{key} must be a list drawn from {sorted(allowed)}, not {value!r}"
            )
        return tuple(sorted(set(items)))

    def get_date(self, key: str, default: Any = _MISSING) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.data:
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        elif isinstance(value, date) and not isinstance(value, datetime):
            return value
        raise self.error(key, f"{key} must be a date like 2026-08-31, not {value!r}")

    def get_time(self, key: str, default: Any = _MISSING) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.data:
            return value
        parsed = _parse_time(value)
        if parsed is None:
            raise self.error(key, f'{key} must be a time like "16:00", not {value!r}')
        return parsed

    def table(self, key: str, *, required: bool = False) -> _Reader:
        value = self._raw(key, _MISSING if required else {})
        if not isinstance(value, dict):
            raise self.error(key, f"{key} must be a table")
        return _Reader(value, self.path + (key,), self.ctx)

    def tables(self, key: str) -> list[_Reader]:
        value = self._raw(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(key, f"{key} must be an array of tables ([[{key}]])")
        return [_Reader(v, self.path + (key, i), self.ctx) for i, v in enumerate(value)]

    def finish(self) -> None:
        unknown = [k for k in self.data if k not in self.asked]
        if not unknown:
            return
        key = min(unknown, key=lambda k: self.ctx.line_of(self.path + (k,)))
        hint = difflib.get_close_matches(key, self.asked, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise self.error(key, f"unknown key {key!r} in [{self.name}]{suggestion}")


def _parse_time(value: Any) -> time | None:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0) if value.tzinfo is None else None
    if isinstance(value, str):
        match = _TIME_RE.match(value.strip())
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            return time(int(match[1]), int(match[2]))
    return None


def _read_holidays(top: _Reader) -> frozenset[date]:
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
            span = _Reader(entry, top.path + ("holidays",), top.ctx)
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


def _build(top: _Reader) -> SchoolRules:
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
        push_at = _parse_time(push)
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
        schedule=schedule,
        holidays=holidays,
        receipt_days=receipt_days,
    )


def _read_limits(table: _Reader) -> Limits:
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
    table: _Reader, key: str, default_first: date, default_last: date
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
    reader: _Reader,
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
            sem_reader, number, first_day, last_day, upload_after, cert_after, escalation_days,
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
    spans = {1: (first_day, semesters[2].start - timedelta(days=1)),
             2: (semesters[2].start, last_day)}
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
            table, "grade12_picking", shift(base + timedelta(days=1)),
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
    return AcademicYear(number=number, semesters=semesters, windows=windows,
                        grade12_windows=grade12)


def _read_semester(
    reader: _Reader,
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
            f"least {closing_floor} (14 days after the closing ceremony {closing}); only grade 12's "
            f"last semester may end earlier (grade12_upload)"
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
    table: _Reader, key: str, label: str, windows: Mapping[str, Window], escalation_days: int
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


def _read_row(reader: _Reader, send_time: time, quiet: QuietHours) -> ScheduleRow:
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
    valid = anchor in _ANCHOR_LABELS or (head in WINDOW_KINDS and edge in ("start", "end"))
    if not valid:
        return None
    days = int(match["days"] or 0)
    return When(anchor, -days if match["sign"] == "-" else days)


# --- where keys are: a small scanner so semantic errors can name a line ------------------------


def _key_lines(text: str) -> dict[KeyPath, int]:
    """Map key paths (arrays of tables by index) to the line that defines them.

    Only runs on text tomllib accepted, so it can be simple: it tracks strings and brackets
    just enough to skip the continuation lines of multi-line values."""
    lines: dict[KeyPath, int] = {}
    array_counts: dict[KeyPath, int] = {}
    table: KeyPath = ()
    open_string: str | None = None
    depth = 0

    def resolve(parts: list[str]) -> KeyPath:
        out: list[str | int] = []
        for part in parts:
            out.append(part)
            count = array_counts.get(tuple(out))
            if count is not None:
                out.append(count)
        return tuple(out)

    for number, line in enumerate(text.splitlines(), start=1):
        if open_string is not None or depth > 0:
            open_string, depth = _scan_value(line, open_string, depth)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[["):
            parts = _split_key(stripped[2 : stripped.index("]]")])
            parent = resolve(parts[:-1])
            array = parent + (parts[-1],)
            array_counts[array] = array_counts.get(array, -1) + 1
            lines.setdefault(array, number)
            table = array + (array_counts[array],)
            lines[table] = number
            continue
        if stripped.startswith("["):
            table = resolve(_split_key(stripped[1 : _header_end(stripped)]))
            lines.setdefault(table, number)
            continue
        equals = _key_end(stripped)
        if equals < 0:
            continue
        lines.setdefault(table + tuple(_split_key(stripped[:equals])), number)
        open_string, depth = _scan_value(stripped[equals + 1 :], None, 0)
    return lines


def _split_key(key: str) -> list[str]:
    """Dotted key → parts, honouring quoted parts."""
    parts: list[str] = []
    current = ""
    quote: str | None = None
    for ch in key.strip():
        if quote:
            if ch == quote:
                quote = None
            else:
                current += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return parts


def _header_end(header: str) -> int:
    quote: str | None = None
    for i, ch in enumerate(header):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "]":
            return i
    return len(header)


def _key_end(line: str) -> int:
    quote: str | None = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            return i
    return -1


def _scan_value(text: str, open_string: str | None, depth: int) -> tuple[str | None, int]:
    """Carry string and bracket state across one line of a value."""
    i = 0
    while i < len(text):
        if open_string is not None:
            if open_string in ('"', '"""') and text[i] == "\\":
                i += 2
                continue
            if text.startswith(open_string, i):
                i += len(open_string)
                open_string = None
                continue
            i += 1
            continue
        ch = text[i]
        if ch == "#":
            break
        if text.startswith('"""', i) or text.startswith("'''", i):
            open_string = text[i : i + 3]
            i += 3
            continue
        if ch in "\"'":
            open_string = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        i += 1
    if open_string in ('"', "'"):
        open_string = None  # single-line strings cannot continue
    return open_string, depth


# --- the operator's table -----------------------------------------------------------------------


def render_rules_table(rules: SchoolRules, academic_year: int) -> str:
    """The rules as they will run in one academic year, with concrete Taipei dates."""

    def lab(key: str, **values: Any) -> str:
        return text("rules.label." + key, **values)

    def cols(*keys: str) -> list[str]:
        return [lab(f"col.{key}") for key in keys]

    year = rules.year(academic_year)
    out: list[str] = [
        lab("table.title", school=rules.school.name, code=rules.school.code, year=academic_year),
        lab("table.source", source=rules.source),
        "",
        lab("table.semesters"),
    ]
    out += _aligned(
        cols("semester", "semester_start", "closing_ceremony", "semester_end"),
        [
            [s.label, format_date(s.start), format_date(s.closing_ceremony), format_date(s.end)]
            for _, s in sorted(year.semesters.items())
        ],
    )

    out += ["", lab("table.windows")]
    window_rows: list[list[str]] = []
    for w in rules.windows:
        if w.academic_year != academic_year:
            continue
        label = WINDOW_LABELS[w.kind] + (lab("table.grade12") if w.grade12 else "")
        scope = (f"{academic_year}-{w.semester}" if w.semester
                 else lab("table.year_scope", year=academic_year))
        window_rows.append(
            [label, scope, format_date(w.first_day), format_date(w.last_day),
             lab("table.days", days=w.days)]
        )
    out += _aligned(cols("window", "scope", "start", "end", "days"), window_rows)
    for number in sorted(year.semesters):
        escalate = rules.escalation_at(academic_year, number)
        out.append(lab("table.escalation", term=f"{academic_year}-{number}",
                       date=format_date(escalate), days=rules.escalation_days))

    out += ["", lab("table.limits")]

    def cap(value: int | None) -> str:
        return str(value) if value is not None else lab("table.unlimited")

    out += _aligned(
        cols("item", "uploads_per_semester", "uploads_per_year", "picks_per_year"),
        [
            [
                name,
                cap(lim.uploads_per_semester),
                cap(lim.uploads_per_year),
                cap(lim.picks_per_year),
            ]
            for name, lim in (
                (lab("table.course_outcome"), rules.limits.course_outcome),
                (lab("table.performance"), rules.limits.performance),
            )
        ],
    )
    counted = "、".join(STATE_LABELS[s] for s in sorted(rules.limits.counted_states))
    out.append(lab("table.counted", states=counted))

    out += ["", lab("table.notices")]
    cadence = rules.cert_cadence
    push = (lab("table.push_immediate") if cadence.immediate or cadence.at is None
            else lab("table.push_daily", time=f"{cadence.at:%H:%M}"))
    approval = lab(f"table.approval.{rules.approval_notice}")
    out += [
        lab("table.notice_times", send=f"{rules.send_time:%H:%M}", push=push, approval=approval),
        lab("table.quiet", start=f"{rules.quiet_hours.start:%H:%M}",
            end=f"{rules.quiet_hours.end:%H:%M}", quota=rules.monthly_quota,
            years=rules.retention_years),
        lab("table.events", events="；".join(
            lab("table.event_deadline", event=EVENT_LABELS[kind],
                date=format_date(rules.event_deadline(kind, academic_year)))
            for kind in rules.required_events
        )),
    ]

    out += ["", lab("table.schedule")]
    schedule_rows: list[list[str]] = []
    occurrences = sorted(
        (o for row in rules.schedule for o in rules.row_occurrences(row, academic_year)),
        key=lambda o: (o.due, rules.schedule.index(o.row)),
    )
    for o in occurrences:
        local = o.due.astimezone(TAIPEI)
        audience = "、".join(AUDIENCES[a] for a in o.row.audience)
        if o.row.grades:
            audience += lab("table.grades",
                            grades="、".join(lab(f"table.grade.{g}") for g in o.row.grades))
        schedule_rows.append(
            [
                format_date(local),
                f"{local:%H:%M}",
                f"{academic_year}-{o.semester}" if o.semester else lab("table.whole_year"),
                o.row.what,
                audience,
                PRIORITY_LABELS[o.row.priority],
                o.row.when.describe(),
                o.row.id,
            ]
        )
    waiting = [row for row in rules.schedule if not rules.row_occurrences(row, academic_year)]
    for row in waiting:
        # Rows that wait for staff: the submission date, the imported 收訖明細.
        schedule_rows.append([text("school_rules.table.waiting"), "", lab("table.whole_year"),
                              row.what, "、".join(AUDIENCES[a] for a in row.audience),
                              PRIORITY_LABELS[row.priority], row.when.describe(), row.id])
    out += _aligned(
        cols("date", "time", "semester", "item", "audience", "priority", "rule", "id"),
        schedule_rows,
    )
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _aligned(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(cell) for cell in column) for column in zip(headers, *rows)]

    def line(cells: list[str]) -> str:
        padded = [cell + " " * (width - _width(cell)) for cell, width in zip(cells, widths)]
        return "  ".join(padded).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]
