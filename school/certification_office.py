"""What the office sets and reads in certification: who is away, successors, conveners, audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from school.proxy_chain import ITEM_KIND, Move, reresolve_pending
from storage.clock import taipei_date
from storage.models.certification import CourseSuccessor, SubjectConvener, TeacherAbsence
from storage.models.portfolio import AuditEntry, CourseOutcome
from storage.models.school import Course, Staff, Student


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
