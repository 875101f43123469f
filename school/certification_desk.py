"""What 教學組 and the subject conveners watch in certification: pending items per course and
teacher with their age, the proxy chain per course, and who is away."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from school import certification_office, proxy_chain
from storage.clock import TAIPEI
from storage.models.portfolio import PENDING, CourseOutcome
from storage.models.school import Course, SchoolClass, Staff, StaffRole


@dataclass(frozen=True)
class PendingRow:
    course_id: int
    subject: str
    course: str  # subject and class
    code: str
    certifier: str
    capacity: str
    count: int
    oldest: datetime | None
    age_days: int


def pending(session: Session, now: datetime, subject: str | None = None) -> list[PendingRow]:
    """Pending course outcomes per course and certifier, oldest first (one grouped query)."""
    query = (
        select(
            CourseOutcome.course_id,
            CourseOutcome.certifier_id,
            CourseOutcome.certifier_capacity,
            func.count(),
            func.min(CourseOutcome.submitted_at),
            Course.subject,
            Course.code,
            SchoolClass.code,
            Staff.name,
        )
        .join(Course, Course.id == CourseOutcome.course_id)
        .outerjoin(SchoolClass, SchoolClass.id == Course.class_id)
        .outerjoin(Staff, Staff.id == CourseOutcome.certifier_id)
        .where(CourseOutcome.status == PENDING)
        .group_by(
            CourseOutcome.course_id,
            CourseOutcome.certifier_id,
            CourseOutcome.certifier_capacity,
            Course.subject,
            Course.code,
            SchoolClass.code,
            Staff.name,
        )
    )
    if subject is not None:
        query = query.where(Course.subject == subject)
    today = now.astimezone(TAIPEI).date()
    rows = []
    for course_id, _, capacity, count, oldest, subj, code, cls, name in session.execute(query):
        age = (today - oldest.astimezone(TAIPEI).date()).days if oldest else 0
        rows.append(
            PendingRow(
                course_id,
                subj,
                f"{subj} {cls or ''}".strip(),
                code,
                name or "—",
                capacity or proxy_chain.TEACHER,
                count,
                oldest,
                age,
            )
        )
    rows.sort(key=lambda r: (-r.age_days, r.course))
    return rows


@dataclass(frozen=True)
class ChainStep:
    capacity: str
    name: str
    available: bool


def chain(session: Session, course_id: int, today: date) -> list[ChainStep]:
    course = session.get(Course, course_id)
    if course is None:
        return []
    names = {s.id: s.name for s in session.scalars(select(Staff))}
    return [
        ChainStep(link.capacity, names.get(link.staff_id, "—"), link.available)
        for link in proxy_chain.chain_for(session, course, today).links
    ]


def subjects_of(session: Session, staff_id: int) -> list[str]:
    """The subjects a convener heads (their view is limited to these): those staff named them
    for, and their own roster subject as a 科召集人 where nobody was named (as the chain does)."""
    named = {row.subject: row.convener_id for row in certification_office.conveners(session)}
    mine = {subject for subject, convener in named.items() if convener == staff_id}
    roster = session.execute(
        select(Staff.subject)
        .join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(Staff.id == staff_id, StaffRole.role == proxy_chain.CONVENER_ROLE)
    ).scalar()
    if roster and roster not in named:
        first = session.execute(
            select(func.min(Staff.id))
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(Staff.subject == roster, StaffRole.role == proxy_chain.CONVENER_ROLE)
        ).scalar()
        if first == staff_id:  # the chain takes the first 科召集人 of a subject
            mine.add(roster)
    return sorted(mine)


@dataclass(frozen=True)
class MovedItem:
    student: str
    course: str
    old: str
    new: str
    capacity: str


def describe_moves(session: Session, moves: list[proxy_chain.Move]) -> list[MovedItem]:
    """What moved to whom, in words staff read (after a teacher goes away or comes back)."""
    names = {s.id: s.name for s in session.scalars(select(Staff))}
    out = []
    for move in moves:
        outcome = session.get(CourseOutcome, move.outcome_id)
        if outcome is None:
            continue
        student = (
            f"{outcome.student.class_seat} {outcome.student.name}"
            if outcome.student is not None
            else ""
        )
        out.append(
            MovedItem(
                student,
                outcome.course.subject if outcome.course else "",
                names.get(move.from_id or 0, "—"),
                names.get(move.to_id, "—"),
                move.capacity,
            )
        )
    return out
