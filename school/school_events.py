"""The school's events (rule 六): the calendar of events, who is invited, and their RSVPs."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from school.recipients import Recipient, audience_recipients
from storage.models.schedule import (
    COUNSELLING_TRAINING,
    PARENT_BRIEFING,
    STUDENT_TRAINING,
    TEACHER_WORKSHOP,
    TEACHING_WORKSHOP,
    WORKING_GROUP_MEETING,
    EventRsvp,
    SchoolEvent,
)
from storage.models.school import Guardian, Staff, Student

# Who runs each rule-六 event and is reminded when none is on the calendar (seed 六 (一)-(三)).
EVENT_OFFICES: dict[str, tuple[str, ...]] = {
    STUDENT_TRAINING: ("註冊組",),
    TEACHER_WORKSHOP: ("註冊組",),
    PARENT_BRIEFING: ("輔導室", "註冊組"),
    WORKING_GROUP_MEETING: ("執行秘書",),
    TEACHING_WORKSHOP: ("教學組",),
    COUNSELLING_TRAINING: ("輔導室",),
}
# Who an event reaches when staff name no audience.
DEFAULT_EVENT_AUDIENCE: dict[str, dict[str, Any]] = {
    STUDENT_TRAINING: {"students": True},
    TEACHER_WORKSHOP: {"teachers": True},
    PARENT_BRIEFING: {"guardians": True},
    WORKING_GROUP_MEETING: {"staff_roles": ["工作小組"]},
    TEACHING_WORKSHOP: {"teachers": True},
    COUNSELLING_TRAINING: {"students": True},
}


def create_event(
    session: Session,
    *,
    kind: str,
    title: str,
    starts_at: datetime,
    place: str,
    audience: dict[str, Any],
    academic_year: int,
    now: datetime,
    created_by: str = "",
) -> SchoolEvent:
    event = SchoolEvent(
        kind=kind,
        title=title,
        starts_at=starts_at,
        place=place,
        audience=audience,
        academic_year=academic_year,
        created_at=now,
        created_by=created_by,
    )
    session.add(event)
    session.flush()
    return event


def event_audience(session: Session, event: SchoolEvent) -> list[Recipient]:
    return audience_recipients(session, event.audience)


def events_in_year(session: Session, academic_year: int) -> list[SchoolEvent]:
    return list(
        session.scalars(
            select(SchoolEvent)
            .where(SchoolEvent.academic_year == academic_year)
            .order_by(SchoolEvent.starts_at, SchoolEvent.id)
        )
    )


def upcoming_events(session: Session, now: datetime) -> list[SchoolEvent]:
    return list(
        session.scalars(
            select(SchoolEvent)
            .where(SchoolEvent.starts_at > now, SchoolEvent.cancelled_at.is_(None))
            .order_by(SchoolEvent.starts_at, SchoolEvent.id)
        )
    )


def has_event_between(session: Session, kind: str, first: datetime, end: datetime) -> bool:
    """Whether an event of this kind (not cancelled) starts in [first, end)."""
    return session.scalar(
        select(func.count()).where(
            SchoolEvent.kind == kind,
            SchoolEvent.cancelled_at.is_(None),
            SchoolEvent.starts_at >= first,
            SchoolEvent.starts_at < end,
        )
    ) not in (None, 0)


def has_event(session: Session, kind: str, academic_year: int) -> bool:
    return (
        session.scalar(
            select(func.count()).where(
                SchoolEvent.kind == kind,
                SchoolEvent.academic_year == academic_year,
                SchoolEvent.cancelled_at.is_(None),
            )
        )
        or 0
    ) > 0


def events_for(session: Session, keys: Collection[str], now: datetime) -> list[SchoolEvent]:
    """Upcoming events whose audience includes any of these recipient keys."""
    wanted = set(keys)
    return [
        e
        for e in upcoming_events(session, now)
        if any(r.key in wanted for r in event_audience(session, e))
    ]


def set_rsvp(
    session: Session,
    event: SchoolEvent,
    recipient: str,
    line_user_id: str,
    attending: bool,
    now: datetime,
) -> EventRsvp:
    row = session.scalars(
        select(EventRsvp).where(EventRsvp.event_id == event.id, EventRsvp.recipient == recipient)
    ).first()
    if row is None:
        row = EventRsvp(
            event_id=event.id,
            recipient=recipient,
            line_user_id=line_user_id,
            attending=attending,
            answered_at=now,
        )
        session.add(row)
    else:
        row.attending = attending
        row.line_user_id = line_user_id
        row.answered_at = now
    session.flush()
    return row


def rsvp_of(session: Session, event_id: int, keys: Collection[str]) -> EventRsvp | None:
    return session.scalars(
        select(EventRsvp)
        .where(EventRsvp.event_id == event_id, EventRsvp.recipient.in_(list(keys)))
        .order_by(EventRsvp.answered_at.desc())
    ).first()


@dataclass(frozen=True)
class RsvpCounts:
    invited: int
    attending: int
    declined: int

    @property
    def unanswered(self) -> int:
        return max(0, self.invited - self.attending - self.declined)


def rsvp_counts(session: Session, event: SchoolEvent) -> RsvpCounts:
    rows = dict(
        session.execute(
            select(EventRsvp.attending, func.count())
            .where(EventRsvp.event_id == event.id)
            .group_by(EventRsvp.attending)
        ).all()
    )
    return RsvpCounts(len(event_audience(session, event)), rows.get(True, 0), rows.get(False, 0))


def attendees(session: Session, event_id: int) -> list[EventRsvp]:
    return list(
        session.scalars(
            select(EventRsvp)
            .where(EventRsvp.event_id == event_id, EventRsvp.attending.is_(True))
            .order_by(EventRsvp.id)
        )
    )


def attendee_names(session: Session, event_id: int) -> list[str]:
    """The names of those who said 參加, for the office running the event."""
    names = []
    for rsvp in attendees(session, event_id):
        kind, _, person_id = rsvp.recipient.partition(":")
        model = {"student": Student, "staff": Staff, "guardian": Guardian}.get(kind)
        person = session.get(model, int(person_id)) if model is not None else None
        names.append(str(getattr(person, "name", rsvp.recipient)))
    return names
