"""Certification of course outcomes: the proxy chain (rule 七), decisions, escalation, audit log.

Who certifies an item is resolved when it is submitted and again whenever it is still pending
and the chain changes: the course teacher → the teacher who took over the course (successor)
→ the subject convener (科召集人) or the teacher the convener names (designee). A teacher who
is away (on leave, or left) is skipped. Escalation raises an item's floor in the chain, so it
never falls back below the link it was escalated to.

Every change of an item's certifier or state is a conditional UPDATE on (status, version): a
decision, a withdrawal and a reassignment racing each other cannot both take effect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, tuple_, update
from sqlalchemy.orm import Session, joinedload

from rules.defaults import DEFAULT_CERT_PUSH_AT
from rules.model import NotConfigured, Window
from rules.school_rules import SchoolRules
from storage.clock import taipei, taipei_date
from storage.exceptions import open_exception
from storage.models.certification import (
    CertificationPush,
    CertifierNote,
    CourseSuccessor,
    SubjectConvener,
    TeacherAbsence,
)
from storage.models.line import LineAccount
from storage.models.portfolio import (
    CERTIFIED,
    PENDING,
    REJECTED,
    WITHDRAWN,
    AuditEntry,
    CourseOutcome,
)
from storage.models.school import Course, SchoolClass, Staff, StaffRole, Student

# Capacities a certifier acts in, and their link in the chain.
TEACHER = "teacher"
SUCCESSOR = "successor"
CONVENER = "convener"
DESIGNEE = "designee"
LEVELS = {TEACHER: 0, SUCCESSOR: 1, CONVENER: 2, DESIGNEE: 2}
TOP_LEVEL = 2
CONVENER_ROLE = "科召集人"

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

ITEM_KIND = "outcome"
REJECT_REASON_MAX = 100

# Notes a certifier hears in their next digest.
ESCALATED_IN = "escalated_in"
ESCALATED_OUT = "escalated_out"
# Rule 七 is for epidemics, incidents, staff who left or cannot be reached: items that are
# merely late are offered to the convener (take over, or remind the teacher), not moved.
OFFERED = "offered"
TAKEN_OVER = "taken_over"


# --- the proxy chain --------------------------------------------------------------------------


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


# --- submission and reassignment ---------------------------------------------------------------


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


def _assign(
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
        move = _assign(session, outcome, link, now, reason)
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


# --- the chain as staff set it -------------------------------------------------------------------


def set_away(
    session: Session,
    staff_id: int,
    kind: str,
    starts_on: date,
    ends_on: date | None,
    now: datetime,
    note: str | None = None,
) -> tuple[TeacherAbsence, list[Move]]:
    absence = TeacherAbsence(
        staff_id=staff_id,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
        created_at=now,
    )
    session.add(absence)
    session.flush()
    return absence, reresolve_pending(session, now, reason=f"{kind} {starts_on}")


def set_back(
    session: Session, staff_id: int, now: datetime
) -> tuple[list[TeacherAbsence], list[Move]]:
    """End every absence of the teacher that covers today or lies ahead."""
    today = taipei_date(now)
    ended: list[TeacherAbsence] = []
    for absence in session.scalars(
        select(TeacherAbsence).where(
            TeacherAbsence.staff_id == staff_id, TeacherAbsence.cancelled_at.is_(None)
        )
    ):
        if absence.starts_on > today:
            absence.cancelled_at = now
            ended.append(absence)
        elif absence.ends_on is None or absence.ends_on >= today:
            absence.ends_on = today - timedelta(days=1)
            if absence.ends_on < absence.starts_on:
                absence.cancelled_at = now
            ended.append(absence)
    session.flush()
    return ended, reresolve_pending(session, now, reason="back")


def absences(
    session: Session, include_past: bool = False, today: date | None = None
) -> list[TeacherAbsence]:
    query = select(TeacherAbsence).where(TeacherAbsence.cancelled_at.is_(None))
    if not include_past and today is not None:
        query = query.where((TeacherAbsence.ends_on.is_(None)) | (TeacherAbsence.ends_on >= today))
    return list(session.scalars(query.order_by(TeacherAbsence.starts_on, TeacherAbsence.id)))


def set_successor(
    session: Session, course_id: int, successor_id: int | None, now: datetime
) -> list[Move]:
    """Name (or, with None, clear) the teacher who took over a course."""
    row = session.scalars(
        select(CourseSuccessor).where(CourseSuccessor.course_id == course_id)
    ).first()
    if successor_id is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(CourseSuccessor(course_id=course_id, successor_id=successor_id, created_at=now))
    else:
        row.successor_id = successor_id
        row.created_at = now
    session.flush()
    return reresolve_pending(session, now, [course_id], reason="successor named")


def set_convener(
    session: Session, subject: str, convener_id: int, designee_id: int | None, now: datetime
) -> list[Move]:
    row = session.scalars(select(SubjectConvener).where(SubjectConvener.subject == subject)).first()
    if row is None:
        session.add(
            SubjectConvener(
                subject=subject, convener_id=convener_id, designee_id=designee_id, updated_at=now
            )
        )
    else:
        row.convener_id = convener_id
        row.designee_id = designee_id
        row.updated_at = now
    session.flush()
    return reresolve_pending(session, now, reason="convener named")


def conveners(session: Session) -> list[SubjectConvener]:
    return list(session.scalars(select(SubjectConvener).order_by(SubjectConvener.subject)))


# --- windows ------------------------------------------------------------------------------------


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


# --- decisions ----------------------------------------------------------------------------------


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


# --- what a certifier has to do ------------------------------------------------------------------


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


def first_push_of_day(session: Session, staff_id: int, day: date) -> CertificationPush | None:
    return session.scalars(
        select(CertificationPush).where(
            CertificationPush.staff_id == staff_id, CertificationPush.day == day
        )
    ).first()


def last_push(session: Session, staff_id: int) -> CertificationPush | None:
    return session.scalars(
        select(CertificationPush)
        .where(CertificationPush.staff_id == staff_id)
        .order_by(CertificationPush.day.desc())
        .limit(1)
    ).first()


def certifiers_with_news(session: Session) -> list[int]:
    """Staff with something new since their last push: an unseen pending item or a note."""
    ids = set(
        session.scalars(
            select(CourseOutcome.certifier_id)
            .where(
                CourseOutcome.status == PENDING,
                CourseOutcome.certifier_told_at.is_(None),
                CourseOutcome.certifier_id.is_not(None),
            )
            .distinct()
        )
    )
    ids.update(
        session.scalars(
            select(CertifierNote.staff_id).where(CertifierNote.told_at.is_(None)).distinct()
        )
    )
    return sorted(i for i in ids if i is not None)


def untold_notes(session: Session, staff_id: int) -> list[CertifierNote]:
    return list(
        session.scalars(
            select(CertifierNote)
            .where(CertifierNote.staff_id == staff_id, CertifierNote.told_at.is_(None))
            .order_by(CertifierNote.id)
        )
    )


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


# --- escalation -----------------------------------------------------------------------------------


@dataclass
class Escalation:
    moves: list[Move] = field(default_factory=list)
    # (from, to, year, semester) -> items
    pairs: dict[tuple[int | None, int, int, int], int] = field(default_factory=dict)


def _escalating(rules: SchoolRules, year: int, semester: int, now: datetime) -> bool:
    """Whether the term's escalation time has come (for grade 12's windows or everyone's)."""
    for grade in (None, 12):
        try:
            when = rules.escalation_at(year, semester, grade=grade)
            end = rules.window("certification", year, semester, grade=grade).end_exclusive
        except NotConfigured:
            continue
        if when <= now < end:
            return True
    return False


def escalate_due(session: Session, now: datetime, rules: SchoolRules) -> Escalation:
    """Offer items still pending at the escalation time to the subject's convener.

    Nothing moves: the course teacher keeps the item (and may still decide it) and the
    convener hears, in their next digest, how many are late, with one tap to take them over
    or to remind the teacher. Items of a teacher who is away or left moved at once when staff
    said so (set_away). An item is offered once (escalated_at): running this again does nothing.
    """
    result = Escalation()
    terms = [
        (year, semester)
        for year, semester in session.execute(
            select(CourseOutcome.academic_year, CourseOutcome.semester)
            .where(CourseOutcome.status == PENDING, CourseOutcome.escalated_at.is_(None))
            .distinct()
        )
        if _escalating(rules, year, semester, now)
    ]
    if not terms:  # the usual tick: no term is in its last days
        return result
    book = ChainBook(session, taipei_date(now))
    items = session.scalars(
        select(CourseOutcome)
        .where(
            CourseOutcome.status == PENDING,
            CourseOutcome.escalated_at.is_(None),
            tuple_(CourseOutcome.academic_year, CourseOutcome.semester).in_(terms),
        )
        .options(joinedload(CourseOutcome.course), joinedload(CourseOutcome.student))
        .order_by(CourseOutcome.id)
    ).unique()
    for outcome in items:
        when = escalation_time(rules, outcome)
        window = certification_window(rules, outcome)
        if when is None or window is None or not (when <= now < window.end_exclusive):
            continue
        # Marked offered without a new version: the teacher's cards stay valid.
        marked = session.execute(
            update(CourseOutcome)
            .where(
                CourseOutcome.id == outcome.id,
                CourseOutcome.status == PENDING,
                CourseOutcome.certify_version == outcome.certify_version,
            )
            .values(escalated_at=now)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            continue
        link = book.chain(outcome.course).certifier(TOP_LEVEL, exclude=outcome.certifier_id)
        if link is None or not link.available or outcome.certifier_id is None:
            continue  # nobody to offer it to: it stays with whoever holds it
        key = (outcome.certifier_id, link.staff_id, outcome.academic_year, outcome.semester)
        result.pairs[key] = result.pairs.get(key, 0) + 1
    for (from_id, to_id, year, semester), count in result.pairs.items():
        session.add(
            CertifierNote(
                staff_id=to_id,
                created_at=now,
                kind=OFFERED,
                count=count,
                other_staff_id=from_id,
                academic_year=year,
                semester=semester,
            )
        )
    session.flush()
    return result


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
        move = _assign(session, outcome, link, now, "taken over", floor=link.level)
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


# --- what students hear --------------------------------------------------------------------------


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


# --- the homeroom view ---------------------------------------------------------------------------


def homeroom_classes(session: Session, staff_id: int) -> list[SchoolClass]:
    return list(
        session.scalars(
            select(SchoolClass)
            .where(SchoolClass.homeroom_teacher_id == staff_id)
            .order_by(SchoolClass.code)
        )
    )


# --- what a cadence costs -----------------------------------------------------------------------


@dataclass(frozen=True)
class CadenceCost:
    """Pushes a period's certification traffic costs under each cadence (per recipient)."""

    submissions: int
    decisions: int
    rejections: int
    daily: int  # one digest per certifier per day with news
    immediate: int  # one push per certifier per tick with news
    naive: int  # one push per submission to the teacher and per decision to the student


def cadence_cost(
    session: Session,
    rules: SchoolRules,
    start: datetime,
    end: datetime,
    tick: timedelta = timedelta(minutes=5),
) -> CadenceCost:
    """Estimate from the items sent in (start, end]: who was asked, when each cadence would
    have pushed them; rejections are pushed to the student under every cadence."""
    push_at = rules.cert_cadence.at or DEFAULT_CERT_PUSH_AT
    rows = session.execute(
        select(CourseOutcome.submitted_at, Course.teacher_id, CourseOutcome.certifier_id)
        .join(Course, Course.id == CourseOutcome.course_id)
        .where(CourseOutcome.submitted_at > start, CourseOutcome.submitted_at <= end)
    ).all()
    daily: set[tuple[int | None, date]] = set()
    immediate: set[tuple[int | None, datetime]] = set()
    for submitted_at, teacher_id, certifier_id in rows:
        assert submitted_at is not None  # the WHERE above
        who = certifier_id or teacher_id
        day = taipei_date(submitted_at)
        if taipei(submitted_at).time() > push_at:
            day += timedelta(days=1)
        daily.add((who, day))
        sent = rules.next_send_time(submitted_at)
        slot = datetime.fromtimestamp(
            sent.timestamp() // tick.total_seconds() * tick.total_seconds(), tz=sent.tzinfo
        )
        immediate.add((who, slot))
    decided = session.execute(
        select(CourseOutcome.status, func.count())
        .where(CourseOutcome.decided_at > start, CourseOutcome.decided_at <= end)
        .group_by(CourseOutcome.status)
    ).all()
    counts = dict(decided)
    decisions = sum(counts.values())
    rejections = counts.get(REJECTED, 0)
    return CadenceCost(
        submissions=len(rows),
        decisions=decisions,
        rejections=rejections,
        daily=len(daily) + rejections,
        immediate=len(immediate) + rejections,
        naive=len(rows) + decisions,
    )


# --- the audit log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    action: str
    item_id: int
    student_no: str
    student_name: str
    class_seat: str
    course: str
    actor: str
    capacity: str
    detail: str


def audit_rows(
    session: Session, start: datetime | None = None, end: datetime | None = None
) -> list[AuditRow]:
    """Course-outcome entries of the append-only log with names, oldest first."""
    query = select(AuditEntry).where(AuditEntry.item_kind == ITEM_KIND)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    entries = list(session.scalars(query.order_by(AuditEntry.at, AuditEntry.id)))
    students = {
        s.id: s
        for s in session.scalars(
            select(Student)
            .where(Student.id.in_({e.student_id for e in entries if e.student_id} or {0}))
            .options(joinedload(Student.school_class))
        ).unique()
    }
    staff = {
        s.id: s.name
        for s in session.scalars(
            select(Staff).where(
                Staff.id.in_({e.actor_staff_id for e in entries if e.actor_staff_id} or {0})
            )
        )
    }
    courses = dict(
        session.execute(
            select(CourseOutcome.id, Course.subject)
            .join(Course, Course.id == CourseOutcome.course_id)
            .where(CourseOutcome.id.in_({e.item_id for e in entries} or {0}))
        ).all()
    )
    rows = []
    for e in entries:
        student = students.get(e.student_id or 0)
        if e.actor_staff_id:
            actor = staff.get(e.actor_staff_id, str(e.actor_staff_id))
        elif e.actor_student_id:
            actor = student.name if student else str(e.actor_student_id)
        else:
            actor = ""
        rows.append(
            AuditRow(
                at=e.at,
                action=e.action,
                item_id=e.item_id,
                student_no=student.student_no if student else "",
                student_name=student.name if student else "",
                class_seat=student.class_seat if student else "",
                course=courses.get(e.item_id, ""),
                actor=actor,
                capacity=e.capacity or "",
                detail=e.detail or "",
            )
        )
    return rows
