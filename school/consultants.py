"""Who a course-consultation teacher (課程諮詢教師) advises: classes or whole grades, assigned
by staff; the consultation records and the chat read it to know whom a consultant may record.

Every function takes the caller's session; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from school.records import RecordError
from storage.models.records import ConsultantAssignment
from storage.models.school import SchoolClass, Staff, StaffRole, Student

CONSULTANT_ROLE: Final = "課程諮詢教師"


def is_consultant(staff: Staff) -> bool:
    return CONSULTANT_ROLE in staff.role_names


def consultant_staff(session: Session) -> list[Staff]:
    """Everyone who holds the consultant role, by staff number (whom staff may assign)."""
    return list(
        session.scalars(
            select(Staff)
            .where(
                Staff.id.in_(select(StaffRole.staff_id).where(StaffRole.role == CONSULTANT_ROLE))
            )
            .order_by(Staff.staff_no)
        )
    )


def assignments(session: Session, staff_id: int | None = None) -> list[ConsultantAssignment]:
    query = select(ConsultantAssignment).options(
        selectinload(ConsultantAssignment.staff), selectinload(ConsultantAssignment.school_class)
    )
    if staff_id is not None:
        query = query.where(ConsultantAssignment.staff_id == staff_id)
    return list(
        session.scalars(
            query.order_by(
                ConsultantAssignment.staff_id,
                ConsultantAssignment.grade,
                ConsultantAssignment.class_id,
            )
        )
    )


@dataclass(frozen=True)
class AssignResult:
    created: bool
    assignment: ConsultantAssignment | None


def assign_consultant(
    session: Session,
    staff: Staff,
    now: datetime,
    *,
    school_class: SchoolClass | None = None,
    grade: int | None = None,
    dry_run: bool = False,
) -> AssignResult:
    """Let a consultant advise one class or a whole grade (roster grade 1-3); idempotent."""
    if (school_class is None) == (grade is None):
        raise RecordError("class_or_grade")
    if not is_consultant(staff):
        raise RecordError("not_consultant", no=staff.staff_no, name=staff.name)
    query = select(ConsultantAssignment).where(ConsultantAssignment.staff_id == staff.id)
    if school_class is not None:
        query = query.where(ConsultantAssignment.class_id == school_class.id)
    else:
        query = query.where(ConsultantAssignment.grade == grade)
    existing = session.scalars(query).first()
    if existing is not None:
        return AssignResult(False, existing)
    if dry_run:
        return AssignResult(True, None)
    row = ConsultantAssignment(
        staff_id=staff.id,
        grade=grade,
        created_at=now,
        class_id=school_class.id if school_class else None,
    )
    session.add(row)
    session.flush()
    return AssignResult(True, row)


def unassign_consultant(
    session: Session,
    staff: Staff,
    *,
    school_class: SchoolClass | None = None,
    grade: int | None = None,
    dry_run: bool = False,
) -> int:
    query = select(ConsultantAssignment).where(ConsultantAssignment.staff_id == staff.id)
    if school_class is not None:
        query = query.where(ConsultantAssignment.class_id == school_class.id)
    if grade is not None:
        query = query.where(ConsultantAssignment.grade == grade)
    rows = list(session.scalars(query))
    if not dry_run:
        for row in rows:
            session.delete(row)
        session.flush()
    return len(rows)


def advised_classes(session: Session, staff_id: int) -> list[SchoolClass]:
    """The classes a consultant advises: those named, and every class of the grades named."""
    rows = assignments(session, staff_id)
    class_ids = {r.class_id for r in rows if r.class_id is not None}
    grades = {r.grade for r in rows if r.grade is not None}
    if not class_ids and not grades:
        return []
    conditions = []
    if class_ids:
        conditions.append(SchoolClass.id.in_(sorted(class_ids)))
    if grades:
        conditions.append(SchoolClass.grade.in_(sorted(grades)))
    return list(
        session.scalars(select(SchoolClass).where(or_(*conditions)).order_by(SchoolClass.code))
    )


def advises_class(session: Session, staff_id: int, class_id: int | None) -> bool:
    if class_id is None:
        return False
    return any(c.id == class_id for c in advised_classes(session, staff_id))


def advises_student(session: Session, staff_id: int, student: Student) -> bool:
    return advises_class(session, staff_id, student.class_id)
