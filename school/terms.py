"""The semester an upload goes to: the term, the student's courses in it, its upload windows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.model import COURSE_OUTCOME, PERFORMANCE, NotConfigured, Window
from rules.school_rules import SchoolRules
from storage.exceptions import open_exception
from storage.models.school import (
    Course,
    Enrolment,
    Term,
)

# Which window each item kind is uploaded in.
UPLOAD_WINDOWS = {COURSE_OUTCOME: "upload", PERFORMANCE: "performance_upload"}


@dataclass(frozen=True)
class TermRef:
    academic_year: int
    semester: int

    @property
    def label(self) -> str:
        return f"{self.academic_year}-{self.semester}"


def current_term(rules: SchoolRules, now: datetime) -> TermRef | None:
    """The semester uploads go to now (during a break: the one that ended last)."""
    semester = rules.current_semester(now)
    if semester is None:
        return None
    return TermRef(semester.academic_year, semester.number)


def upload_terms(
    rules: SchoolRules, item_kind: str, grade: int | None, now: datetime
) -> list[TermRef]:
    """The semesters whose upload window for this kind is open now, earliest first.

    An item belongs to the semester of the window it is uploaded in: in the days a semester's
    window runs past the start of the next (at least two weeks after the closing ceremony),
    both are open and the student chooses."""
    found: list[TermRef] = []
    for semester in rules.semesters():
        try:
            window = rules.window(
                UPLOAD_WINDOWS[item_kind], semester.academic_year, semester.number, grade=grade
            )
        except NotConfigured:
            continue
        if window.contains(now):
            found.append(TermRef(semester.academic_year, semester.number))
    return found


def enrolled_courses(session: Session, student_id: int, term: TermRef) -> list[Course]:
    """The student's courses of one semester, in a stable order (subject, then code)."""
    return list(
        session.scalars(
            select(Course)
            .join(Enrolment, Enrolment.course_id == Course.id)
            .join(Term, Term.id == Course.term_id)
            .where(
                Enrolment.student_id == student_id,
                Term.academic_year == term.academic_year,
                Term.semester == term.semester,
            )
            .order_by(Course.subject, Course.code, Course.id)
        )
    )


@dataclass(frozen=True)
class WindowCheck:
    """Whether now is inside an upload window; window is None when the school set none."""

    open: bool
    window: Window | None
    reason: str = ""  # "", "not_open", "closed", "not_configured"


def check_window(
    rules: SchoolRules, item_kind: str, term: TermRef, grade: int | None, now: datetime
) -> WindowCheck:
    try:
        window = rules.window(
            UPLOAD_WINDOWS[item_kind], term.academic_year, term.semester, grade=grade
        )
    except NotConfigured:
        return WindowCheck(False, None, "not_configured")
    if window.contains(now):
        return WindowCheck(True, window)
    return WindowCheck(False, window, "not_open" if now < window.start else "closed")


def check_window_for(
    session: Session,
    rules: SchoolRules,
    item_kind: str,
    term: TermRef,
    student_id: int,
    grade: int | None,
    now: datetime,
    outcome_ids: tuple[int, ...] = (),
) -> WindowCheck:
    """check_window, but open for a student the office gave an exception to (until its day)."""
    check = check_window(rules, item_kind, term, grade, now)
    if check.open:
        return check
    granted = open_exception(
        session,
        UPLOAD_WINDOWS[item_kind],
        student_id,
        term.academic_year,
        term.semester,
        now,
        outcome_ids,
    )
    if granted is None:
        return check
    return WindowCheck(True, check.window, "exception")


def certification_deadline(rules: SchoolRules, term: TermRef, grade: int | None) -> datetime | None:
    try:
        return rules.window("certification", term.academic_year, term.semester, grade=grade).end
    except NotConfigured:
        return None
