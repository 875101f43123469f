"""Who may see a stored file, checked against the items that hold it now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from school.draft_files import OUTCOME_DRAFT, PERFORMANCE_DRAFT
from storage.identity import OFFICE_ROLES
from storage.models.portfolio import (
    DRAFT,
    SUBMITTED,
    WITHDRAWN,
    AuditEntry,
    CourseOutcome,
    Performance,
    PerformanceFile,
)
from storage.models.records import Consultation, ConsultationFile, ConsultationStudent
from storage.models.school import (
    GuardianLink,
    SchoolClass,
    StaffRole,
    Student,
)

# Viewers as a signed file link names them (flows/links.py).
VIEWER_STUDENT = "student"
VIEWER_STAFF = "staff"
VIEWER_GUARDIAN = "guardian"

CONSULTATION = "consultation"


def _any(session: Session, query: Any) -> bool:
    return session.scalar(query.limit(1)) is not None


def _staff_with_office(session: Session, staff_id: int) -> bool:
    return _any(
        session,
        select(StaffRole.id).where(
            StaffRole.staff_id == staff_id, StaffRole.role.in_(sorted(OFFICE_ROLES))
        ),
    )


def _is_homeroom_of(session: Session, staff_id: int, student: Student) -> bool:
    if student.class_id is None:
        return False
    return _any(
        session,
        select(SchoolClass.id).where(
            SchoolClass.id == student.class_id, SchoolClass.homeroom_teacher_id == staff_id
        ),
    )


def _is_guardian_of(session: Session, guardian_id: int, student_id: int) -> bool:
    return _any(
        session,
        select(GuardianLink.id).where(
            GuardianLink.guardian_id == guardian_id, GuardianLink.student_id == student_id
        ),
    )


def _acted_on(session: Session, staff_id: int, item_kind: str, item_id: int) -> bool:
    """Whether the audit log shows this staff member handling the item (an earlier certifier
    or proxy of its chain)."""
    return _any(
        session,
        select(AuditEntry.id).where(
            AuditEntry.item_kind == item_kind,
            AuditEntry.item_id == item_id,
            AuditEntry.actor_staff_id == staff_id,
        ),
    )


@dataclass(frozen=True)
class Holder:
    """An item that holds a file: who it belongs to and who certifies it."""

    item_kind: str  # outcome | performance
    item_id: int
    student_id: int
    status: str
    staff_ids: frozenset[int]  # course teacher, current and deciding certifier


def file_holders(session: Session, file_id: int) -> list[Holder]:
    holders: list[Holder] = []
    outcomes = session.scalars(
        select(CourseOutcome).where(
            or_(CourseOutcome.document_file_id == file_id, CourseOutcome.video_file_id == file_id)
        )
    )
    for o in outcomes:
        staff = {o.certifier_id, o.decided_by_id, o.course.teacher_id if o.course else None}
        holders.append(
            Holder(
                OUTCOME_DRAFT,
                o.id,
                o.student_id,
                o.status,
                frozenset(s for s in staff if s is not None),
            )
        )
    proofs = session.execute(
        select(Performance.id, Performance.student_id, Performance.status)
        .join(PerformanceFile, PerformanceFile.performance_id == Performance.id)
        .where(PerformanceFile.file_id == file_id)
    )
    for pid, student_id, status in proofs:
        holders.append(Holder(PERFORMANCE_DRAFT, pid, student_id, status, frozenset()))
    # A consultation's attachment: each student in it, and the consultation teacher.
    attached = session.execute(
        select(Consultation.id, Consultation.consultant_id, ConsultationStudent.student_id)
        .join(ConsultationFile, ConsultationFile.consultation_id == Consultation.id)
        .join(ConsultationStudent, ConsultationStudent.consultation_id == Consultation.id)
        .where(ConsultationFile.file_id == file_id)
    )
    for cid, consultant_id, student_id in attached:
        holders.append(Holder(CONSULTATION, cid, student_id, SUBMITTED, frozenset({consultant_id})))
    return holders


def may_view_file(session: Session, file_id: int, viewer_kind: str, viewer_id: int) -> bool:
    """Whether the viewer may still see the file, checked against the items that hold it now.

    The student, their guardians, their homeroom teacher, the item's certifiers and course
    teacher, and staff with an office role; drafts and withdrawn items only to the student;
    a sealed (graduated) student's files only to office staff.
    """
    for holder in file_holders(session, file_id):
        student = session.get(Student, holder.student_id)
        if student is None:
            continue
        private = holder.status in (DRAFT, WITHDRAWN)
        if viewer_kind == VIEWER_STAFF:
            if _staff_with_office(session, viewer_id):
                return True
            if student.sealed_at is not None or private:
                continue
            if viewer_id in holder.staff_ids or _is_homeroom_of(session, viewer_id, student):
                return True
            if _acted_on(session, viewer_id, holder.item_kind, holder.item_id):
                return True
        elif student.sealed_at is not None:
            continue
        elif viewer_kind == VIEWER_STUDENT:
            if viewer_id == student.id:
                return True
        elif (
            viewer_kind == VIEWER_GUARDIAN
            and not private
            and _is_guardian_of(session, viewer_id, student.id)
        ):
            return True
    return False
