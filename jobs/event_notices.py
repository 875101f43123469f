"""Tick part for school events (rule 六) and 公告: notices, day-before reminders, RSVP counts,
the offices' missing-event reminders, and announcements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from catalogue import text
from flows import messages as m
from flows.events import event_notice, kind_label, when_text
from jobs.notice_plan import CATCH_UP, STALE_AFTER, Item, Plan, notice_message
from rules.school_rules import SchoolRules
from school import announcements, delivery_log, recipients, school_events
from school.recipients import Recipient
from storage.clock import TAIPEI, academic_year_of, at_taipei, format_date
from storage.models.schedule import SchoolEvent

# Rule 六: the responsible office hears this long before the month's end if nothing is planned.
EVENT_MISSING_LEAD = timedelta(days=14)
EVENT_REMINDER_DAYS_BEFORE = 1
PERIOD_ANY = "-"


# --- events (rule 六) ----------------------------------------------------------------------------


def plan_events(session: Any, rules: SchoolRules, now: datetime, plan: Plan) -> None:
    for event in school_events.upcoming_events(session, now):
        period = str(event.academic_year)
        rule = f"event_notice:{event.id}"
        done = delivery_log.delivered(session, rule, period)
        notice = [event_notice(event)]
        for person in school_events.event_audience(session, event):
            if person.key not in done:
                plan.add(
                    person, Item(rule, period, event.created_at, "normal", notice, event.starts_at)
                )
        local_start = event.starts_at.astimezone(TAIPEI)
        day_before = (local_start - timedelta(days=EVENT_REMINDER_DAYS_BEFORE)).date()
        remind_at = at_taipei(day_before, rules.send_time.hour, rules.send_time.minute)
        if now < remind_at or now - remind_at > CATCH_UP:
            continue
        values = {"title": event.title, "when": when_text(event.starts_at), "place": event.place}
        if remind_at >= event.created_at:
            rule = f"event_reminder:{event.id}"
            done = delivery_log.delivered(session, rule, period)
            message = [m.text(text("schedule.event.reminder", **values))]
            for rsvp in school_events.attendees(session, event.id):
                if rsvp.recipient not in done:
                    person = Recipient(rsvp.recipient, (rsvp.line_user_id,), "", 0)
                    plan.add(
                        person, Item(rule, period, remind_at, "normal", message, event.starts_at)
                    )
        _plan_counts(session, event, remind_at, plan)


def _plan_counts(session: Any, event: SchoolEvent, due: datetime, plan: Plan) -> None:
    """The offices running the event get the RSVP counts with the day-before reminders."""
    rule, period = f"event_counts:{event.id}", str(event.academic_year)
    done = delivery_log.delivered(session, rule, period)
    counts = school_events.rsvp_counts(session, event)
    message = [
        m.text(
            text(
                "schedule.event.counts",
                kind=kind_label(event.kind),
                title=event.title,
                when=when_text(event.starts_at),
                yes=counts.attending,
                no=counts.declined,
                unanswered=counts.unanswered,
                invited=counts.invited,
            )
        )
    ]
    for person in recipients.staff_with_roles(session, school_events.EVENT_OFFICES[event.kind]):
        if person.key not in done:
            plan.add(person, Item(rule, period, due, "normal", message, event.starts_at))


def plan_required_events(session: Any, rules: SchoolRules, now: datetime, plan: Plan) -> None:
    """Rule 六: a heads-up before the configured month ends, and again after, if none is planned."""
    this_year = academic_year_of(now.astimezone(TAIPEI).date())
    for year in (this_year - 1, this_year):
        if year not in rules.years:
            continue
        for kind in rules.required_events:
            deadline = rules.event_deadline(kind, year)
            send = rules.send_time
            checkpoints = (
                (
                    "missing",
                    at_taipei(
                        (deadline - EVENT_MISSING_LEAD).astimezone(TAIPEI).date(),
                        send.hour,
                        send.minute,
                    ),
                ),
                (
                    "overdue",
                    at_taipei(
                        deadline.astimezone(TAIPEI).date() + timedelta(days=1),
                        send.hour,
                        send.minute,
                    ),
                ),
            )
            for name, due in checkpoints:
                if not (due <= now <= due + CATCH_UP) or school_events.has_event(
                    session, kind, year
                ):
                    continue
                _tell_offices(
                    session,
                    plan,
                    kind,
                    f"{year}:{name}",
                    due,
                    lambda role, name=name, kind=kind, deadline=deadline, year=year: text(
                        f"schedule.event.{name}",
                        office=role,
                        year=year,
                        kind=kind_label(kind),
                        deadline=format_date(deadline),
                    ),
                )


def plan_semester_events(session: Any, rules: SchoolRules, now: datetime, plan: Plan) -> None:
    """Each semester's events (the working group's meeting, 教學組's workshop, 輔導室's
    training): a heads-up to the office before the deadline, and again after, if the semester
    has none on the calendar."""
    today = now.astimezone(TAIPEI).date()
    send = rules.send_time
    for semester in rules.semesters():
        if not semester.start <= today <= semester.end:
            continue
        first, end = at_taipei(semester.start), at_taipei(semester.end + timedelta(days=1))
        for kind in rules.semester_events:
            deadline = rules.semester_event_deadline(kind, semester)
            day = deadline.astimezone(TAIPEI).date()
            checkpoints = (
                ("missing", at_taipei(day - EVENT_MISSING_LEAD, send.hour, send.minute)),
                ("overdue", at_taipei(day + timedelta(days=1), send.hour, send.minute)),
            )
            for name, due in checkpoints:
                if not (due <= now <= due + CATCH_UP) or school_events.has_event_between(
                    session, kind, first, end
                ):
                    continue
                _tell_offices(
                    session,
                    plan,
                    kind,
                    f"{semester.label}:{name}",
                    due,
                    lambda role, name=name, kind=kind, deadline=deadline, term=semester.label: text(
                        f"school_rules.event.{name}",
                        office=role,
                        term=term,
                        kind=kind_label(kind),
                        deadline=format_date(deadline),
                    ),
                )


def _tell_offices(
    session: Any,
    plan: Plan,
    kind: str,
    period: str,
    due: datetime,
    body_for: Callable[[str], str],
) -> None:
    """The offices responsible for an event kind hear that it is missing, once per person."""
    rule = f"event_required:{kind}"
    done = delivery_log.delivered(session, rule, period)
    for role in school_events.EVENT_OFFICES[kind]:
        message = notice_message(body_for(role), [], None)
        for person in recipients.staff_with_roles(session, [role]):
            if person.key not in done:
                done.add(person.key)
                plan.add(person, Item(rule, period, due, "normal", [message], due + STALE_AFTER))


# --- 公告 ----------------------------------------------------------------------------------------


def plan_announcements(session: Any, now: datetime, plan: Plan) -> None:
    for announcement in announcements.open_announcements(session, now):
        rule = f"announcement:{announcement.id}"
        done = delivery_log.delivered(session, rule, PERIOD_ANY)
        message = announcement_message(
            announcement.body, announcement.action, announcement.action_label
        )
        for person in recipients.audience_recipients(session, announcement.audience):
            if person.key not in done:
                plan.add(
                    person,
                    Item(
                        rule,
                        PERIOD_ANY,
                        announcement.created_at,
                        announcement.priority,
                        [message],
                        announcement.until,
                    ),
                )


def announcement_message(body: str, action: str | None, label: str | None) -> dict[str, Any]:
    contents = [{"type": "text", "text": body, "wrap": True}]
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": contents},
    }
    if action:
        label = label or text("schedule.button.open")
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {
                    "type": "button",
                    "style": "primary",
                    "height": "sm",
                    "action": m.postback_action(label, f"menu:{action}", label),
                }
            ],
        }
    return m.flex(body[:400], bubble)
