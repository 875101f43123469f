"""Trainings and briefings (rule 六): RSVP taps, the 說明會 list, and the staff 待辦 / 公告 views.

Event notices themselves are pushed by the tick (jobs/event_notices.py) with the card built here, so
a notice and the 說明會 list look the same and carry the same 參加 / 不克參加 buttons.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import Input
from flows.frontdesk import FrontDesk
from rules.labels import AUDIENCES
from school import announcements, recipients, school_events, tallies, windows
from storage.clock import TAIPEI, format_date, format_short_date
from storage.identity import (
    CONSULTANT,
    CONVENER,
    GUARDIAN,
    HOMEROOM,
    STAFF,
    STUDENT,
    TEACHER,
    Identity,
)
from storage.models.schedule import SchoolEvent

EVENT_PREFIX = "event:"
RSVP_YES = "yes"
RSVP_NO = "no"
ALL_ROLES = (STUDENT, GUARDIAN, TEACHER, HOMEROOM, CONSULTANT, CONVENER, STAFF)
MAX_CARDS = 12  # a flex carousel's limit
TODO_DAYS = 14
NOTICES_SHOWN = 5
_WEEKDAYS = "一二三四五六日"


def when_text(when: datetime) -> str:
    """2026/11/7（六）09:30, as a notice reads on a phone."""
    local = when.astimezone(TAIPEI)
    return f"{format_date(local)}（{_WEEKDAYS[local.weekday()]}）{local:%H:%M}"


def rsvp_data(event_id: int, answer: str) -> str:
    return f"{EVENT_PREFIX}rsvp:{event_id}:{answer}"


def kind_label(kind: str) -> str:
    return text(f"schedule.event.kind.{kind}")


def event_bubble(
    event: SchoolEvent, answer: bool | None = None, *, ask: bool = True
) -> dict[str, Any]:
    """One event as a card with 參加 / 不克參加; answer shows what the person already said."""
    body: list[dict[str, Any]] = [
        {"type": "text", "text": kind_label(event.kind), "size": "sm", "color": "#1DB446"},
        {"type": "text", "text": event.title, "weight": "bold", "size": "lg", "wrap": True},
        {
            "type": "text",
            "text": text("schedule.event.card", when=when_text(event.starts_at), place=event.place),
            "wrap": True,
            "size": "sm",
        },
    ]
    if answer is not None or not ask:
        key = {
            True: "schedule.briefing.answer_yes",
            False: "schedule.briefing.answer_no",
            None: "schedule.briefing.answer_none",
        }[answer]
        body.append({"type": "text", "text": text(key), "size": "sm", "color": "#888888"})
    else:
        body.append(
            {"type": "text", "text": text("schedule.event.ask"), "size": "sm", "wrap": True}
        )
    yes, no = text("schedule.event.yes"), text("schedule.event.no")
    return {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
        "footer": {
            "type": "box",
            "layout": "horizontal",
            "spacing": "sm",
            "contents": [
                {
                    "type": "button",
                    "style": "primary",
                    "height": "sm",
                    "action": m.postback_action(yes, rsvp_data(event.id, RSVP_YES), yes),
                },
                {
                    "type": "button",
                    "style": "secondary",
                    "height": "sm",
                    "action": m.postback_action(no, rsvp_data(event.id, RSVP_NO), no),
                },
            ],
        },
    }


def event_notice(event: SchoolEvent) -> dict[str, Any]:
    alt = text(
        "schedule.event.alt",
        kind=kind_label(event.kind),
        title=event.title,
        when=when_text(event.starts_at),
        place=event.place,
    )
    return m.flex(alt, event_bubble(event))


# --- taps and menu actions -----------------------------------------------------------------------


def _keys(ident: Identity) -> list[str]:
    return recipients.recipient_keys(
        ident.student.id if ident.student else None,
        ident.staff.id if ident.staff else None,
        ident.guardian.id if ident.guardian else None,
    )


def on_event_postback(ctx: Ctx, ident: Identity, inp: Input, rest: str) -> None:
    """event:rsvp:<id>:yes|no — checked on the server: the event is open and the person invited."""
    parts = rest.split(":")
    if (
        len(parts) != 3
        or parts[0] != "rsvp"
        or parts[2] not in (RSVP_YES, RSVP_NO)
        or not parts[1].isdigit()
    ):
        ctx.reply(m.text(text("desk.stale_button")))
        return
    event = ctx.session.get(SchoolEvent, int(parts[1]))
    if event is None:
        ctx.reply(m.text(text("desk.stale_button")))
        return
    if event.cancelled_at is not None or event.starts_at <= ctx.now:
        ctx.reply(m.text(text("schedule.event.rsvp_closed", title=event.title)))
        return
    keys = _keys(ident)
    invited = [r for r in school_events.event_audience(ctx.session, event) if r.key in keys]
    if not invited:
        ctx.reply(m.text(text("schedule.event.rsvp_not_invited")))
        return
    assert ctx.line_user_id
    attending = parts[2] == RSVP_YES
    school_events.set_rsvp(ctx.session, event, invited[0].key, ctx.line_user_id, attending, ctx.now)
    values = {"title": event.title, "when": when_text(event.starts_at), "place": event.place}
    key = "schedule.event.rsvp_yes" if attending else "schedule.event.rsvp_no"
    ctx.reply(m.text(text(key, **values)))


def on_briefing(ctx: Ctx, ident: Identity, inp: Input) -> None:
    """說明會: the upcoming events this person is invited to, with their answer and buttons."""
    keys = _keys(ident)
    events = school_events.events_for(ctx.session, keys, ctx.now)[:MAX_CARDS]
    if not events:
        ctx.reply(m.text(text("schedule.briefing.none")))
        return
    bubbles = []
    for event in events:
        rsvp = school_events.rsvp_of(ctx.session, event.id, keys)
        bubbles.append(event_bubble(event, rsvp.attending if rsvp else None, ask=rsvp is None))
    alt = "、".join(e.title for e in events)[:300]
    ctx.reply(m.flex(alt, bubbles[0] if len(bubbles) == 1 else m.carousel(bubbles)))


def on_todo(ctx: Ctx, ident: Identity, inp: Input) -> None:
    """待辦 (staff): schedule rows for this person's offices in the next two weeks."""
    roles = ident.staff.role_names if ident.staff else set()
    audiences = {key for key, label in AUDIENCES.items() if label in roles}
    rules = windows.effective_rules(ctx.session, ctx.rules)
    lines = [
        text("schedule.todo.item", date=format_short_date(o.due), what=o.row.what)
        for o in rules.due_between(ctx.now, ctx.now + timedelta(days=TODO_DAYS))
        if audiences.intersection(o.row.audience)
    ]
    if ident.staff is not None:
        pending = _pending_now(ctx).get(ident.staff.id, 0)
        if pending:
            lines.append(text("schedule.todo.pending", count=pending))
    if not lines:
        ctx.reply(m.text(text("schedule.todo.none", days=TODO_DAYS)))
        return
    ctx.reply(m.text("\n".join([text("schedule.todo.header", days=TODO_DAYS), *lines])))


def _pending_now(ctx: Ctx) -> dict[int, int]:
    semester = ctx.rules.current_semester(ctx.now)
    if semester is None:
        return {}
    return tallies.pending_by_certifier(ctx.session, semester.academic_year, semester.number)


def on_notices(ctx: Ctx, ident: Identity, inp: Input) -> None:
    """公告 (staff): the last announcements sent, newest first."""
    rows = announcements.recent_announcements(ctx.session, NOTICES_SHOWN)
    if not rows:
        ctx.reply(m.text(text("schedule.notice.none")))
        return
    lines = [
        text("schedule.notice.item", date=format_short_date(r.created_at), body=r.body)
        for r in rows
    ]
    ctx.reply(m.text("\n".join([text("schedule.notice.header"), *lines])[:4900]))


def register(desk: FrontDesk) -> None:
    desk.postback(EVENT_PREFIX, ALL_ROLES)(on_event_postback)
    # Students hear of their trainings by notice; offering 說明會 to them would only puzzle.
    desk.command(
        "briefing",
        ("說明會", "研習", "活動"),
        ALL_ROLES,
        offered=lambda ident: ident.student is None,
    )(on_briefing)
    desk.command("todo", ("待辦",), (STAFF,))(on_todo)
    desk.command("notice", ("公告",), (STAFF,))(on_notices)
