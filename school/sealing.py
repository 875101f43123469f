"""Sealing graduates (rule 九): on their graduation day, once nothing holds them back, a
graduate's portfolio becomes readable by office staff only and their LINE binding ends; sealed
graduates are deleted after the school's retention period (school.deletion)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.model import LAST_GRADE, NotConfigured
from rules.school_rules import SchoolRules
from school.binding_end import Farewell, end_guardian_links, end_student_binding
from school.lifecycle import GRADUATED, record_change
from storage.clock import academic_year_of, at_taipei, taipei_date
from storage.models.lifecycle import SEAL
from storage.models.picking import ReceiptItem, ReceiptList
from storage.models.portfolio import PENDING, WITHDRAWN, AuditEntry, CourseOutcome, Performance
from storage.models.school import Student


@dataclass
class Sealed:
    student_id: int
    student_no: str
    name: str
    withdrawn: int
    farewells: list[Farewell]


# A graduate sealed without their 收訖明細: it never came back within the rules' bound.
RECEIPT_OVERDUE: Final = "receipt_overdue"


def sealing_hold(
    session: Session, rules: SchoolRules, student: Student, now: datetime
) -> str | None:
    """Why a graduate is not sealed yet, or None: rule 九 seals a portfolio only once the
    graduate's last picking, the submission of their picks and their receipt confirmation
    are over ("picking" | "submission" | "receipt"). The wait for a 收訖明細 that never comes
    back ends rules.seal_without_receipt_days after the submission date (sealing_state says
    RECEIPT_OVERDUE then)."""
    state = sealing_state(session, rules, student, now)
    return None if state == RECEIPT_OVERDUE else state


def sealing_state(
    session: Session, rules: SchoolRules, student: Student, now: datetime
) -> str | None:
    """sealing_hold, but RECEIPT_OVERDUE where the graduate is due although no receipt list
    of theirs came back (the office is told)."""
    assert student.graduated_on is not None
    year = academic_year_of(student.graduated_on)
    try:
        picking = rules.window("picking", year, grade=LAST_GRADE)
    except NotConfigured:
        picking = None
    if picking is not None and picking.contains(now):
        return "picking"  # graduated while grade 12 is still picking
    picked = any(
        session.scalar(
            select(model.id)
            .where(
                model.student_id == student.id,
                model.academic_year == year,
                model.picked_at.is_not(None),
            )
            .limit(1)
        )
        is not None
        for model in (CourseOutcome, Performance)
    )
    if not picked:
        return None  # nothing of theirs goes to the central database
    try:
        submission = rules.window("submission", year, grade=LAST_GRADE)
    except NotConfigured:
        return "submission"
    if now < submission.end_exclusive:
        return "submission"
    lists = list(
        session.scalars(
            select(ReceiptList.respond_until)
            .join(ReceiptItem, ReceiptItem.list_id == ReceiptList.id)
            .where(
                ReceiptItem.student_id == student.id,
                ReceiptList.academic_year == year,
                ReceiptList.imported_at >= submission.start,
            )
        )
    )
    if any(until >= now for until in lists):
        return "receipt"
    if not lists:
        bound = at_taipei(submission.first_day + timedelta(days=rules.seal_without_receipt_days))
        return RECEIPT_OVERDUE if now >= bound else "receipt"
    return None


def due_for_sealing(
    session: Session, now: datetime, rules: SchoolRules | None = None
) -> list[Student]:
    """Graduates whose day has come; with rules, only those nothing holds back any more."""
    found = list(
        session.scalars(
            select(Student)
            .where(
                Student.graduated_on.is_not(None),
                Student.graduated_on <= taipei_date(now),
                Student.sealed_at.is_(None),
            )
            .order_by(Student.student_no)
        )
    )
    if rules is None:
        return found
    return [s for s in found if sealing_hold(session, rules, s, now) is None]


def seal(session: Session, now: datetime, student: Student, by: str = "") -> Sealed:
    """封存: office staff only from now on. Pending items can no longer be certified (the
    school's windows for graduates are over) and would otherwise sit in a teacher's list,
    showing a sealed student's work: they are withdrawn, with an audit entry each."""
    assert student.graduated_on is not None
    change = record_change(session, student, SEAL, student.graduated_on, now, by)
    withdrawn = []
    for outcome in session.scalars(
        select(CourseOutcome)
        .where(CourseOutcome.student_id == student.id, CourseOutcome.status == PENDING)
        .order_by(CourseOutcome.id)
    ):
        outcome.status = WITHDRAWN
        outcome.certify_version = (outcome.certify_version or 0) + 1
        withdrawn.append(outcome.id)
        session.add(
            AuditEntry(
                at=now,
                action="withdraw",
                item_kind="outcome",
                item_id=outcome.id,
                student_id=student.id,
                detail="sealed",
            )
        )
    student.status = GRADUATED
    student.sealed_at = now
    change.to_status = GRADUATED
    farewells = end_student_binding(session, student, now)
    guardian_ids, guardian_farewells = end_guardian_links(session, student, now)
    change.detail = {"guardians": guardian_ids, "withdrawn": withdrawn}
    session.flush()
    return Sealed(
        student.id, student.student_no, student.name, len(withdrawn), farewells + guardian_farewells
    )


def seal_due(session: Session, now: datetime, rules: SchoolRules | None = None) -> list[Sealed]:
    return [seal(session, now, student) for student in due_for_sealing(session, now, rules)]


def sealed_students(session: Session) -> list[Student]:
    return list(
        session.scalars(
            select(Student)
            .where(Student.sealed_at.is_not(None), Student.graduated_on.is_not(None))
            .order_by(Student.graduated_on, Student.student_no)
        )
    )
