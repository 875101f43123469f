"""Finding a person and everything the office needs to see about them: roles, binding, items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from storage.models.line import LineAccount
from storage.models.portfolio import (
    DRAFT,
    WITHDRAWN,
    CourseOutcome,
    FileRecord,
    Performance,
    PerformanceFile,
)
from storage.models.school import (
    Course,
    Guardian,
    GuardianLink,
    SchoolClass,
    Staff,
    Student,
)

STUDENT, STAFF, GUARDIAN = "student", "staff", "guardian"
KINDS = (STUDENT, STAFF, GUARDIAN)
MAX_FOUND = 50


@dataclass(frozen=True)
class Found:
    kind: str
    id: int
    name: str
    number: str
    where: str


def find(session: Session, words: str, class_ids: frozenset[int] | None = None) -> list[Found]:
    """Students, staff and guardians whose name or number holds the words (class_ids: only
    students of these classes and their guardians)."""
    words = words.strip()
    if not words:
        return []
    like = f"%{words}%"
    found: list[Found] = []
    students = (
        select(Student, SchoolClass.code)
        .join(SchoolClass, SchoolClass.id == Student.class_id, isouter=True)
        .where(or_(Student.name.like(like), Student.student_no.like(like)))
        .order_by(Student.student_no)
        .limit(MAX_FOUND)
    )
    if class_ids is not None:
        students = students.where(Student.class_id.in_(class_ids))
    for s, code in session.execute(students):
        found.append(
            Found(STUDENT, s.id, s.name, s.student_no, f"{code or '—'}-{s.seat_no or '—'}")
        )
    guardians = (
        select(Guardian.id, Guardian.name, Student.name)
        .join(GuardianLink, GuardianLink.guardian_id == Guardian.id)
        .join(Student, Student.id == GuardianLink.student_id)
        .where(Guardian.name.like(like))
        .order_by(Guardian.id)
        .limit(MAX_FOUND)
    )
    if class_ids is not None:
        guardians = guardians.where(Student.class_id.in_(class_ids))
    for gid, name, child in session.execute(guardians):
        found.append(Found(GUARDIAN, gid, name, "", child))
    if class_ids is None:
        staff = (
            select(Staff)
            .where(or_(Staff.name.like(like), Staff.staff_no.like(like)))
            .order_by(Staff.staff_no)
            .limit(MAX_FOUND)
        )
        for member in session.scalars(staff):
            found.append(
                Found(
                    STAFF,
                    member.id,
                    member.name,
                    member.staff_no,
                    "、".join(sorted(member.role_names)),
                )
            )
    return found


@dataclass(frozen=True)
class Binding:
    bound: bool
    since: datetime | None


def binding_of(session: Session, kind: str, person_id: int) -> Binding:
    column = {
        STUDENT: LineAccount.student_id,
        STAFF: LineAccount.staff_id,
        GUARDIAN: LineAccount.guardian_id,
    }[kind]
    since = session.execute(select(LineAccount.bound_at).where(column == person_id)).first()
    return Binding(since is not None, since[0] if since else None)


@dataclass(frozen=True)
class ItemFile:
    file_id: int
    mime: str
    name: str


@dataclass(frozen=True)
class Item:
    kind: str  # outcome | performance
    term: str
    what: str
    status: str
    summary: str
    submitted_at: datetime | None
    files: tuple[ItemFile, ...]


@dataclass
class StudentCard:
    student: Student
    class_code: str
    binding: Binding
    guardians: list[tuple[Guardian, str | None, Binding]] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)


def _file(record: FileRecord | None) -> tuple[ItemFile, ...]:
    if record is None:
        return ()
    return (ItemFile(record.id, record.mime, record.display_name or ""),)


def student_card(session: Session, student_id: int) -> StudentCard | None:
    """One student with guardians, binding and every item (drafts and withdrawals left out)."""
    student = session.get(Student, student_id)
    if student is None:
        return None
    code = student.school_class.code if student.school_class else "—"
    card = StudentCard(student, code, binding_of(session, STUDENT, student.id))
    links = session.execute(
        select(Guardian, GuardianLink.relation, LineAccount.bound_at)
        .join(GuardianLink, GuardianLink.guardian_id == Guardian.id)
        .join(LineAccount, LineAccount.guardian_id == Guardian.id, isouter=True)
        .where(GuardianLink.student_id == student.id)
        .order_by(Guardian.id)
    )
    for guardian, relation, bound_at in links:
        card.guardians.append((guardian, relation, Binding(bound_at is not None, bound_at)))
    outcomes = session.scalars(
        select(CourseOutcome)
        .where(
            CourseOutcome.student_id == student.id, CourseOutcome.status.not_in((DRAFT, WITHDRAWN))
        )
        .options(
            selectinload(CourseOutcome.course),
            selectinload(CourseOutcome.document),
            selectinload(CourseOutcome.video),
        )
        .order_by(
            CourseOutcome.academic_year.desc(), CourseOutcome.semester.desc(), CourseOutcome.id
        )
    )
    for o in outcomes:
        card.items.append(
            Item(
                "outcome",
                f"{o.academic_year}-{o.semester}",
                o.course.subject if o.course else "",
                o.status,
                o.summary,
                o.submitted_at,
                _file(o.document) + _file(o.video),
            )
        )
    performances = session.scalars(
        select(Performance)
        .where(Performance.student_id == student.id, Performance.status.not_in((DRAFT, WITHDRAWN)))
        .options(selectinload(Performance.proofs).selectinload(PerformanceFile.file))
        .order_by(Performance.academic_year.desc(), Performance.semester.desc(), Performance.id)
    )
    for p in performances:
        files = tuple(f for proof in p.proofs for f in _file(proof.file))
        card.items.append(
            Item(
                "performance",
                f"{p.academic_year}-{p.semester}",
                p.record_type,
                p.status,
                p.summary,
                p.submitted_at,
                files,
            )
        )
    return card


@dataclass
class StaffCard:
    staff: Staff
    binding: Binding
    homeroom: list[str]
    courses: list[str]


def staff_card(session: Session, staff_id: int) -> StaffCard | None:
    member = session.get(Staff, staff_id)
    if member is None:
        return None
    homeroom = list(
        session.scalars(
            select(SchoolClass.code)
            .where(SchoolClass.homeroom_teacher_id == staff_id)
            .order_by(SchoolClass.code)
        )
    )
    courses = [
        f"{code or '—'} {subject}"
        for subject, code in session.execute(
            select(Course.subject, SchoolClass.code)
            .join(SchoolClass, SchoolClass.id == Course.class_id, isouter=True)
            .where(Course.teacher_id == staff_id)
            .order_by(Course.term_id.desc(), Course.code)
            .limit(40)
        )
    ]
    return StaffCard(member, binding_of(session, STAFF, staff_id), homeroom, courses)


@dataclass
class GuardianCard:
    guardian: Guardian
    binding: Binding
    children: list[tuple[Student, str | None]]


def guardian_card(session: Session, guardian_id: int) -> GuardianCard | None:
    guardian = session.get(Guardian, guardian_id)
    if guardian is None:
        return None
    children = [
        (s, relation)
        for s, relation in session.execute(
            select(Student, GuardianLink.relation)
            .join(GuardianLink, GuardianLink.student_id == Student.id)
            .where(GuardianLink.guardian_id == guardian_id)
            .order_by(Student.student_no)
        )
    ]
    return GuardianCard(guardian, binding_of(session, GUARDIAN, guardian_id), children)


def guardian_class_ids(session: Session, guardian_id: int) -> set[int]:
    return {
        cid
        for cid in session.scalars(
            select(Student.class_id)
            .join(GuardianLink, GuardianLink.student_id == Student.id)
            .where(GuardianLink.guardian_id == guardian_id)
        )
        if cid is not None
    }
