"""Escalation: items still pending at the escalation time are offered to the subject's convener."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session, joinedload

from rules.model import NotConfigured
from rules.school_rules import SchoolRules
from school.certification import OFFERED, certification_window, escalation_time
from school.proxy_chain import TOP_LEVEL, ChainBook, Move
from storage.clock import taipei_date
from storage.models.certification import CertifierNote
from storage.models.portfolio import PENDING, CourseOutcome


@dataclass
class Escalation:
    moves: list[Move] = field(default_factory=list)
    # (from, to, year, semester) -> items
    pairs: dict[tuple[int | None, int, int, int], int] = field(default_factory=dict)


def _escalating(rules: SchoolRules, year: int, semester: int, now: datetime) -> bool:
    """Whether the term's escalation time has come (for grade 12's windows or everyone's)."""
    for grade in (None, 12):
        try:
            when = rules.escalation_at(year, semester, grade=grade)
            end = rules.window("certification", year, semester, grade=grade).end_exclusive
        except NotConfigured:
            continue
        if when <= now < end:
            return True
    return False


def escalate_due(session: Session, now: datetime, rules: SchoolRules) -> Escalation:
    """Offer items still pending at the escalation time to the subject's convener.

    Nothing moves: the course teacher keeps the item (and may still decide it) and the
    convener hears, in their next digest, how many are late, with one tap to take them over
    or to remind the teacher. Items of a teacher who is away or left moved at once when staff
    said so (set_away). An item is offered once (escalated_at): running this again does nothing.
    """
    result = Escalation()
    terms = [
        (year, semester)
        for year, semester in session.execute(
            select(CourseOutcome.academic_year, CourseOutcome.semester)
            .where(CourseOutcome.status == PENDING, CourseOutcome.escalated_at.is_(None))
            .distinct()
        )
        if _escalating(rules, year, semester, now)
    ]
    if not terms:  # the usual tick: no term is in its last days
        return result
    book = ChainBook(session, taipei_date(now))
    items = session.scalars(
        select(CourseOutcome)
        .where(
            CourseOutcome.status == PENDING,
            CourseOutcome.escalated_at.is_(None),
            tuple_(CourseOutcome.academic_year, CourseOutcome.semester).in_(terms),
        )
        .options(joinedload(CourseOutcome.course), joinedload(CourseOutcome.student))
        .order_by(CourseOutcome.id)
    ).unique()
    for outcome in items:
        when = escalation_time(rules, outcome)
        window = certification_window(rules, outcome)
        if when is None or window is None or not (when <= now < window.end_exclusive):
            continue
        # Marked offered without a new version: the teacher's cards stay valid.
        marked = session.execute(
            update(CourseOutcome)
            .where(
                CourseOutcome.id == outcome.id,
                CourseOutcome.status == PENDING,
                CourseOutcome.certify_version == outcome.certify_version,
            )
            .values(escalated_at=now)
            .execution_options(synchronize_session=False)
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            continue
        link = book.chain(outcome.course).certifier(TOP_LEVEL, exclude=outcome.certifier_id)
        if link is None or not link.available or outcome.certifier_id is None:
            continue  # nobody to offer it to: it stays with whoever holds it
        key = (outcome.certifier_id, link.staff_id, outcome.academic_year, outcome.semester)
        result.pairs[key] = result.pairs.get(key, 0) + 1
    for (from_id, to_id, year, semester), count in result.pairs.items():
        session.add(
            CertifierNote(
                staff_id=to_id,
                created_at=now,
                kind=OFFERED,
                count=count,
                other_staff_id=from_id,
                academic_year=year,
                semester=semester,
            )
        )
    session.flush()
    return result
