"""Trainings, workshops and parent briefings (rule 六): plan one with its audience and message
cost, create it (its notice asks 參加 / 不克參加), see RSVP counts and names, take attendance, and
see which required yearly events are still unplanned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import text
from rules.school_rules import SchoolRules
from school import recipients, school_events
from storage.clock import academic_year_of, at_taipei, format_datetime
from storage.models.console_office import EventAttendance
from storage.models.schedule import EVENT_KINDS as SCHEDULE_EVENT_KINDS
from storage.models.schedule import SchoolEvent
from storage.models.school import SchoolClass

# Rule 六 yearly, and each semester: the working group, 教學組, 輔導室 (storage.models.schedule).
EVENT_KINDS = SCHEDULE_EVENT_KINDS
TEXT_MAX = 60


class EventRefused(ValueError):
    def __init__(self, message: str, param: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.param = param


def build_audience(
    kind: str,
    students: bool,
    guardians: bool,
    teachers: bool,
    grades: Sequence[int],
    classes: Sequence[str],
) -> dict[str, Any]:
    """Who is invited: as ticked, else the kind's default (training → students, …)."""
    if students or guardians or teachers:
        audience: dict[str, Any] = {
            "students": students,
            "guardians": guardians,
            "teachers": teachers,
        }
    else:
        audience = dict(school_events.DEFAULT_EVENT_AUDIENCE[kind])
    if grades:
        audience["grades"] = sorted({recipients.to_rules_grade(g) for g in grades})
    if classes:
        audience["classes"] = list(classes)
    return audience


@dataclass
class EventPlan:
    kind: str
    title: str
    place: str
    starts_at: datetime
    academic_year: int
    audience: dict[str, Any]
    people: int = 0
    cost: int = 0


def plan_event(
    session: Session,
    now: datetime,
    *,
    kind: str,
    title: str,
    day: date,
    start_time: str,
    place: str,
    grades: Sequence[int] = (),
    classes: Sequence[str] = (),
    students: bool = False,
    guardians: bool = False,
    teachers: bool = False,
) -> EventPlan:
    """Check an event as every face must; raise EventRefused naming the field."""
    if kind not in EVENT_KINDS:
        raise EventRefused(text("console_office.events.bad_kind"), "--kind")
    title, place = title.strip(), place.strip()
    if not title or len(title) > TEXT_MAX:
        raise EventRefused(text("cli.schedule.events.bad_title"), "--title")
    if not place or len(place) > TEXT_MAX:
        raise EventRefused(text("cli.schedule.events.bad_place"), "--place")
    try:
        clock_time = time.fromisoformat(start_time.strip())
    except ValueError:
        raise EventRefused(text("cli.schedule.events.bad_time"), "--time") from None
    if any(g not in (1, 2, 3, 10, 11, 12) for g in grades):
        raise EventRefused(text("cli.schedule.events.bad_grades"), "--grades")
    starts_at = at_taipei(day, clock_time.hour, clock_time.minute)
    if starts_at <= now:
        raise EventRefused(
            text("cli.schedule.events.past", when=format_datetime(starts_at)), "--date"
        )
    if classes:
        known = set(session.scalars(select(SchoolClass.code)))
        missing = [c for c in classes if c not in known]
        if missing:
            raise EventRefused(
                text("cli.schedule.events.unknown_classes", classes="、".join(missing)), "--classes"
            )
    audience = build_audience(kind, students, guardians, teachers, grades, classes)
    people = recipients.audience_recipients(session, audience)
    return EventPlan(
        kind,
        title,
        place,
        starts_at,
        academic_year_of(day),
        audience,
        len(people),
        sum(len(p.line_user_ids) for p in people),
    )


def create(session: Session, plan: EventPlan, now: datetime, by: str) -> int:
    """Record the event; the next tick (or the face, at once) sends its notice."""
    return school_events.create_event(
        session,
        kind=plan.kind,
        title=plan.title,
        starts_at=plan.starts_at,
        place=plan.place,
        audience=plan.audience,
        academic_year=plan.academic_year,
        now=now,
        created_by=by[:64],
    ).id


@dataclass
class EventRow:
    id: int
    kind: str
    title: str
    place: str
    starts_at: datetime
    cancelled: bool
    invited: int
    attending: int
    declined: int
    unanswered: int
    names: list[str] = field(default_factory=list)
    attended: int = 0


def year_events(session: Session, year: int) -> list[EventRow]:
    out = []
    for e in school_events.events_in_year(session, year):
        c = school_events.rsvp_counts(session, e)
        attended = len(
            [
                a
                for a in session.scalars(
                    select(EventAttendance).where(
                        EventAttendance.event_id == e.id, EventAttendance.attended.is_(True)
                    )
                )
            ]
        )
        out.append(
            EventRow(
                e.id,
                e.kind,
                e.title,
                e.place,
                e.starts_at,
                e.cancelled_at is not None,
                c.invited,
                c.attending,
                c.declined,
                c.unanswered,
                school_events.attendee_names(session, e.id),
                attended,
            )
        )
    return out


def unplanned(session: Session, rules: SchoolRules, year: int) -> list[tuple[str, datetime]]:
    """Required yearly events (rule 六) with nothing on the calendar yet, and their deadline."""
    if year not in rules.years:
        return []
    return [
        (k, rules.event_deadline(k, year))
        for k in rules.required_events
        if not school_events.has_event(session, k, year)
    ]


def roll(session: Session, event_id: int) -> list[tuple[str, str, bool]]:
    """Those who said 參加, with whether they were marked present: (recipient, name, present)."""
    marked = {
        a.recipient: a.attended
        for a in session.scalars(
            select(EventAttendance).where(EventAttendance.event_id == event_id)
        )
    }
    rsvps = school_events.attendees(session, event_id)
    names = school_events.attendee_names(session, event_id)
    return [
        (r.recipient, n, marked.get(r.recipient, False)) for r, n in zip(rsvps, names, strict=True)
    ]


def take_attendance(
    session: Session, event_id: int, present: set[str], now: datetime, staff_id: int | None
) -> int:
    """Mark each person who said 參加 present or absent; returns how many came."""
    if session.get(SchoolEvent, event_id) is None:
        raise EventRefused(text("cli.schedule.events.unknown", id=event_id))
    rows = {
        a.recipient: a
        for a in session.scalars(
            select(EventAttendance).where(EventAttendance.event_id == event_id)
        )
    }
    came = 0
    for rsvp in school_events.attendees(session, event_id):
        here = rsvp.recipient in present
        came += here
        row = rows.get(rsvp.recipient)
        if row is None:
            session.add(
                EventAttendance(
                    event_id=event_id,
                    recipient=rsvp.recipient,
                    attended=here,
                    marked_at=now,
                    marked_by_id=staff_id,
                )
            )
        else:
            row.attended, row.marked_at, row.marked_by_id = here, now, staff_id
    session.flush()
    return came
