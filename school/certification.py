"""Certifying a course outcome: submission, windows, decisions, the worklist, taking over.

Every change of an item's certifier or state is a conditional UPDATE on (status, version): a
decision, a withdrawal and a reassignment racing each other cannot both take effect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from rules.model import NotConfigured, Window
from rules.school_rules import SchoolRules
from school.proxy_chain import (
    ITEM_KIND,
    TEACHER,
    TOP_LEVEL,
    ChainBook,
    Link,
    Move,
    assign,
)
from storage.clock import taipei_date
from storage.exceptions import open_exception
from storage.models.certification import CertifierNote
from storage.models.line import LineAccount
from storage.models.portfolio import (
    CERTIFIED,
    PENDING,
    REJECTED,
    WITHDRAWN,
    AuditEntry,
    CourseOutcome,
)
from storage.models.school import Course, SchoolClass, Student

APPROVE = "approve"
REJECT = "reject"

# Decision outcomes.
DECIDED = "decided"
ALREADY_DECIDED = "already_decided"
NOT_CERTIFIER = "not_certifier"
WITHDRAWN_ITEM = "withdrawn"
NOT_PENDING = "not_pending"
OUTSIDE_WINDOW = "outside_window"
STALE = "stale"
MISSING = "missing"

REJECT_REASON_MAX = 100

# Notes a certifier hears in their next digest.
ESCALATED_IN = "escalated_in"
ESCALATED_OUT = "escalated_out"
# Rule 七 is for epidemics, incidents, staff who left or cannot be reached: items that are
# merely late are offered to the convener (take over, or remind the teacher), not moved.
OFFERED = "offered"
TAKEN_OVER = "taken_over"


# --- submission -----------------------------------------------------------------------------------


def submit(session: Session, outcome: CourseOutcome, now: datetime) -> None:
    """A student sent the item: it waits for the first available certifier of its chain."""
    if outcome.id is None:
        session.flush()
    course = outcome.course or session.get(Course, outcome.course_id)
    assert course is not None
    link = ChainBook(session, taipei_date(now)).chain(course).certifier(0)
    outcome.status = PENDING
    outcome.submitted_at = now
    outcome.certifier_id = link.staff_id if link else None
    outcome.certifier_capacity = link.capacity if link else None
    outcome.chain_floor = 0
    outcome.escalated_at = None
    outcome.certifier_told_at = None
    outcome.certify_version = (outcome.certify_version or 0) + 1
    session.add(
        AuditEntry(
            at=now,
            action="submit",
            item_kind=ITEM_KIND,
            item_id=outcome.id,
            student_id=outcome.student_id,
            actor_student_id=outcome.student_id,
            capacity=link.capacity if link else None,
            detail=f"certifier={link.staff_id}" if link else "certifier=none",
        )
    )
    session.flush()


# --- windows --------------------------------------------------------------------------------------


def certification_window(rules: SchoolRules, outcome: CourseOutcome) -> Window | None:
    grade = outcome.student.grade if outcome.student is not None else None
    try:
        return rules.window("certification", outcome.academic_year, outcome.semester, grade=grade)
    except NotConfigured:
        return None


def certification_open(
    session: Session, rules: SchoolRules, outcome: CourseOutcome, now: datetime
) -> bool:
    """Inside the certification window, or the office reopened it for this student or item."""
    window = certification_window(rules, outcome)
    if window is not None and window.contains(now):
        return True
    return (
        open_exception(
            session,
            "certification",
            outcome.student_id,
            outcome.academic_year,
            outcome.semester,
            now,
            (outcome.id,),
        )
        is not None
    )


def escalation_time(rules: SchoolRules, outcome: CourseOutcome) -> datetime | None:
    grade = outcome.student.grade if outcome.student is not None else None
    try:
        return rules.escalation_at(outcome.academic_year, outcome.semester, grade=grade)
    except NotConfigured:
        return None


# --- decisions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What came of a tap: DECIDED, or why not (with the item as it stands)."""

    status: str
    outcome: CourseOutcome | None = None
    window: Window | None = None

    @property
    def ok(self) -> bool:
        return self.status == DECIDED


def _why_not(outcome: CourseOutcome, staff_id: int, version: int | None) -> Decision:
    if outcome.status in (CERTIFIED, REJECTED):
        return Decision(ALREADY_DECIDED, outcome)
    if outcome.status == WITHDRAWN:
        return Decision(WITHDRAWN_ITEM, outcome)
    if outcome.status != PENDING:
        return Decision(NOT_PENDING, outcome)
    if outcome.certifier_id != staff_id:
        return Decision(NOT_CERTIFIER, outcome)
    if version is not None and version != outcome.certify_version:
        return Decision(STALE, outcome)
    return Decision(NOT_PENDING, outcome)


def decide(
    session: Session,
    outcome_id: int,
    staff_id: int,
    verdict: str,
    now: datetime,
    rules: SchoolRules,
    reason: str | None = None,
    version: int | None = None,
) -> Decision:
    """Approve or reject as the item's current certifier; exactly one decision ever stands.

    The UPDATE only matches a pending item still held by this certifier at this version; a
    concurrent decision or withdrawal makes it match nothing (PostgreSQL re-checks the WHERE
    after the other transaction commits), and the caller is told what happened instead.
    """
    if verdict not in (APPROVE, REJECT):
        raise ValueError(f"unknown verdict {verdict!r}")
    if verdict == REJECT and not (reason or "").strip():
        raise ValueError("a rejection needs a reason")
    outcome = session.get(CourseOutcome, outcome_id, populate_existing=True)
    if outcome is None:
        return Decision(MISSING)
    expected = outcome.certify_version if version is None else version
    # A convener took the item over: the course teacher may still decide it (first one wins).
    as_teacher = (
        outcome.certifier_id != staff_id
        and outcome.escalated_at is not None
        and outcome.course is not None
        and outcome.course.teacher_id == staff_id
    )
    if (
        outcome.status != PENDING
        or outcome.certify_version != expected
        or (outcome.certifier_id != staff_id and not as_teacher)
    ):
        return _why_not(outcome, staff_id, version)
    window = certification_window(rules, outcome)
    if not certification_open(session, rules, outcome, now):
        return Decision(OUTSIDE_WINDOW, outcome, window)
    result = session.execute(
        update(CourseOutcome)
        .where(
            CourseOutcome.id == outcome_id,
            CourseOutcome.status == PENDING,
            CourseOutcome.certifier_id == outcome.certifier_id,
            CourseOutcome.certify_version == expected,
        )
        .values(
            status=CERTIFIED if verdict == APPROVE else REJECTED,
            decided_at=now,
            decided_by_id=staff_id,
            decided_capacity=TEACHER if as_teacher else CourseOutcome.certifier_capacity,
            reject_reason=(reason or "").strip()[:REJECT_REASON_MAX] if verdict == REJECT else None,
            certify_version=CourseOutcome.certify_version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(outcome)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return _why_not(outcome, staff_id, version)
    session.add(
        AuditEntry(
            at=now,
            action="certify" if verdict == APPROVE else "reject",
            item_kind=ITEM_KIND,
            item_id=outcome.id,
            student_id=outcome.student_id,
            actor_staff_id=staff_id,
            capacity=outcome.decided_capacity,
            detail=outcome.reject_reason,
        )
    )
    session.flush()
    return Decision(DECIDED, outcome, window)


# --- what a certifier has to do -------------------------------------------------------------------


def _sort_key(outcome: CourseOutcome) -> tuple[Any, ...]:
    course = outcome.course
    cls = course.school_class.code if course and course.school_class else ""
    seat = outcome.student.seat_no if outcome.student and outcome.student.seat_no else 0
    return (cls, course.subject if course else "", outcome.course_id, seat, outcome.id)


def pending_for(session: Session, staff_id: int) -> list[CourseOutcome]:
    """The certifier's pending items, grouped by course (class, subject), then by seat."""
    taken_from_me = select(Course.id).where(Course.teacher_id == staff_id).scalar_subquery()
    items = list(
        session.scalars(
            select(CourseOutcome)
            .where(
                CourseOutcome.status == PENDING,
                or_(
                    CourseOutcome.certifier_id == staff_id,
                    # Taken over by a convener: the course teacher may still decide.
                    (CourseOutcome.escalated_at.is_not(None))
                    & CourseOutcome.course_id.in_(taken_from_me),
                ),
            )
            .options(
                joinedload(CourseOutcome.course).joinedload(Course.school_class),
                joinedload(CourseOutcome.student).joinedload(Student.school_class),
                joinedload(CourseOutcome.document),
                joinedload(CourseOutcome.video),
            )
        ).unique()
    )
    return sorted(items, key=_sort_key)


def pending_count(session: Session, staff_id: int) -> int:
    return len(pending_for(session, staff_id))


def page_after(items: Sequence[CourseOutcome], after: CourseOutcome | None) -> list[CourseOutcome]:
    """The items that come after `after` in list order (it may have left the list since)."""
    if after is None:
        return list(items)
    key = _sort_key(after)
    return [o for o in items if _sort_key(o) > key]


def mark_seen(items: Iterable[CourseOutcome], now: datetime) -> None:
    for outcome in items:
        if outcome.certifier_told_at is None:
            outcome.certifier_told_at = now


def line_user_of_staff(session: Session, staff_id: int) -> str | None:
    return session.scalars(
        select(LineAccount.line_user_id).where(
            LineAccount.staff_id == staff_id, LineAccount.followed.is_(True)
        )
    ).first()


def line_user_of_student(session: Session, student_id: int) -> str | None:
    return session.scalars(
        select(LineAccount.line_user_id).where(
            LineAccount.student_id == student_id, LineAccount.followed.is_(True)
        )
    ).first()


# --- taking over late items -----------------------------------------------------------------------


def _offered(
    session: Session,
    convener_id: int,
    teacher_id: int,
    academic_year: int,
    semester: int,
    now: datetime,
) -> list[tuple[CourseOutcome, Link]]:
    """The teacher's late items of a term that this convener (or designee) may take over."""
    book = ChainBook(session, taipei_date(now))
    found = []
    for outcome in session.scalars(
        select(CourseOutcome)
        .where(
            CourseOutcome.status == PENDING,
            CourseOutcome.escalated_at.is_not(None),
            CourseOutcome.certifier_id == teacher_id,
            CourseOutcome.academic_year == academic_year,
            CourseOutcome.semester == semester,
        )
        .options(joinedload(CourseOutcome.course))
        .order_by(CourseOutcome.id)
    ).unique():
        link = next(
            (
                lk
                for lk in book.chain(outcome.course).links
                if lk.staff_id == convener_id and lk.level == TOP_LEVEL
            ),
            None,
        )
        if link is not None:
            found.append((outcome, link))
    return found


def take_over(
    session: Session,
    convener_id: int,
    teacher_id: int,
    academic_year: int,
    semester: int,
    now: datetime,
) -> list[Move]:
    """The convener takes the teacher's late items; the teacher may still decide them, and
    the first decision stands. The teacher hears it in their next digest."""
    moves = []
    for outcome, link in _offered(session, convener_id, teacher_id, academic_year, semester, now):
        move = assign(session, outcome, link, now, "taken over", floor=link.level)
        if move is not None:
            moves.append(move)
    if moves:
        session.add(
            CertifierNote(
                staff_id=teacher_id,
                created_at=now,
                kind=TAKEN_OVER,
                count=len(moves),
                other_staff_id=convener_id,
                academic_year=academic_year,
                semester=semester,
            )
        )
    session.flush()
    return moves


def late_count(
    session: Session,
    convener_id: int,
    teacher_id: int,
    academic_year: int,
    semester: int,
    now: datetime,
) -> int:
    """How many of the teacher's offered items the convener could still take over."""
    return len(_offered(session, convener_id, teacher_id, academic_year, semester, now))


# --- what students hear ---------------------------------------------------------------------------


def untold_approvals(session: Session, student_id: int) -> list[CourseOutcome]:
    return list(
        session.scalars(
            select(CourseOutcome)
            .where(
                CourseOutcome.student_id == student_id,
                CourseOutcome.status == CERTIFIED,
                CourseOutcome.decision_told_at.is_(None),
            )
            .options(joinedload(CourseOutcome.course))
            .order_by(CourseOutcome.decided_at, CourseOutcome.id)
        ).unique()
    )


def students_with_untold_approvals(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(CourseOutcome.student_id)
            .where(CourseOutcome.status == CERTIFIED, CourseOutcome.decision_told_at.is_(None))
            .distinct()
            .order_by(CourseOutcome.student_id)
        )
    )


def mark_told(items: Iterable[CourseOutcome], now: datetime) -> None:
    for outcome in items:
        outcome.decision_told_at = now


# --- the homeroom view ----------------------------------------------------------------------------


def homeroom_classes(session: Session, staff_id: int) -> list[SchoolClass]:
    return list(
        session.scalars(
            select(SchoolClass)
            .where(SchoolClass.homeroom_teacher_id == staff_id)
            .order_by(SchoolClass.code)
        )
    )
