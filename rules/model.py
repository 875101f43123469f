"""The school's rules' vocabulary and data types: item kinds, windows, the calendar, limits,
notices and the 附表二 schedule's rows (the rules as a whole are rules/school_rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final, Literal

from catalogue import text
from rules.labels import ANCHOR_LABELS, WINDOW_LABELS
from storage.clock import at_taipei

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


APPROVAL_NOTICE_MODES: Final = ("next_reply", "daily_digest")
PRIORITIES: Final = ("urgent", "normal", "low")


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


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("rules need an aware datetime (UTC inside, Asia/Taipei at the edge)")
    return when
