"""The school's rules as validated data: calendar, limits, windows, notices, the 附表二 schedule."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final, Literal

from catalogue import text
from storage.clock import TAIPEI, at_taipei, format_date

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
# Rosters number grades 1-3 (高一至高三); the rules speak of 10-12.
ROSTER_GRADE_OFFSET: Final = 9


def rules_grade(grade: int | None) -> int | None:
    """A grade as the rules count it, whether a roster's 3 or the rules' 12 came in."""
    if grade is None:
        return None
    return grade + ROSTER_GRADE_OFFSET if grade <= 3 else grade


DEFAULT_UPLOAD_DAYS_AFTER_CLOSING: Final = 14
DEFAULT_CERTIFICATION_DAYS_AFTER_UPLOAD: Final = 7
DEFAULT_PICKING_DAYS: Final = 7
DEFAULT_RECEIPT_DAYS: Final = 3
# Rule 九: graduates are sealed at the latest this many days after their submission date,
# whether or not the 收訖明細 came back.
DEFAULT_SEAL_WITHOUT_RECEIPT_DAYS: Final = 60
DEFAULT_COUNTED_STATES: Final = frozenset({"pending", "certified"})
DEFAULT_ESCALATION_DAYS: Final = 3
# A certifier hears of new items at most once in this many days (the rules can say otherwise).
DEFAULT_PUSH_EVERY_DAYS: Final = 1
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
# Each semester, this many days after its first day the event must be on the calendar (seed
# 三: the working group meets every semester; 附表一: 教學組's workshop and 輔導室's training).
DEFAULT_SEMESTER_EVENT_DAYS: Final = {
    "working_group_meeting": 30,
    "teaching_workshop": 90,
    "counselling_training": 90,
}

APPROVAL_NOTICE_MODES: Final = ("next_reply", "daily_digest")
PRIORITIES: Final = ("urgent", "normal", "low")

# Audiences are role names (data: matched against staff roles). The other labels are for the
# operator CLI (`portfolio rules show`) and come from the catalogue (rules.label.*).
AUDIENCES: Final[Mapping[str, str]] = {
    "student": "學生",
    "parent": "家長",
    "certifier": "任課教師",
    "teacher": "任課教師",
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
    "executive_secretary": "執行秘書",
}


def _labels(group: str, keys: Sequence[str]) -> Mapping[str, str]:
    return {key: text(f"rules.label.{group}.{key}") for key in keys}


WINDOW_LABELS: Final[Mapping[str, str]] = _labels(
    "window",
    (
        "upload",
        "performance_upload",
        "certification",
        "picking",
        "receipt_confirmation",
        "submission",
    ),
)
PRIORITY_LABELS: Final[Mapping[str, str]] = _labels("priority", ("urgent", "normal", "low"))
EVENT_LABELS: Final[Mapping[str, str]] = _labels(
    "event", ("student_training", "teacher_workshop", "parent_briefing")
)
STATE_LABELS: Final[Mapping[str, str]] = _labels(
    "state", ("draft", "pending", "certified", "rejected")
)
ANCHOR_LABELS: Final[Mapping[str, str]] = _labels(
    "anchor", ("semester.start", "semester.closing_ceremony", "semester.end")
)

ItemKind = Literal["course_outcome", "performance"]
LimitScope = Literal["uploads_per_semester", "uploads_per_year", "picks_per_year"]
ApprovalNotice = Literal["next_reply", "daily_digest"]
Priority = Literal["urgent", "normal", "low"]


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
        if rules_grade(grade) == LAST_GRADE and kind in self.grade12_windows:
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
        if rules_grade(grade) == LAST_GRADE and kind in self.grade12_windows:
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
    """How certifiers hear about new items: a digest at `at` on at most one day in `every_days`
    (notes about moved or offered items still go the same day), or immediately."""

    immediate: bool
    at: time | None
    every_days: int = 1


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
            return text(
                "rules.label.when.dates", dates="、".join(f"{m}/{d}" for m, d in self.month_days)
            )
        if self.anchor in ANCHOR_LABELS:
            base = ANCHOR_LABELS[self.anchor]
        else:
            kind, edge = self.anchor.split(".")
            base = text(
                "rules.label.when." + ("start" if edge == "start" else "end"),
                window=WINDOW_LABELS[kind],
            )
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
    # Days after grade 12's submission date after which graduates are sealed without receipts.
    seal_without_receipt_days: int = DEFAULT_SEAL_WITHOUT_RECEIPT_DAYS
    # Per-semester events (kind -> days after the first day of term), see semester_event_deadline.
    semester_events: Mapping[str, int] = field(default_factory=dict)
    # The file's text and the windows set on top of it, so with_windows can rebuild and re-check.
    text: str = field(default="", repr=False, compare=False)
    window_settings: tuple[WindowSetting, ...] = ()
    # The reader that made these rules (rules.reader.parse_rules), handed in so the data needs
    # no import of its reader: with_windows reads the same text again through it.
    reparse: Callable[..., SchoolRules] | None = field(default=None, repr=False, compare=False)

    def with_windows(self, settings: Sequence[WindowSetting]) -> SchoolRules:
        """These rules with windows set later; the result passes every check the file must."""
        if not settings:
            return self
        if self.reparse is None:
            raise ValueError("these rules were not read from a rules file")
        return self.reparse(self.text, self.source, windows=(*self.window_settings, *settings))

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
        semester_windows = [w for w in self.windows if w.kind in ("upload", "performance_upload")]
        for i, a in enumerate(semester_windows):
            for b in semester_windows[i + 1 :]:
                if a.kind != b.kind or (a.academic_year, a.semester) == (
                    b.academic_year,
                    b.semester,
                ):
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

    def semester_event_deadline(self, kind: str, semester: Semester) -> datetime:
        """The end of the day by which a per-semester event must be on the calendar (never
        after the semester's closing ceremony)."""
        days = self.semester_events[kind]
        last = min(semester.start + timedelta(days=days), semester.closing_ceremony)
        return at_taipei(last + timedelta(days=1)) - timedelta(microseconds=1)

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
        for kind, key in (
            ("picking", "picking"),
            ("receipt_confirmation", "receipt"),
            ("submission", "submission"),
        ):
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
        notes.append(
            text(
                "school_rules.overlap",
                window=WINDOW_LABELS[a.kind]
                + (text("rules.label.table.grade12") if a.grade12 or b.grade12 else ""),
                a=f"{a.academic_year}-{a.semester}",
                b=f"{b.academic_year}-{b.semester}",
                start=format_date(first),
                end=format_date(last),
            )
        )
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
