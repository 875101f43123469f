"""The proxy chain of rule 七: who certifies a course's items, and pending items following it.

Who certifies an item is resolved when it is submitted and again whenever it is still pending
and the chain changes: the course teacher → the teacher who took over the course (successor)
→ the subject convener (科召集人) or the teacher the convener names (designee). A teacher who
is away (on leave, or left) is skipped. Escalation raises an item's floor in the chain, so it
never falls back below the link it was escalated to.

Every change of an item's certifier or state is a conditional UPDATE on (status, version): a
decision, a withdrawal and a reassignment racing each other cannot both take effect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, joinedload

from storage.clock import taipei_date
from storage.models.certification import CourseSuccessor, SubjectConvener, TeacherAbsence
from storage.models.portfolio import PENDING, AuditEntry, CourseOutcome
from storage.models.school import Course, Staff, StaffRole

# Capacities a certifier acts in, and their link in the chain.
TEACHER = "teacher"
SUCCESSOR = "successor"
CONVENER = "convener"
DESIGNEE = "designee"
LEVELS = {TEACHER: 0, SUCCESSOR: 1, CONVENER: 2, DESIGNEE: 2}
TOP_LEVEL = 2
CONVENER_ROLE = "科召集人"

# The audit log's kind for course outcomes.
ITEM_KIND = "outcome"


@dataclass(frozen=True)
class Link:
    staff_id: int
    capacity: str
    available: bool

    @property
    def level(self) -> int:
        return LEVELS[self.capacity]


@dataclass(frozen=True)
class ProxyChain:
    """The certifiers of one course on one day, in rule 七 order (absent people included)."""

    course_id: int
    links: tuple[Link, ...]

    def certifier(self, floor: int = 0, exclude: int | None = None) -> Link | None:
        """The first available link at or above floor; if nobody there is available, the
        highest link that exists, so an item is never left without anyone to show it to."""
        candidates = [lk for lk in self.links if lk.level >= floor and lk.staff_id != exclude]
        for link in candidates:
            if link.available:
                return link
        return candidates[-1] if candidates else None


class ChainBook:
    """Everything the chain depends on, read once: a tick resolves thousands of items with it."""

    def __init__(self, session: Session, day: date) -> None:
        self.session = session
        self.day = day
        self.away: set[int] = {
            a.staff_id
            for a in session.scalars(
                select(TeacherAbsence).where(
                    TeacherAbsence.cancelled_at.is_(None),
                    TeacherAbsence.starts_on <= day,
                )
            )
            if a.covers(day)
        }
        self.successors: dict[int, int] = dict(
            session.execute(select(CourseSuccessor.course_id, CourseSuccessor.successor_id)).all()
        )
        self.conveners: dict[str, tuple[int, int | None]] = {
            row.subject: (row.convener_id, row.designee_id)
            for row in session.scalars(select(SubjectConvener))
        }
        # A 科召集人 named in the roster stands in when staff named no convener for the subject.
        self.roster_conveners: dict[str, int] = {}
        for staff_id, subject in session.execute(
            select(Staff.id, Staff.subject)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(StaffRole.role == CONVENER_ROLE, Staff.subject.is_not(None))
            .order_by(Staff.id)
        ):
            if subject:
                self.roster_conveners.setdefault(subject, staff_id)
        self._subjects: dict[int, str | None] = {}
        self._chains: dict[int, ProxyChain] = {}

    def _staff_subject(self, staff_id: int | None) -> str | None:
        if staff_id is None:
            return None
        if staff_id not in self._subjects:
            staff = self.session.get(Staff, staff_id)
            self._subjects[staff_id] = staff.subject if staff else None
        return self._subjects[staff_id]

    def _link(self, staff_id: int, capacity: str) -> Link:
        return Link(staff_id, capacity, staff_id not in self.away)

    def convener_for(self, course: Course) -> tuple[int, int | None] | None:
        """(convener, designee) for the course: by its subject, then by its teacher's 科別."""
        keys = [course.subject, self._staff_subject(course.teacher_id)]
        for key in keys:
            if key and key in self.conveners:
                return self.conveners[key]
        for key in keys:
            if key and key in self.roster_conveners:
                return self.roster_conveners[key], None
        return None

    def chain(self, course: Course) -> ProxyChain:
        cached = self._chains.get(course.id)
        if cached is not None:
            return cached
        links: list[Link] = []
        if course.teacher_id is not None:
            links.append(self._link(course.teacher_id, TEACHER))
        successor = self.successors.get(course.id)
        if successor is not None:
            links.append(self._link(successor, SUCCESSOR))
        convener = self.convener_for(course)
        if convener is not None:
            convener_id, designee_id = convener
            # The convener may name a teacher to certify for them; if that teacher is away
            # the convener is still there.
            if designee_id is not None:
                links.append(self._link(designee_id, DESIGNEE))
            links.append(self._link(convener_id, CONVENER))
        chain = ProxyChain(course.id, tuple(links))
        self._chains[course.id] = chain
        return chain


def chain_for(session: Session, course: Course, day: date) -> ProxyChain:
    return ChainBook(session, day).chain(course)


@dataclass(frozen=True)
class Move:
    """A pending item that changed certifier."""

    outcome_id: int
    from_id: int | None
    to_id: int
    capacity: str
    reason: str
    academic_year: int
    semester: int


def assign(
    session: Session,
    outcome: CourseOutcome,
    link: Link,
    now: datetime,
    reason: str,
    floor: int | None = None,
    escalated: bool = False,
) -> Move | None:
    """Give a pending item to another certifier, unless it changed meanwhile."""
    values: dict[str, Any] = {
        "certifier_id": link.staff_id,
        "certifier_capacity": link.capacity,
        "certifier_told_at": None,
        "certify_version": CourseOutcome.certify_version + 1,
    }
    if floor is not None:
        values["chain_floor"] = floor
    if escalated:
        values["escalated_at"] = now
    result = session.execute(
        update(CourseOutcome)
        .where(
            CourseOutcome.id == outcome.id,
            CourseOutcome.status == PENDING,
            CourseOutcome.certify_version == outcome.certify_version,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    previous = outcome.certifier_id
    session.add(
        AuditEntry(
            at=now,
            action="reassign",
            item_kind=ITEM_KIND,
            item_id=outcome.id,
            student_id=outcome.student_id,
            capacity=link.capacity,
            detail=f"{reason}: certifier {previous} -> {link.staff_id}",
        )
    )
    session.refresh(outcome)
    return Move(
        outcome.id,
        previous,
        link.staff_id,
        link.capacity,
        reason,
        outcome.academic_year,
        outcome.semester,
    )


def _pending(
    session: Session, course_ids: Iterable[int] | None = None, unsettled: set[int] | None = None
) -> list[CourseOutcome]:
    query = (
        select(CourseOutcome)
        .where(CourseOutcome.status == PENDING)
        .options(joinedload(CourseOutcome.course))
        .order_by(CourseOutcome.id)
    )
    if course_ids is not None:
        query = query.where(CourseOutcome.course_id.in_(sorted(set(course_ids))))
    if unsettled is not None:
        # Held by someone away, or not by the first link (whoever was away may be back).
        query = query.where(
            or_(
                CourseOutcome.certifier_id.in_(sorted(unsettled) or [0]),
                CourseOutcome.certifier_id.is_(None),
                CourseOutcome.certifier_capacity != TEACHER,
                CourseOutcome.chain_floor > 0,
            )
        )
    return list(session.scalars(query).unique())


def reresolve_pending(
    session: Session,
    now: datetime,
    course_ids: Iterable[int] | None = None,
    reason: str = "chain changed",
    only_unsettled: bool = False,
) -> list[Move]:
    """Give every pending item (of these courses) to whoever its chain names today.

    only_unsettled: what the days alone can change (a leave starting or ending), for the tick:
    an item its available course teacher holds cannot move unless staff change the chain, and
    the staff commands re-resolve everything themselves.
    """
    book = ChainBook(session, taipei_date(now))
    moves: list[Move] = []
    unsettled = book.away if only_unsettled else None
    for outcome in _pending(session, course_ids, unsettled):
        link = book.chain(outcome.course).certifier(outcome.chain_floor or 0)
        if link is None:
            continue
        if link.staff_id == outcome.certifier_id:
            if link.capacity != outcome.certifier_capacity:
                # Same person, another link (e.g. the course changed hands): the capacity a
                # decision records must be right, but their cards stay valid.
                session.execute(
                    update(CourseOutcome)
                    .where(
                        CourseOutcome.id == outcome.id,
                        CourseOutcome.status == PENDING,
                        CourseOutcome.certifier_id == link.staff_id,
                    )
                    .values(certifier_capacity=link.capacity)
                    .execution_options(synchronize_session=False)
                )
            continue
        move = assign(session, outcome, link, now, reason)
        if move is not None:
            moves.append(move)
    return moves


def courses_involving(session: Session, staff_id: int) -> list[int]:
    """Courses whose chain may name this teacher (as teacher, successor, convener, designee)."""
    ids = set(session.scalars(select(Course.id).where(Course.teacher_id == staff_id)))
    ids.update(
        session.scalars(
            select(CourseSuccessor.course_id).where(CourseSuccessor.successor_id == staff_id)
        )
    )
    ids.update(
        session.scalars(
            select(CourseOutcome.course_id).where(
                CourseOutcome.status == PENDING, CourseOutcome.certifier_id == staff_id
            )
        )
    )
    return sorted(ids)
