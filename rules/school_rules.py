"""The school's rules as one validated object, and the questions the rest of the code asks it:
which window is open, when the schedule's rows fall due, when to send, what a term's dates are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from catalogue import text
from rules.defaults import DEFAULT_RECEIPT_DAYS, DEFAULT_SEAL_WITHOUT_RECEIPT_DAYS
from rules.labels import WINDOW_LABELS
from rules.model import (
    ITEM_KINDS,
    LAST_GRADE,
    LIMIT_SCOPES,
    ROLLOVER_WARNING_DAYS,
    SEMESTER_WINDOWS,
    WINDOW_KINDS,
    YEAR_WINDOWS,
    AcademicYear,
    ApprovalNotice,
    CertCadence,
    ItemLimits,
    Limits,
    NotConfigured,
    Occurrence,
    QuietHours,
    ScheduleRow,
    School,
    Semester,
    When,
    Window,
    WindowSetting,
    _aware,
)
from storage.clock import TAIPEI, at_taipei, format_date


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
