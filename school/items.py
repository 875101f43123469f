"""A student's items in common: the error and result of a command on one, the per-student lock,
and the student's own list."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from school.item_counts import Room
from school.terms import TermRef, WindowCheck
from storage.db import lock_named
from storage.models.portfolio import (
    WITHDRAWN,
    CourseOutcome,
    Performance,
)


class ItemError(Exception):
    """A command on an item that its state does not allow; reason is a short code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def lock_student(session: Session, student_id: int) -> None:
    """Serialise every change to one student's items until the transaction ends."""
    lock_named(session, f"student-items:{student_id}")


@dataclass(frozen=True)
class Submitted:
    """What submitting did: ok, or why not (window, room or the item's own state)."""

    ok: bool
    reason: str = ""  # "", "window", "limit", "not_draft", "no_files", "no_summary", "replaced"
    window: WindowCheck | None = None
    room: Room | None = None
    number: int = 0  # the item's number in the semester count once sent


def term_of(item: CourseOutcome | Performance) -> TermRef:
    return TermRef(item.academic_year, item.semester)


# --- the student's own list -------------------------------------------------------------------


@dataclass
class Listing:
    """A student's items of one academic year (withdrawn ones left out), newest first."""

    outcomes: list[CourseOutcome] = field(default_factory=list)
    performances: list[Performance] = field(default_factory=list)


def student_items(session: Session, student_id: int, academic_year: int) -> Listing:
    outcomes = session.scalars(
        select(CourseOutcome)
        .where(
            CourseOutcome.student_id == student_id,
            CourseOutcome.academic_year == academic_year,
            CourseOutcome.status != WITHDRAWN,
        )
        .order_by(CourseOutcome.semester.desc(), CourseOutcome.id.desc())
    )
    performances = session.scalars(
        select(Performance)
        .where(
            Performance.student_id == student_id,
            Performance.academic_year == academic_year,
            Performance.status != WITHDRAWN,
        )
        .order_by(Performance.semester.desc(), Performance.id.desc())
    )
    return Listing(list(outcomes), list(performances))
