"""Who a LINE account is and what they may do: roles from the bound person."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models.line import LineAccount
from storage.models.school import Guardian, GuardianLink, SchoolClass, Staff, Student

STUDENT = "student"
GUARDIAN = "guardian"
TEACHER = "teacher"
HOMEROOM = "homeroom"
CONSULTANT = "consultant"
CONVENER = "convener"
STAFF = "staff"
# Menus (not roles) of people who hold several roles.
STAFF_TEACHER = "staff_teacher"
STAFF_HOMEROOM = "staff_homeroom"

# Staff roles as the roster names them → what they unlock here.
TEACHING_ROLES = {
    "任課教師": TEACHER,
    "導師": HOMEROOM,
    "課程諮詢教師": CONSULTANT,
    "科召集人": CONVENER,
}
OFFICE_ROLES = frozenset(
    {
        "註冊組",
        "教學組",
        "訓育組",
        "社團組",
        "生輔組",
        "輔導室",
        "資媒組",
        "校長",
        "教務主任",
        "註冊組長",
        "教學組長",
        "資媒組長",
    }
)


@dataclass
class Identity:
    account: LineAccount
    student: Student | None = None
    staff: Staff | None = None
    guardian: Guardian | None = None
    children: list[Student] = field(default_factory=list)
    roles: set[str] = field(default_factory=set)
    offices: set[str] = field(default_factory=set)

    @property
    def bound(self) -> bool:
        return bool(self.roles)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def display_name(self) -> str:
        person = self.student or self.staff or self.guardian
        return person.name if person else ""

    @property
    def menu(self) -> str:
        """The rich menu for this person: the union of their roles (office staff who teach or
        lead a class get the office menu with the teacher's buttons)."""
        if STAFF in self.roles:
            if HOMEROOM in self.roles:
                return STAFF_HOMEROOM
            if self.roles & {TEACHER, CONSULTANT, CONVENER}:
                return STAFF_TEACHER
            return STAFF
        if HOMEROOM in self.roles:
            return HOMEROOM
        if self.roles & {TEACHER, CONSULTANT, CONVENER}:
            return TEACHER
        if GUARDIAN in self.roles:
            return GUARDIAN
        return STUDENT


def identify(session: Session, account: LineAccount | None) -> Identity | None:
    if account is None:
        return None
    ident = Identity(account=account)
    if account.student_id:
        ident.student = session.get(Student, account.student_id)
        if ident.student is not None and ident.student.sealed_at is None:
            ident.roles.add(STUDENT)
    if account.staff_id:
        ident.staff = session.get(Staff, account.staff_id)
        if ident.staff is not None:
            names = ident.staff.role_names
            ident.roles.update(TEACHING_ROLES[r] for r in names if r in TEACHING_ROLES)
            ident.offices = {r for r in names if r in OFFICE_ROLES}
            if ident.offices:
                ident.roles.add(STAFF)
            if not ident.roles:
                ident.roles.add(TEACHER)
            homeroom = session.scalars(
                select(SchoolClass.id).where(SchoolClass.homeroom_teacher_id == ident.staff.id)
            ).first()
            if homeroom is not None:
                ident.roles.add(HOMEROOM)
    if account.guardian_id:
        ident.guardian = session.get(Guardian, account.guardian_id)
        if ident.guardian is not None:
            ident.children = list(
                session.scalars(
                    select(Student)
                    .join(GuardianLink, GuardianLink.student_id == Student.id)
                    .where(GuardianLink.guardian_id == ident.guardian.id)
                    .order_by(Student.student_no)
                )
            )
            ident.roles.add(GUARDIAN)
    return ident
