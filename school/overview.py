"""Progress of one semester, per class and per course, within what a staff member may see.

Every figure is one grouped query (never one per row), and every figure has the list behind it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, literal, null, or_, select, true
from sqlalchemy.orm import Session

from storage.clock import at_taipei, taipei
from storage.models.line import HELD, OutboxMessage
from storage.models.line import PENDING as OUTBOX_PENDING
from storage.models.portfolio import (
    CERTIFIED,
    PENDING,
    REJECTED,
    SUBMITTED,
    CourseOutcome,
    Performance,
)
from storage.models.school import Course, SchoolClass, Staff, Student, Term
from storage.outbox import sent_cost_between

# Outcome states the overview counts (drafts and withdrawals are the student's business).
OUTCOME_STATES = (PENDING, CERTIFIED, REJECTED)
UPLOADED_STATES = (PENDING, CERTIFIED, REJECTED, SUBMITTED)
ACTIVE = "在學"


@dataclass(frozen=True)
class Scope:
    """What one person may see: None means the whole school."""

    class_ids: frozenset[int] | None
    course_ids: frozenset[int] | None

    @property
    def whole_school(self) -> bool:
        return self.class_ids is None and self.course_ids is None

    def sees_class(self, class_id: int) -> bool:
        return self.class_ids is None or class_id in self.class_ids

    def sees_course(self, course_id: int) -> bool:
        return self.course_ids is None or course_id in self.course_ids


WHOLE_SCHOOL = Scope(None, None)


def scope_for(
    session: Session,
    staff_id: int,
    whole_school: bool,
    homeroom_class_ids: frozenset[int],
    academic_year: int,
    semester: int,
) -> Scope:
    """Offices see the school; a homeroom teacher their classes; a teacher their courses."""
    if whole_school:
        return WHOLE_SCHOOL
    query = (
        select(Course.id)
        .join(Term, Term.id == Course.term_id)
        .where(Term.academic_year == academic_year, Term.semester == semester)
    )
    conditions = [Course.teacher_id == staff_id]
    if homeroom_class_ids:
        conditions.append(Course.class_id.in_(homeroom_class_ids))
    courses = frozenset(session.scalars(query.where(or_(*conditions))))
    return Scope(frozenset(homeroom_class_ids), courses)


@dataclass
class Row:
    """One class or one course: its counts by state."""

    key: int
    label: str
    students: int = 0
    pending: int = 0
    certified: int = 0
    rejected: int = 0
    performances: int = 0
    picked: int = 0
    silent: int = 0

    @property
    def uploaded(self) -> int:
        return self.pending + self.certified + self.rejected


@dataclass
class Overview:
    academic_year: int
    semester: int
    classes: list[Row] = field(default_factory=list)
    courses: list[Row] = field(default_factory=list)
    per_day: list[tuple[date, int]] = field(default_factory=list)

    @property
    def totals(self) -> Row:
        rows = self.classes or self.courses
        total = Row(0, "")
        for row in rows:
            for name in (
                "students",
                "pending",
                "certified",
                "rejected",
                "performances",
                "picked",
                "silent",
            ):
                setattr(total, name, getattr(total, name) + getattr(row, name))
        return total


def _term_outcomes(year: int, semester: int) -> list:  # type: ignore[type-arg]
    return [CourseOutcome.academic_year == year, CourseOutcome.semester == semester]


def _term_performances(year: int, semester: int) -> list:  # type: ignore[type-arg]
    return [Performance.academic_year == year, Performance.semester == semester]


def _has_upload(year: int, semester: int):  # type: ignore[no-untyped-def]
    outcome = exists().where(
        CourseOutcome.student_id == Student.id,
        CourseOutcome.status.in_(OUTCOME_STATES),
        *_term_outcomes(year, semester),
    )
    performance = exists().where(
        Performance.student_id == Student.id,
        Performance.status == SUBMITTED,
        *_term_performances(year, semester),
    )
    return or_(outcome, performance)


def overview(
    session: Session,
    scope: Scope,
    year: int,
    semester: int,
    window: tuple[date, date] | None = None,
) -> Overview:
    """The semester's counts per class (homeroom/office) and per course, in a handful of queries."""
    result = Overview(year, semester)
    if scope.class_ids is None or scope.class_ids:
        result.classes = _class_rows(session, scope, year, semester)
    result.courses = _course_rows(session, scope, year, semester)
    result.per_day = _per_day(session, scope, year, semester, window)
    return result


def _class_filter(query: Select, scope: Scope) -> Select:  # type: ignore[type-arg]
    if scope.class_ids is not None:
        query = query.where(Student.class_id.in_(scope.class_ids))
    return query


def _class_rows(session: Session, scope: Scope, year: int, semester: int) -> list[Row]:
    classes = select(SchoolClass.id, SchoolClass.code).order_by(SchoolClass.code)
    if scope.class_ids is not None:
        classes = classes.where(SchoolClass.id.in_(scope.class_ids))
    rows = {cid: Row(cid, code) for cid, code in session.execute(classes)}
    active = Student.status == ACTIVE

    for cid, n in session.execute(
        _class_filter(
            select(Student.class_id, func.count()).where(active).group_by(Student.class_id), scope
        )
    ):
        if cid in rows:
            rows[cid].students = n
    outcome_counts = _class_filter(
        select(Student.class_id, CourseOutcome.status, func.count())
        .select_from(CourseOutcome)
        .join(Student, Student.id == CourseOutcome.student_id)
        .where(CourseOutcome.status.in_(OUTCOME_STATES), *_term_outcomes(year, semester))
        .group_by(Student.class_id, CourseOutcome.status),
        scope,
    )
    for cid, status, n in session.execute(outcome_counts):
        if cid in rows:
            setattr(rows[cid], status, n)
    perf_counts = _class_filter(
        select(Student.class_id, func.count())
        .select_from(Performance)
        .join(Student, Student.id == Performance.student_id)
        .where(Performance.status == SUBMITTED, *_term_performances(year, semester))
        .group_by(Student.class_id),
        scope,
    )
    for cid, n in session.execute(perf_counts):
        if cid in rows:
            rows[cid].performances = n
    silent = _class_filter(
        select(Student.class_id, func.count())
        .where(active, ~_has_upload(year, semester))
        .group_by(Student.class_id),
        scope,
    )
    for cid, n in session.execute(silent):
        if cid in rows:
            rows[cid].silent = n
    picked = _class_filter(
        select(Student.class_id, func.count())
        .where(
            active,
            or_(
                exists().where(
                    CourseOutcome.student_id == Student.id, CourseOutcome.picked_at.is_not(None)
                ),
                exists().where(
                    Performance.student_id == Student.id, Performance.picked_at.is_not(None)
                ),
            ),
        )
        .group_by(Student.class_id),
        scope,
    )
    for cid, n in session.execute(picked):
        if cid in rows:
            rows[cid].picked = n
    return list(rows.values())


def _course_rows(session: Session, scope: Scope, year: int, semester: int) -> list[Row]:
    courses = (
        select(Course.id, Course.subject, SchoolClass.code, Staff.name)
        .join(Term, Term.id == Course.term_id)
        .join(SchoolClass, SchoolClass.id == Course.class_id, isouter=True)
        .join(Staff, Staff.id == Course.teacher_id, isouter=True)
        .where(Term.academic_year == year, Term.semester == semester)
        .order_by(SchoolClass.code, Course.subject)
    )
    if scope.course_ids is not None:
        courses = courses.where(Course.id.in_(scope.course_ids))
    rows = {
        cid: Row(cid, f"{code or '—'} {subject}（{teacher or '—'}）")
        for cid, subject, code, teacher in session.execute(courses)
    }
    if not rows:
        return []
    counts = (
        select(CourseOutcome.course_id, CourseOutcome.status, func.count())
        .where(CourseOutcome.status.in_(OUTCOME_STATES), *_term_outcomes(year, semester))
        .group_by(CourseOutcome.course_id, CourseOutcome.status)
    )
    if scope.course_ids is not None:
        counts = counts.where(CourseOutcome.course_id.in_(scope.course_ids))
    for cid, status, n in session.execute(counts):
        if cid in rows:
            setattr(rows[cid], status, n)
    return list(rows.values())


def _taipei_day(session: Session, column: Any) -> Any:
    """The Taipei calendar day of a stored UTC instant, computed by the database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Taipei", column))
    return func.date(column, "+8 hours")  # SQLite keeps naive UTC text; Taipei has no DST


def _as_day(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _per_day(
    session: Session, scope: Scope, year: int, semester: int, window: tuple[date, date] | None
) -> list[tuple[date, int]]:
    """Uploads per Taipei day (both kinds), every day of the window shown even when zero."""
    day = _taipei_day(session, CourseOutcome.submitted_at)
    outcomes = (
        select(day, func.count())
        .select_from(CourseOutcome)
        .join(Student, Student.id == CourseOutcome.student_id)
        .where(CourseOutcome.submitted_at.is_not(None), *_term_outcomes(year, semester))
        .group_by(day)
    )
    if scope.course_ids is not None:
        condition = CourseOutcome.course_id.in_(scope.course_ids)
        if scope.class_ids:
            condition = or_(condition, Student.class_id.in_(scope.class_ids))
        outcomes = outcomes.where(condition)
    days: Counter[date] = Counter()
    for value, n in session.execute(outcomes):
        days[_as_day(value)] += n
    if scope.class_ids is None or scope.class_ids:
        pday = _taipei_day(session, Performance.submitted_at)
        performances = _class_filter(
            select(pday, func.count())
            .select_from(Performance)
            .join(Student, Student.id == Performance.student_id)
            .where(Performance.submitted_at.is_not(None), *_term_performances(year, semester))
            .group_by(pday),
            scope,
        )
        for value, n in session.execute(performances):
            days[_as_day(value)] += n
    if window is not None:
        first, last = window
        span = (last - first).days + 1
        every = [first + timedelta(days=i) for i in range(max(span, 0))]
        extra = sorted(d for d in days if d < first or d > last)
        return [(d, days.get(d, 0)) for d in sorted({*every, *extra})]
    return sorted(days.items())


# --- the lists behind the numbers ------------------------------------------------------------


@dataclass(frozen=True)
class ListRow:
    student_no: str
    name: str
    class_code: str
    seat: int | None
    what: str
    status: str
    at: datetime | None
    student_id: int


LIST_KINDS = ("pending", "certified", "rejected", "performances", "silent", "picked", "students")
PAGE_SIZE = 200
_PERSON = (Student.id, Student.student_no, Student.name, SchoolClass.code, Student.seat_no)
MAX_ROWS = 20000


@dataclass(frozen=True)
class Listing:
    rows: list[ListRow]
    total: int
    page: int
    pages: int


def listing(
    session: Session,
    scope: Scope,
    year: int,
    semester: int,
    kind: str,
    *,
    class_id: int | None = None,
    course_id: int | None = None,
    page: int | None = 1,
    page_size: int = PAGE_SIZE,
) -> Listing:
    """The students or items behind one number of the overview: one page of rows and the
    total (two queries); page None gives every row (for the spreadsheet)."""
    if kind in OUTCOME_STATES:
        query = (
            select(*_PERSON, Course.subject, CourseOutcome.status, CourseOutcome.submitted_at)
            .select_from(CourseOutcome)
            .join(Student, Student.id == CourseOutcome.student_id)
            .join(Course, Course.id == CourseOutcome.course_id)
            .join(SchoolClass, SchoolClass.id == Student.class_id, isouter=True)
            .where(CourseOutcome.status == kind, *_term_outcomes(year, semester))
            .order_by(SchoolClass.code, Student.seat_no, Course.subject)
        )
        if course_id is not None:
            query = query.where(CourseOutcome.course_id == course_id)
        elif scope.class_ids is not None:
            allowed = [Student.class_id.in_(scope.class_ids or {-1})]
            if scope.course_ids:
                allowed.append(CourseOutcome.course_id.in_(scope.course_ids))
            query = query.where(or_(*allowed))
    elif kind == "performances":
        query = (
            select(*_PERSON, Performance.record_type, Performance.status, Performance.submitted_at)
            .select_from(Performance)
            .join(Student, Student.id == Performance.student_id)
            .join(SchoolClass, SchoolClass.id == Student.class_id, isouter=True)
            .where(Performance.status == SUBMITTED, *_term_performances(year, semester))
            .order_by(SchoolClass.code, Student.seat_no)
        )
        query = _class_filter(query, scope)
    else:
        condition = {
            "silent": ~_has_upload(year, semester),
            "picked": or_(
                exists().where(
                    CourseOutcome.student_id == Student.id, CourseOutcome.picked_at.is_not(None)
                ),
                exists().where(
                    Performance.student_id == Student.id, Performance.picked_at.is_not(None)
                ),
            ),
            "students": true(),
        }[kind]
        query = _class_filter(
            select(*_PERSON, literal(""), Student.status, null())
            .join(SchoolClass, SchoolClass.id == Student.class_id, isouter=True)
            .where(Student.status == ACTIVE, condition)
            .order_by(SchoolClass.code, Student.seat_no),
            scope,
        )
    if class_id is not None:
        query = query.where(Student.class_id == class_id)
    total = int(
        session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    )
    pages = max(1, -(-total // page_size))
    if page is None:
        query, page = query.limit(MAX_ROWS), 1
    else:
        page = min(max(page, 1), pages)
        query = query.limit(page_size).offset((page - 1) * page_size)
    rows = [
        ListRow(no, name, code or "—", seat, what or "", status, at, sid)
        for sid, no, name, code, seat, what, status, at in session.execute(query)
    ]
    return Listing(rows, total, page, pages)


def per_class_labels(rows: list[Row]) -> dict[str, list[object]]:
    """The chart's data: labels and one series per state (used by the page and its tests)."""
    series: dict[str, list[object]] = defaultdict(list)
    for row in rows:
        series["labels"].append(row.label)
        for name in ("certified", "pending", "rejected", "performances", "silent"):
            series[name].append(getattr(row, name))
    return dict(series)


# --- this month's LINE messages --------------------------------------------------------------

CHARGED = ("push", "multicast")


@dataclass(frozen=True)
class Messages:
    """Messages counted against the plan this Taipei month, and where the month is heading."""

    limit: int
    used: int
    queued: int
    forecast: int

    @property
    def over(self) -> bool:
        return self.forecast > self.limit


def monthly_messages(session: Session, now: datetime, limit: int) -> Messages:
    """Used so far, waiting in the outbox, and the month's end at this month's pace."""
    local = taipei(now).date()
    first = date(local.year, local.month, 1)
    following = date(local.year + local.month // 12, local.month % 12 + 1, 1)
    start, end = at_taipei(first), at_taipei(following)
    used = sent_cost_between(session, start, end)
    queued = sum(
        len(r or [])
        for r in session.scalars(
            select(OutboxMessage.recipients).where(
                OutboxMessage.status.in_((OUTBOX_PENDING, HELD)), OutboxMessage.kind.in_(CHARGED)
            )
        )
    )
    elapsed = max((now - start).total_seconds(), 3600.0)
    pace = used / elapsed * (end - now).total_seconds()
    return Messages(limit, used, queued, used + queued + round(pace))
