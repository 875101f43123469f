"""Counting a student's items against the upload limits: one definition of an item's current
state and of what uses a slot, asked by every view, the exports and the console."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.model import COURSE_OUTCOME, PERFORMANCE
from rules.school_rules import SchoolRules
from school.terms import TermRef
from storage.models.portfolio import (
    CERTIFIED,
    DRAFT,
    PENDING,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    CourseOutcome,
    Performance,
)
from storage.models.school import (
    Course,
)

SEMESTER = "uploads_per_semester"
YEAR = "uploads_per_year"


@dataclass(frozen=True)
class CountedItem:
    """One item using up a slot, as the refusal lists it."""

    id: int
    kind: str  # course_outcome | performance
    status: str
    academic_year: int
    semester: int
    title: str  # course subject, or the performance's record type key


@dataclass(frozen=True)
class Usage:
    """Slots used in one scope; limit None means the school sets no cap there."""

    scope: str
    used: int
    limit: int | None
    items: tuple[CountedItem, ...] = ()

    @property
    def full(self) -> bool:
        return self.limit is not None and self.used >= self.limit


@dataclass(frozen=True)
class Room:
    """The semester and year usage for one item kind; full_scope names the first full one."""

    item_kind: str
    semester: Usage
    year: Usage

    @property
    def full_scope(self) -> Usage | None:
        for usage in (self.semester, self.year):
            if usage.full:
                return usage
        return None


def _outcome_counts(rules: SchoolRules, status: str) -> bool:
    return rules.counts_toward_limit(status)


def _performance_counts(rules: SchoolRules, status: str) -> bool:
    # A saved 多元表現 is final (it is self-registered, nobody certifies it), so it uses a slot
    # whenever the school counts items that are waiting or done.
    if status == SUBMITTED:
        return rules.counts_toward_limit(PENDING) or rules.counts_toward_limit(CERTIFIED)
    return rules.counts_toward_limit(status)


def _outcome_rows(session: Session, student_id: int, academic_year: int) -> list[Any]:
    # Plain columns, never ORM objects: a count taken after the per-student lock must see what
    # other transactions committed, not what this session's identity map remembers.
    return list(
        session.execute(
            select(
                CourseOutcome.id,
                CourseOutcome.status,
                CourseOutcome.academic_year,
                CourseOutcome.semester,
                CourseOutcome.replaces_id,
                Course.subject,
            )
            .join(Course, Course.id == CourseOutcome.course_id)
            .where(
                CourseOutcome.student_id == student_id, CourseOutcome.academic_year == academic_year
            )
            .order_by(CourseOutcome.id)
        )
    )


def _performance_rows(session: Session, student_id: int, academic_year: int) -> list[Any]:
    return list(
        session.execute(
            select(
                Performance.id,
                Performance.status,
                Performance.academic_year,
                Performance.semester,
                Performance.record_type,
            )
            .where(
                Performance.student_id == student_id,
                Performance.academic_year == academic_year,
                Performance.entered_by_staff.is_(False),
            )
            .order_by(Performance.id)
        )
    )


# --- one definition of an item's current state and of what counts ----------------------------
#
# Every view (the student's list, the homeroom teacher's and the parent's progress, picking,
# the exports and the console) asks here. An item is counted once, in its current state: a
# rejected course outcome that the student re-uploaded is superseded by its replacement (the
# replacement carries the slot and the state), and drafts and withdrawn items are not uploads.

SUPERSEDED = "superseded"
NOT_UPLOADS = frozenset({DRAFT, WITHDRAWN})


def superseded_ids(rows: Iterable[Any]) -> set[int]:
    """Rejected items that have a live replacement (a draft or anything sent), from rows with
    .id, .status and .replaces_id."""
    return {
        r.replaces_id for r in rows if getattr(r, "replaces_id", None) and r.status != WITHDRAWN
    }


def current_state(status: str, superseded: bool) -> str:
    return SUPERSEDED if superseded else status


def is_counted(rules: SchoolRules, item_kind: str, status: str) -> bool:
    """Whether an item in this (current) state uses a slot of the upload limits."""
    if status == SUPERSEDED:
        return False
    if item_kind == PERFORMANCE:
        return _performance_counts(rules, status)
    return _outcome_counts(rules, status)


@dataclass(frozen=True)
class Tally:
    """One student's items of one kind in one scope, each once, by current state."""

    item_kind: str
    counted: int
    limit: int | None
    states: dict[str, int]

    def of(self, state: str) -> int:
        return self.states.get(state, 0)

    @property
    def pending(self) -> int:
        return self.of(PENDING)

    @property
    def certified(self) -> int:
        return self.of(CERTIFIED)

    @property
    def rejected(self) -> int:
        """Rejected and not yet re-uploaded: what the student still has to fix."""
        return self.of(REJECTED)

    @property
    def uploaded(self) -> int:
        """Items sent and still standing (pending, certified, rejected-awaiting-fix)."""
        return sum(n for s, n in self.states.items() if s not in NOT_UPLOADS)


def tallies(
    session: Session,
    rules: SchoolRules,
    item_kind: str,
    student_ids: Iterable[int],
    academic_year: int,
    semester: int | None = None,
) -> dict[int, Tally]:
    """Per student, the items of a term (semester None: the year) counted by current state."""
    ids = sorted(set(student_ids))
    model: Any = CourseOutcome if item_kind == COURSE_OUTCOME else Performance
    columns = [model.id, model.student_id, model.status, model.semester]
    if item_kind == COURSE_OUTCOME:
        columns.append(model.replaces_id)
    query = select(*columns).where(
        model.student_id.in_(ids or [0]), model.academic_year == academic_year
    )
    if item_kind == PERFORMANCE:
        query = query.where(model.entered_by_staff.is_(False))
    rows = list(session.execute(query))
    gone = superseded_ids(rows)
    scope = SEMESTER if semester is not None else YEAR
    limit = rules.limit_for(item_kind, scope)
    states: dict[int, dict[str, int]] = {i: {} for i in ids}
    counted: dict[int, int] = dict.fromkeys(ids, 0)
    for r in rows:
        if semester is not None and r.semester != semester:
            continue
        state = current_state(r.status, r.id in gone)
        if state in NOT_UPLOADS or state == SUPERSEDED:
            continue
        states[r.student_id][state] = states[r.student_id].get(state, 0) + 1
        if is_counted(rules, item_kind, state):
            counted[r.student_id] += 1
    return {i: Tally(item_kind, counted[i], limit, states[i]) for i in ids}


def tally(
    session: Session,
    rules: SchoolRules,
    item_kind: str,
    student_id: int,
    academic_year: int,
    semester: int | None = None,
) -> Tally:
    return tallies(session, rules, item_kind, [student_id], academic_year, semester)[student_id]


def room(
    session: Session,
    rules: SchoolRules,
    item_kind: str,
    student_id: int,
    term: TermRef,
    exclude: Iterable[int] = (),
) -> Room:
    """What the student has used of the semester and year limits (exclude: items not to count,
    e.g. the draft being submitted)."""
    excluded = set(exclude)
    counted: list[CountedItem] = []
    if item_kind == COURSE_OUTCOME:
        rows = _outcome_rows(session, student_id, term.academic_year)
        # A rejected item that has a live replacement gives its slot to the replacement.
        excluded |= superseded_ids(rows)
        for r in rows:
            if r.id not in excluded and is_counted(rules, item_kind, r.status):
                counted.append(
                    CountedItem(r.id, item_kind, r.status, r.academic_year, r.semester, r.subject)
                )
    elif item_kind == PERFORMANCE:
        for r in _performance_rows(session, student_id, term.academic_year):
            if r.id not in excluded and is_counted(rules, item_kind, r.status):
                counted.append(
                    CountedItem(
                        r.id, item_kind, r.status, r.academic_year, r.semester, r.record_type
                    )
                )
    else:
        raise ValueError(f"unknown item kind {item_kind!r}")
    in_semester = tuple(c for c in counted if c.semester == term.semester)
    return Room(
        item_kind=item_kind,
        semester=Usage(
            SEMESTER, len(in_semester), rules.limit_for(item_kind, SEMESTER), in_semester
        ),
        year=Usage(YEAR, len(counted), rules.limit_for(item_kind, YEAR), tuple(counted)),
    )
