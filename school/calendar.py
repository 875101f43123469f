"""The year's calendar: see the windows, change one with the rules file's checks and a preview of
who is told and what it costs, announce it once; derive next year's calendar from this year's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from catalogue import TEXTS, text
from rules.labels import AUDIENCES, WINDOW_LABELS
from rules.model import (
    SETTABLE_WINDOWS,
    YEAR_WINDOWS,
    NotConfigured,
    RulesError,
    Semester,
    WindowSetting,
)
from rules.reader import parse_rules
from rules.school_rules import SchoolRules, overlap_notes
from school import announcements, recipients, windows
from school.calendar_adoption import without_year
from storage.clock import TAIPEI, at_taipei, format_date
from storage.outbox import NORMAL, URGENT

# The menu action a window's announcement button starts, and the flow whose label it shows.
WINDOW_ACTIONS = {
    "upload": ("upload", "upload_course_outcome"),
    "performance_upload": ("performance", "upload_performance"),
    "certification": ("certify", "certify"),
    "picking": ("pick", "pick"),
    "receipt_confirmation": ("confirm_receipt", "confirm_receipt"),
}
# The console and a LINE notice to 註冊組 warn this long before the calendar runs out.
RUNS_OUT_WARNING_DAYS = 60


class WindowRefused(ValueError):
    """A window change the rules do not allow; `message` is what staff see."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def window_label(kind: str) -> str:
    base = kind.removeprefix("grade12_")
    label = TEXTS.get(f"rules.window.{base}") or WINDOW_LABELS.get(base, base)
    return label + (text("cli.schedule.grade12") if kind != base else "")


def window_audience(kind: str) -> dict[str, Any]:
    """Whom a change of this window concerns: teachers for certification, else students."""
    base = kind.removeprefix("grade12_")
    if base == "submission":  # the offices that submit: 教學組 and 訓育組
        return {"staff_roles": ["教學組", "訓育組"]}
    audience: dict[str, Any] = {"teachers": True} if base == "certification" else {"students": True}
    if kind != base:
        audience["grades"] = [12]
    return audience


def check_scope(kind: str, semester: int | None) -> None:
    """The kind names a window and the semester fits it (yearly kinds take none)."""
    if kind not in SETTABLE_WINDOWS:
        raise WindowRefused(text("console_office.calendar.bad_kind", kind=kind))
    base = kind.removeprefix("grade12_")
    if base in YEAR_WINDOWS and semester is not None:
        raise WindowRefused(text("cli.schedule.windows.year_window", kind=kind))
    if base not in YEAR_WINDOWS and semester is None:
        raise WindowRefused(text("cli.schedule.windows.semester_window", kind=kind))
    if kind.startswith("grade12_") and semester != 2:
        raise WindowRefused(text("cli.schedule.windows.grade12_semester"))


def _next_semester(rules: SchoolRules, year: int, semester: int | None) -> Semester | None:
    ordered = rules.semesters()
    if semester is None:  # a yearly window must end before next year's first semester
        return next((s for s in ordered if s.academic_year > year), None)
    found = False
    for s in ordered:
        if found:
            return s
        found = (s.academic_year, s.number) == (year, semester)
    return None


@dataclass
class WindowPreview:
    """A window change as it would be: checked, with the people told and the message cost."""

    kind: str
    label: str
    academic_year: int
    semester: int | None
    old_first: date
    old_last: date
    first: date
    last: date
    people: int = 0
    cost: int = 0  # pushes, one per LINE account (each counts against the monthly quota)
    audience: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # windows the change makes overlap

    @property
    def unchanged(self) -> bool:
        return (self.first, self.last) == (self.old_first, self.old_last)

    @property
    def shortened(self) -> bool:
        return self.last < self.old_last

    @property
    def scope(self) -> str:
        return (
            f"{self.academic_year}-{self.semester}"
            if self.semester
            else text("cli.schedule.whole_year", year=self.academic_year)
        )


def preview_window_change(
    session: Session,
    base: SchoolRules,
    kind: str,
    year: int,
    semester: int | None,
    first: date | None,
    last: date | None,
) -> WindowPreview:
    """Check a change exactly like the rules file; raise WindowRefused naming the conflict, else
    say who would be told, with a note where the window now runs past the next semester's start."""
    check_scope(kind, semester)
    if first is None and last is None:
        raise WindowRefused(text("cli.schedule.windows.no_dates"))
    base_kind = kind.removeprefix("grade12_")
    rules = windows.effective_rules(session, base)
    try:
        current = rules.window(base_kind, year, semester, grade=12 if kind != base_kind else None)
    except NotConfigured:
        raise WindowRefused(text("cli.schedule.windows.not_configured", year=year)) from None
    first = first or current.first_day
    last = last or current.last_day
    if last < first:
        raise WindowRefused(text("console_office.calendar.end_before_start"))
    # A window may run past the next semester's start (uploads close at least two weeks after
    # the closing ceremony); the overlap is shown, and students then choose the semester.
    following = _next_semester(rules, year, semester)
    crossing: list[str] = []
    if following is not None and last >= following.start:
        crossing.append(
            text(
                "console_office.calendar.crosses_next",
                window=window_label(kind),
                end=format_date(last),
                term=following.label,
                start=format_date(following.start),
            )
        )
    try:
        changed = rules.with_windows([WindowSetting(kind, year, semester, first, last)])
    except RulesError as exc:
        raise WindowRefused(text("cli.schedule.windows.refused", reason=exc.reason)) from None
    before = set(overlap_notes(rules))
    notes = crossing + [n for n in overlap_notes(changed) if n not in before]
    audience = window_audience(kind)
    people = recipients.audience_recipients(session, audience)
    return WindowPreview(
        kind=kind,
        label=window_label(kind),
        academic_year=year,
        semester=semester,
        old_first=current.first_day,
        old_last=current.last_day,
        first=first,
        last=last,
        people=len(people),
        cost=sum(len(p.line_user_ids) for p in people),
        audience=audience,
        notes=notes,
    )


def apply_window_change(
    session: Session, preview: WindowPreview, now: datetime, changed_by: str
) -> int:
    """Record the change and its one announcement (sent by the next tick, or at once by the face
    that calls jobs.reminders). Returns the change's id."""
    action, flow = WINDOW_ACTIONS.get(preview.kind.removeprefix("grade12_"), (None, None))
    body = text(
        "schedule.window.changed",
        window=preview.label,
        start=format_date(preview.first),
        end=format_date(preview.last),
        old_start=format_date(preview.old_first),
        old_end=format_date(preview.old_last),
    )
    until = max(at_taipei(preview.last + timedelta(days=1)), now + timedelta(days=1))
    change = windows.record_window_change(
        session,
        kind=preview.kind,
        academic_year=preview.academic_year,
        semester=preview.semester,
        first_day=preview.first,
        last_day=preview.last,
        previous=(preview.old_first, preview.old_last),
        now=now,
        changed_by=changed_by[:64],
    )
    announcements.create_announcement(
        session,
        source="window_change",
        source_id=change.id,
        audience=preview.audience,
        body=body,
        action=action,
        action_label=TEXTS.get(f"rules.button.{flow}") if flow else None,
        now=now,
        until=until,
        # A window that now closes earlier is news people must not miss.
        priority=URGENT if preview.shortened else NORMAL,
        created_by=changed_by[:64],
    )
    return change.id


# --- the year as a table ------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowRow:
    kind: str  # settable kind (grade12_ prefixed for grade 12's own)
    label: str
    academic_year: int
    semester: int | None
    first: date
    last: date
    changed: bool
    state: str  # "past", "open", "future"


def year_windows(session: Session, base: SchoolRules, year: int, now: datetime) -> list[WindowRow]:
    """The year's windows as they run now, in time order, marking those staff changed."""
    rules = windows.effective_rules(session, base)
    rules.year(year)  # NotConfigured for a year the file lacks
    changed = {(c.kind, c.semester) for c in windows.window_changes(session, year)}
    rows = []
    for w in rules.windows:
        if w.academic_year != year:
            continue
        kind = f"grade12_{w.kind}" if w.grade12 else w.kind
        state = "past" if now >= w.end_exclusive else "open" if w.contains(now) else "future"
        rows.append(
            WindowRow(
                kind,
                window_label(kind),
                year,
                w.semester,
                w.first_day,
                w.last_day,
                (kind, w.semester) in changed,
                state,
            )
        )
    return rows


@dataclass(frozen=True)
class ReminderRow:
    row_id: str
    what: str
    audience: str
    when: str
    due: datetime


def year_reminders(session: Session, base: SchoolRules, year: int) -> list[ReminderRow]:
    """Every reminder row of the schedule with its dates this year, in time order."""
    rules = windows.effective_rules(session, base)
    out = []
    for row in rules.schedule:
        for occ in rules.row_occurrences(row, year):
            audience = "、".join(AUDIENCES.get(a, a) for a in row.audience)
            out.append(ReminderRow(row.id, row.what, audience, row.when.describe(), occ.due))
    out.sort(key=lambda r: r.due)
    return out


# --- next year --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SemesterDraft:
    number: int
    start: date
    closing_ceremony: date
    end: date


@dataclass
class YearDraft:
    academic_year: int
    semesters: list[SemesterDraft]
    error: str | None = None

    def toml(self) -> str:
        """The year as the rules file writes it, for the working group to adjust and adopt."""
        lines = [f"[[years]]\nacademic_year = {self.academic_year}\n"]
        for s in self.semesters:
            lines.append(
                f"[[years.semesters]]\nnumber = {s.number}\nstart = {s.start.isoformat()}\n"
                f"closing_ceremony = {s.closing_ceremony.isoformat()}\n"
                f"end = {s.end.isoformat()}\n"
            )
        return "\n".join(lines)


def _shift(day: date, year_first: date, year_last: date) -> date:
    """The same weekday one year on (52 weeks), kept inside the next academic year."""
    moved = day + timedelta(weeks=52)
    while moved < year_first:
        moved += timedelta(weeks=1)
    while moved > year_last:
        moved -= timedelta(weeks=1)
    return moved


def derive_next_year(
    base: SchoolRules, year: int, overrides: dict[int, dict[str, date]] | None = None
) -> YearDraft:
    """Next 學年度's semesters from this year's, on the same weekdays; staff may override any
    date. The draft is checked by the rules file's own parser (windows derived, national rules)."""
    this = base.year(year)
    nxt = year + 1
    first, last = date(nxt + 1911, 8, 1), date(nxt + 1912, 7, 31)
    semesters = []
    for number, s in sorted(this.semesters.items()):
        given = (overrides or {}).get(number, {})
        semesters.append(
            SemesterDraft(
                number,
                given.get("start") or _shift(s.start, first, last),
                given.get("closing_ceremony") or _shift(s.closing_ceremony, first, last),
                given.get("end") or _shift(s.end, first, last),
            )
        )
    draft = YearDraft(nxt, semesters)
    rules_text = without_year(base.text, nxt) + "\n" + draft.toml()
    try:
        parse_rules(rules_text, base.source)
    except RulesError as exc:
        draft.error = exc.reason
    return draft


def calendar_ends(base: SchoolRules) -> date | None:
    return max((y.last_day for y in base.years.values()), default=None)


def runs_out_soon(base: SchoolRules, now: datetime) -> date | None:
    """The calendar's last day when it is within the warning period, else None."""
    end = calendar_ends(base)
    if end is None:
        return None
    today = now.astimezone(TAIPEI).date()
    return end if (end - today).days <= RUNS_OUT_WARNING_DAYS else None
