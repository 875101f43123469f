"""The certification digest: who has news, when they were last pushed, and what a cadence costs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rules.defaults import DEFAULT_CERT_PUSH_AT
from rules.school_rules import SchoolRules
from storage.clock import taipei, taipei_date
from storage.models.certification import CertificationPush, CertifierNote
from storage.models.portfolio import PENDING, REJECTED, CourseOutcome
from storage.models.school import Course


def first_push_of_day(session: Session, staff_id: int, day: date) -> CertificationPush | None:
    return session.scalars(
        select(CertificationPush).where(
            CertificationPush.staff_id == staff_id, CertificationPush.day == day
        )
    ).first()


def last_push(session: Session, staff_id: int) -> CertificationPush | None:
    return session.scalars(
        select(CertificationPush)
        .where(CertificationPush.staff_id == staff_id)
        .order_by(CertificationPush.day.desc())
        .limit(1)
    ).first()


def certifiers_with_news(session: Session) -> list[int]:
    """Staff with something new since their last push: an unseen pending item or a note."""
    ids = set(
        session.scalars(
            select(CourseOutcome.certifier_id)
            .where(
                CourseOutcome.status == PENDING,
                CourseOutcome.certifier_told_at.is_(None),
                CourseOutcome.certifier_id.is_not(None),
            )
            .distinct()
        )
    )
    ids.update(
        session.scalars(
            select(CertifierNote.staff_id).where(CertifierNote.told_at.is_(None)).distinct()
        )
    )
    return sorted(i for i in ids if i is not None)


def untold_notes(session: Session, staff_id: int) -> list[CertifierNote]:
    return list(
        session.scalars(
            select(CertifierNote)
            .where(CertifierNote.staff_id == staff_id, CertifierNote.told_at.is_(None))
            .order_by(CertifierNote.id)
        )
    )


@dataclass(frozen=True)
class CadenceCost:
    """Pushes a period's certification traffic costs under each cadence (per recipient)."""

    submissions: int
    decisions: int
    rejections: int
    daily: int  # one digest per certifier per day with news
    immediate: int  # one push per certifier per tick with news
    naive: int  # one push per submission to the teacher and per decision to the student


def cadence_cost(
    session: Session,
    rules: SchoolRules,
    start: datetime,
    end: datetime,
    tick: timedelta = timedelta(minutes=5),
) -> CadenceCost:
    """Estimate from the items sent in (start, end]: who was asked, when each cadence would
    have pushed them; rejections are pushed to the student under every cadence."""
    push_at = rules.cert_cadence.at or DEFAULT_CERT_PUSH_AT
    rows = session.execute(
        select(CourseOutcome.submitted_at, Course.teacher_id, CourseOutcome.certifier_id)
        .join(Course, Course.id == CourseOutcome.course_id)
        .where(CourseOutcome.submitted_at > start, CourseOutcome.submitted_at <= end)
    ).all()
    daily: set[tuple[int | None, date]] = set()
    immediate: set[tuple[int | None, datetime]] = set()
    for submitted_at, teacher_id, certifier_id in rows:
        assert submitted_at is not None  # the WHERE above
        who = certifier_id or teacher_id
        day = taipei_date(submitted_at)
        if taipei(submitted_at).time() > push_at:
            day += timedelta(days=1)
        daily.add((who, day))
        sent = rules.next_send_time(submitted_at)
        slot = datetime.fromtimestamp(
            sent.timestamp() // tick.total_seconds() * tick.total_seconds(), tz=sent.tzinfo
        )
        immediate.add((who, slot))
    decided = session.execute(
        select(CourseOutcome.status, func.count())
        .where(CourseOutcome.decided_at > start, CourseOutcome.decided_at <= end)
        .group_by(CourseOutcome.status)
    ).all()
    counts = dict(decided)
    decisions = sum(counts.values())
    rejections = counts.get(REJECTED, 0)
    return CadenceCost(
        submissions=len(rows),
        decisions=decisions,
        rejections=rejections,
        daily=len(daily) + rejections,
        immediate=len(immediate) + rejections,
        naive=len(rows) + decisions,
    )
