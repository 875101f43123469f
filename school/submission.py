"""The yearly submission to the central database: its date follows the agency's letter.

附表二 五、六: 教學組 and 訓育組 submit the picked items 視國教署來文 — when the national agency's
letter says, not on a day the rules can derive. Staff set the date each year (and grade 12's
own, before graduation); the notices that lead up to it follow the date they set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from rules.model import LAST_GRADE, NotConfigured, RulesError, WindowSetting
from rules.school_rules import SchoolRules
from school import windows


class SubmissionError(ValueError):
    """A date the operation refuses; reason is a catalogue key's last part."""

    def __init__(self, reason: str, **values: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class SubmissionDate:
    academic_year: int
    grade12: bool
    day: date
    previous: date | None
    picking_end: date


def submission_date(
    session: Session, rules: SchoolRules, academic_year: int, *, grade12: bool = False
) -> date | None:
    """The date staff set for the year's submission (grade 12's own with grade12), if any."""
    effective = windows.effective_rules(session, rules)
    try:
        window = effective.window(
            "submission", academic_year, grade=LAST_GRADE if grade12 else None
        )
    except NotConfigured:
        return None
    if grade12 != window.grade12:
        return None
    return window.first_day


def set_submission_date(
    session: Session,
    rules: SchoolRules,
    academic_year: int,
    day: date,
    now: datetime,
    *,
    grade12: bool = False,
    by: str = "",
    dry_run: bool = False,
) -> SubmissionDate:
    """Set (or move) the submission date; it must come after the picking it submits."""
    effective = windows.effective_rules(session, rules)
    grade = LAST_GRADE if grade12 else None
    try:
        picking = effective.window("picking", academic_year, grade=grade)
    except NotConfigured:
        raise SubmissionError("no_year", year=academic_year) from None
    if grade12 and not picking.grade12:
        raise SubmissionError("no_grade12_picking", year=academic_year)
    if day <= picking.last_day:
        raise SubmissionError("before_picking_ends", end=picking.last_day)
    kind = "grade12_submission" if grade12 else "submission"
    previous = submission_date(session, rules, academic_year, grade12=grade12)
    try:
        effective.with_windows([WindowSetting(kind, academic_year, None, day, day)])
    except RulesError as exc:
        raise SubmissionError("refused", reason=exc.reason) from None
    if not dry_run and previous != day:
        windows.record_window_change(
            session,
            kind=kind,
            academic_year=academic_year,
            semester=None,
            first_day=day,
            last_day=day,
            previous=(previous or day, previous or day),
            now=now,
            changed_by=by,
        )
    return SubmissionDate(academic_year, grade12, day, previous, picking.last_day)
