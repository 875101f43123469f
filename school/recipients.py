"""Who a notice reaches: people as recipient keys with the LINE accounts they follow the bot from.

People are found from the database each time (never cached between ticks), so a student bound
yesterday or an item certified an hour ago changes who hears what. A person is a recipient key
("student:12", "staff:3", "guardian:4") with the LINE accounts they follow the bot from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from storage.models.line import LineAccount
from storage.models.school import Guardian, GuardianLink, SchoolClass, Staff, StaffRole, Student

ENROLLED = "在學"
# The roster keeps grades 1-3 (高一..高三); the rules file speaks of 10-12.
RULES_GRADE_OFFSET = 9
ALL_GRADES = (10, 11, 12)
TEACHING_ROLES = ("任課教師", "導師", "課程諮詢教師", "科召集人")
HOMEROOM_ROLE = "導師"
REGISTRAR_ROLE = "註冊組"


def to_rules_grade(grade: int) -> int:
    return grade + RULES_GRADE_OFFSET if grade <= 3 else grade


def to_roster_grade(grade: int) -> int:
    return grade - RULES_GRADE_OFFSET if grade >= 10 else grade


@dataclass(frozen=True)
class Recipient:
    """A person a notice goes to, with every LINE account they follow the bot from."""

    key: str
    line_user_ids: tuple[str, ...]
    name: str
    person_id: int
    grade: int | None = None  # rules grade (10-12), students only
    class_id: int | None = None


def recipient_keys(
    student_id: int | None, staff_id: int | None, guardian_id: int | None
) -> list[str]:
    """The keys one LINE account answers to (a teacher may also be a parent)."""
    keys = []
    if student_id:
        keys.append(f"student:{student_id}")
    if staff_id:
        keys.append(f"staff:{staff_id}")
    if guardian_id:
        keys.append(f"guardian:{guardian_id}")
    return keys


def _accounts(session: Session, column: Any, ids: Collection[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return found
    rows = session.execute(
        select(column, LineAccount.line_user_id)
        .where(column.in_(list(ids)), LineAccount.followed.is_(True))
        .order_by(LineAccount.id)
    )
    for person_id, line_user_id in rows:
        found[person_id].append(line_user_id)
    return found


def _enrolled(
    query: Select[Any], grades: Collection[int] | None, classes: Collection[str] | None
) -> Select[Any]:
    """The query narrowed to enrolled, unsealed students in these rules grades and classes."""
    query = query.where(Student.status == ENROLLED, Student.sealed_at.is_(None))
    if grades:
        query = query.where(Student.grade.in_([to_roster_grade(g) for g in grades]))
    if classes:
        query = query.join(SchoolClass, SchoolClass.id == Student.class_id).where(
            SchoolClass.code.in_(list(classes))
        )
    return query


def students(
    session: Session,
    grades: Collection[int] | None = None,
    classes: Collection[str] | None = None,
) -> list[Recipient]:
    """Enrolled, unsealed students with a LINE account; grades are rules grades (10-12)."""
    query = _enrolled(select(Student), grades, classes).order_by(Student.student_no)
    people = list(session.scalars(query))
    accounts = _accounts(session, LineAccount.student_id, [s.id for s in people])
    return [
        Recipient(
            f"student:{s.id}",
            tuple(accounts[s.id]),
            s.name,
            s.id,
            to_rules_grade(s.grade),
            s.class_id,
        )
        for s in people
        if accounts.get(s.id)
    ]


def staff_with_roles(session: Session, roles: Collection[str]) -> list[Recipient]:
    """Staff holding any of these roles (StaffRole.role, e.g. 註冊組), with a LINE account."""
    if not roles:
        return []
    people = list(
        session.scalars(
            select(Staff)
            .where(Staff.id.in_(select(StaffRole.staff_id).where(StaffRole.role.in_(list(roles)))))
            .order_by(Staff.staff_no)
        )
    )
    return _staff_recipients(session, people)


def _staff_recipients(session: Session, people: Sequence[Staff]) -> list[Recipient]:
    accounts = _accounts(session, LineAccount.staff_id, [p.id for p in people])
    return [
        Recipient(f"staff:{p.id}", tuple(accounts[p.id]), p.name, p.id)
        for p in people
        if accounts.get(p.id)
    ]


def staff_by_ids(session: Session, ids: Collection[int]) -> list[Recipient]:
    if not ids:
        return []
    people = list(
        session.scalars(select(Staff).where(Staff.id.in_(list(ids))).order_by(Staff.staff_no))
    )
    return _staff_recipients(session, people)


def teachers(session: Session) -> list[Recipient]:
    """Everyone who teaches: course teachers, homeroom teachers, consultants, conveners."""
    homeroom_ids = select(SchoolClass.homeroom_teacher_id).where(
        SchoolClass.homeroom_teacher_id.is_not(None)
    )
    people = list(
        session.scalars(
            select(Staff)
            .where(
                or_(
                    Staff.id.in_(
                        select(StaffRole.staff_id).where(StaffRole.role.in_(TEACHING_ROLES))
                    ),
                    Staff.id.in_(homeroom_ids),
                )
            )
            .order_by(Staff.staff_no)
        )
    )
    return _staff_recipients(session, people)


def homeroom_teachers(
    session: Session, grades: Collection[int] | None = None
) -> list[tuple[Recipient, int]]:
    """(homeroom teacher, class id) for classes in these rules grades."""
    query = select(SchoolClass).where(SchoolClass.homeroom_teacher_id.is_not(None))
    if grades:
        query = query.where(SchoolClass.grade.in_([to_roster_grade(g) for g in grades]))
    classes = list(session.scalars(query.order_by(SchoolClass.code)))
    teacher_ids = [c.homeroom_teacher_id for c in classes if c.homeroom_teacher_id is not None]
    accounts = _accounts(session, LineAccount.staff_id, teacher_ids)
    found = []
    for cls in classes:
        teacher = cls.homeroom_teacher
        assert cls.homeroom_teacher_id is not None and teacher is not None
        ids = accounts.get(cls.homeroom_teacher_id)
        if ids:
            found.append(
                (Recipient(f"staff:{teacher.id}", tuple(ids), teacher.name, teacher.id), cls.id)
            )
    return found


def guardians(
    session: Session,
    grades: Collection[int] | None = None,
    classes: Collection[str] | None = None,
) -> list[Recipient]:
    """Guardians of enrolled students in these grades or classes (each guardian once)."""
    query = select(GuardianLink.guardian_id).join(Student, Student.id == GuardianLink.student_id)
    ids = sorted(set(session.scalars(_enrolled(query, grades, classes))))
    accounts = _accounts(session, LineAccount.guardian_id, ids)
    names: dict[int, str] = {}
    if ids:
        rows = session.execute(select(Guardian.id, Guardian.name).where(Guardian.id.in_(ids)))
        names = {gid: name for gid, name in rows}
    return [
        Recipient(f"guardian:{gid}", tuple(accounts[gid]), names.get(gid, ""), gid)
        for gid in ids
        if accounts.get(gid)
    ]


def audience_recipients(session: Session, spec: dict[str, Any]) -> list[Recipient]:
    """Everyone an event's or announcement's audience names, each LINE account once.

    spec: {"students", "guardians", "teachers": bool, "grades": [10, 11], "classes": ["101"],
    "staff_roles": ["註冊組"]}; grades and classes narrow students and guardians.
    """
    grades = spec.get("grades") or None
    classes = spec.get("classes") or None
    found: list[Recipient] = []
    if spec.get("students"):
        found += students(session, grades, classes)
    if spec.get("guardians"):
        found += guardians(session, grades, classes)
    if spec.get("teachers"):
        found += teachers(session)
    if spec.get("staff_roles"):
        found += staff_with_roles(session, spec["staff_roles"])
    return unique_recipients(found)


def unique_recipients(people: Iterable[Recipient]) -> list[Recipient]:
    """Drop repeats: the same person, or a LINE account already reached as someone else."""
    seen_keys: set[str] = set()
    seen_accounts: set[str] = set()
    out = []
    for person in people:
        if person.key in seen_keys:
            continue
        fresh = tuple(a for a in person.line_user_ids if a not in seen_accounts)
        if not fresh:
            continue
        seen_keys.add(person.key)
        seen_accounts.update(fresh)
        out.append(person if fresh == person.line_user_ids else _with_accounts(person, fresh))
    return out


def _with_accounts(person: Recipient, accounts: tuple[str, ...]) -> Recipient:
    return Recipient(
        person.key, accounts, person.name, person.person_id, person.grade, person.class_id
    )
