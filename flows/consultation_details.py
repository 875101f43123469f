"""When, where and what, the record flow's middle steps: the date and times (LINE's pickers or
typed), the place, and the content and advice.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from catalogue import text
from flows import messages as m
from flows.consultation_record import (
    parse_time,
)
from flows.consultation_states import (
    CANCEL_QUICK,
    CONTENT,
    DATE,
    DATE_PICKED,
    DEFAULT_START,
    EARLIEST_DAYS,
    END_TIME,
    FILES,
    PLACE,
    START,
    TIME_PICKED,
    _current,
    _or_review,
)
from flows.context import Ctx
from flows.engine import Input
from flows.store import Conversation
from school import consultations
from school.dates import parse_date
from storage.clock import format_date, taipei_date


def _today(ctx: Ctx) -> date:
    return taipei_date(ctx.now)


def _date_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    today = _today(ctx)
    current = conv.data.get("date")
    shown = format_date(date.fromisoformat(current)) if current else None
    ask = text("records.consult.ask_date", example=format_date(today)) + _current(conv, shown)
    action = m.datetime_action(
        text("records.consult.button_date"),
        DATE_PICKED,
        mode="date",
        initial=current or today.isoformat(),
        minimum=(today - timedelta(days=EARLIEST_DAYS)).isoformat(),
        maximum=today.isoformat(),
    )
    return [m.with_quick_reply(m.buttons(ask, ask, [action]), CANCEL_QUICK)]


def _date_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    today = _today(ctx)
    day: date | None = None
    try:
        if inp.kind == "postback" and inp.data == DATE_PICKED:
            day = date.fromisoformat(str(inp.params.get("date") or ""))
        elif inp.kind == "text":
            day = parse_date(inp.text)
    except ValueError:
        day = None
    if day is None:
        ctx.reply(m.text(text("records.consult.bad_date", example=format_date(today))))
        return DATE
    if day > today or day < today - timedelta(days=EARLIEST_DAYS):
        ctx.reply(m.text(text("records.consult.date_range")))
        return DATE
    conv.data["date"] = day.isoformat()
    return START


def _picked_time(inp: Input) -> time | None:
    if inp.kind == "postback" and inp.data == TIME_PICKED:
        raw = inp.params.get("time")
        try:
            return time.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            return None
    return parse_time(inp.text) if inp.kind == "text" else None


def _time_prompt(ask: str, initial: str) -> list[dict[str, Any]]:
    action = m.datetime_action(
        text("records.consult.button_time"), TIME_PICKED, mode="time", initial=initial
    )
    return [m.with_quick_reply(m.buttons(ask, ask, [action]), CANCEL_QUICK)]


def _start_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    current = conv.data.get("start")
    return _time_prompt(
        text("records.consult.ask_start") + _current(conv, current), current or DEFAULT_START
    )


def _start_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    picked = _picked_time(inp)
    if picked is None:
        ctx.reply(m.text(text("records.consult.bad_time")))
        return START
    conv.data["start"] = f"{picked:%H:%M}"
    return END_TIME


def _end_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    start = conv.data.get("start") or DEFAULT_START
    current = conv.data.get("end")
    if current and current <= start:
        current = None
    return _time_prompt(
        text("records.consult.ask_end", start=start) + _current(conv, current), current or start
    )


def _end_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    picked = _picked_time(inp)
    if picked is None:
        ctx.reply(m.text(text("records.consult.bad_time")))
        return END_TIME
    start = conv.data.get("start") or DEFAULT_START
    if f"{picked:%H:%M}" <= start:
        ctx.reply(m.text(text("records.consult.end_before_start", start=start)))
        return END_TIME
    conv.data["end"] = f"{picked:%H:%M}"
    return _or_review(conv, PLACE)


# --- place and content ------------------------------------------------------------------------


def _ask(conv: Conversation, key: str, field: str, limit: int) -> list[dict[str, Any]]:
    """Ask for a free-text field, showing what it holds now when the person is revising."""
    return [
        m.text(text(key, limit=limit) + _current(conv, conv.data.get(field)), quick=CANCEL_QUICK)
    ]


def _fits(ctx: Ctx, value: str, limit: int, too_long: str) -> bool:
    """Whether typed text can be kept; if not, the person is told why."""
    if not value:
        ctx.reply(m.text(text("records.consult.type_it")))
        return False
    # Characters as people count them (each Chinese character is one).
    if len(value) > limit:
        ctx.reply(m.text(text(too_long, limit=limit, n=len(value))))
        return False
    return True


def _place_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    return _ask(conv, "records.consult.ask_place", "place", consultations.PLACE_LIMIT)


def _place_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    place = " ".join(inp.text.split())
    if not _fits(ctx, place, consultations.PLACE_LIMIT, "records.consult.place_too_long"):
        return PLACE
    conv.data["place"] = place
    return _or_review(conv, CONTENT)


def _content_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    return _ask(conv, "records.consult.ask_content", "content", consultations.CONTENT_LIMIT)


def _content_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    content = inp.text.strip()
    if not _fits(ctx, content, consultations.CONTENT_LIMIT, "records.consult.content_too_long"):
        return CONTENT
    conv.data["content"] = content
    return _or_review(conv, FILES)
