"""Exceptions for one student: reopen an upload or a certification for one student or one item
until a day, with a reason, instead of reopening the window for everyone. The person concerned
(the student, or the teacher who certifies) is told in LINE."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import text
from rules.model import NotConfigured
from rules.school_rules import SchoolRules
from storage.clock import TAIPEI, format_date
from storage.models.console_office import (
    EXC_CERTIFICATION,
    EXCEPTION_KINDS,
    StudentException,
)
from storage.models.line import LineAccount
from storage.models.portfolio import PENDING, CourseOutcome
from storage.models.school import Staff, Student
from storage.outbox import URGENT, Outbox

REASON_MAX = 200
# An exception is for a late student, not a second window: at most this many days ahead.
MAX_DAYS_AHEAD = 60


class ExceptionRefused(ValueError):
    """Why an exception cannot be granted; `key` is the catalogue text staff see."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    @property
    def message(self) -> str:
        return text(self.key, **self.values)


@dataclass
class Granted:
    exception: StudentException
    told: list[str] = field(default_factory=list)  # whom LINE tells: "student" or staff names
    messages: int = 0  # pushes queued (each counts against the monthly quota)


def _label(kind: str) -> str:
    return text(f"console_office.exceptions.kind.{kind}")


def find_student(session: Session, student_no: str) -> Student:
    student = session.scalars(
        select(Student).where(Student.student_no == student_no.strip())
    ).first()
    if student is None:
        raise ExceptionRefused("console_office.exceptions.unknown_student", no=student_no)
    return student


def _accounts(
    session: Session, *, student_id: int | None = None, staff_id: int | None = None
) -> list[str]:
    query = select(LineAccount.line_user_id).where(LineAccount.bound_at.is_not(None))
    if student_id is not None:
        query = query.where(LineAccount.student_id == student_id)
    else:
        query = query.where(LineAccount.staff_id == staff_id)
    return list(session.scalars(query))


def grant(
    session: Session,
    rules: SchoolRules,
    *,
    kind: str,
    student_no: str,
    until: date,
    reason: str,
    now: datetime,
    staff_id: int | None,
    academic_year: int,
    semester: int,
    outcome_id: int | None = None,
) -> Granted:
    """Reopen `kind` for one student (or one of their course outcomes) until `until`, inclusive.

    Checked first: the student and item exist, a reason is given, the day is not past and not
    too far; the row records who and why. The student (upload kinds) or the certifier of their
    pending items (certification) gets one LINE message, after the quiet hours if need be."""
    if kind not in EXCEPTION_KINDS:
        raise ExceptionRefused("console_office.exceptions.bad_kind")
    reason = (reason or "").strip()
    if not reason:
        raise ExceptionRefused("console_office.exceptions.no_reason")
    if len(reason) > REASON_MAX:
        raise ExceptionRefused("console_office.exceptions.long_reason", max=REASON_MAX)
    today = now.astimezone(TAIPEI).date()
    if until < today:
        raise ExceptionRefused("console_office.exceptions.past", day=format_date(until))
    if (until - today).days > MAX_DAYS_AHEAD:
        raise ExceptionRefused("console_office.exceptions.too_far", days=MAX_DAYS_AHEAD)
    student = find_student(session, student_no)
    try:
        window = rules.window(kind, academic_year, semester, grade=student.grade)
    except (NotConfigured, ValueError):
        raise ExceptionRefused(
            "console_office.exceptions.no_term", term=f"{academic_year}-{semester}"
        ) from None
    outcome = None
    if outcome_id is not None:
        outcome = session.get(CourseOutcome, outcome_id)
        if outcome is None or outcome.student_id != student.id:
            raise ExceptionRefused("console_office.exceptions.unknown_item", id=outcome_id)
        if (outcome.academic_year, outcome.semester) != (academic_year, semester):
            raise ExceptionRefused("console_office.exceptions.item_term", id=outcome_id)
    row = StudentException(
        kind=kind,
        student_id=student.id,
        outcome_id=outcome_id,
        academic_year=academic_year,
        semester=semester,
        until=until,
        reason=reason,
        created_at=now,
        created_by_id=staff_id,
    )
    session.add(row)
    session.flush()
    granted = Granted(row)
    outbox = Outbox(session, now)
    not_before = rules.next_send_time(now) if rules.is_quiet(now) else None
    term = f"{academic_year}-{semester}"
    if kind != EXC_CERTIFICATION:
        item = (
            text("console_office.exceptions.item", subject=outcome.course.subject)
            if outcome is not None
            else ""
        )
        body = text(
            "console_office.exceptions.notice.student",
            window=_label(kind),
            term=term,
            until=format_date(until),
            item=item,
            closed=format_date(window.last_day),
        )
        for user in _accounts(session, student_id=student.id):
            outbox.push(
                user,
                [{"type": "text", "text": body}],
                purpose="exception",
                priority=URGENT,
                not_before=not_before,
            )
            granted.messages += 1
        granted.told.append(text("console_office.exceptions.told_student"))
        return granted
    query = select(CourseOutcome).where(
        CourseOutcome.student_id == student.id,
        CourseOutcome.status == PENDING,
        CourseOutcome.academic_year == academic_year,
        CourseOutcome.semester == semester,
    )
    if outcome_id is not None:
        query = query.where(CourseOutcome.id == outcome_id)
    certifiers = sorted({o.certifier_id for o in session.scalars(query) if o.certifier_id})
    for staff_id_ in certifiers:
        staff = session.get(Staff, staff_id_)
        if staff is None:
            continue
        body = text(
            "console_office.exceptions.notice.teacher",
            term=term,
            until=format_date(until),
            student=f"{student.class_seat} {student.name}",
        )
        for user in _accounts(session, staff_id=staff_id_):
            outbox.push(
                user,
                [{"type": "text", "text": body}],
                purpose="exception",
                priority=URGENT,
                not_before=not_before,
            )
            granted.messages += 1
        granted.told.append(staff.name)
    return granted


def revoke(session: Session, exception_id: int, now: datetime, staff_id: int | None) -> bool:
    row = session.get(StudentException, exception_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    row.revoked_by_id = staff_id
    session.flush()
    return True


@dataclass(frozen=True)
class ExceptionRow:
    id: int
    kind: str
    kind_label: str
    student_no: str
    student: str
    item: str
    term: str
    until: date
    reason: str
    granted_by: str
    granted_at: datetime
    active: bool


def listing(session: Session, now: datetime, include_past: bool = False) -> list[ExceptionRow]:
    """Every exception (the audit of them); active first, newest first."""
    today = now.astimezone(TAIPEI).date()
    rows = session.scalars(select(StudentException).order_by(StudentException.id.desc()))
    out = []
    for r in rows:
        active = r.revoked_at is None and r.until >= today
        if not active and not include_past:
            continue
        student = session.get(Student, r.student_id)
        staff = session.get(Staff, r.created_by_id) if r.created_by_id else None
        outcome = session.get(CourseOutcome, r.outcome_id) if r.outcome_id else None
        out.append(
            ExceptionRow(
                id=r.id,
                kind=r.kind,
                kind_label=_label(r.kind),
                student_no=student.student_no if student else "",
                student=f"{student.class_seat} {student.name}" if student else "",
                item=outcome.course.subject if outcome is not None else "",
                term=f"{r.academic_year}-{r.semester}",
                until=r.until,
                reason=r.reason,
                granted_by=staff.name if staff else "",
                granted_at=r.created_at,
                active=active,
            )
        )
    out.sort(key=lambda e: (not e.active, -e.id))
    return out
