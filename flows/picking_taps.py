"""Acting on a picking tap (pk: postbacks, from the open flow or from a card tapped later): pick
or unpick an item, turn a page, show the summary, confirm or reopen; each says what happened
and tells the flow where to go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.picking_cards import (
    ADD,
    CONFIRM,
    DEL,
    PAGE,
    PREFIX,
    REOPEN,
    SUMMARY,
    _counts,
    _dates,
    _limit,
    _verified,
    item_title,
)
from school import pick_candidates, picking
from school.picking import Candidate, Outcome, PickState


@dataclass(frozen=True)
class View:
    """Where a tap leads: None stays put (the answer is already said), else a flow state."""

    state: str | None
    page: int = 1


def _state(ctx: Ctx, student_id: int, year: int | None = None) -> PickState:
    grade = picking.student_grade(ctx.session, student_id)
    year = year if year is not None else picking.picking_year(ctx.rules, ctx.now, grade)
    return picking.state(ctx.session, ctx.rules, student_id, year, ctx.now)


def _say_outcome(
    ctx: Ctx, student_id: int, outcome: Outcome, item: Candidate | None, year: int | None
) -> None:
    st = _state(ctx, student_id, year)
    values: dict[str, Any] = {"title": item_title(item), "counts": _counts(st), **_dates(st)}
    if outcome.code == "limit" and item is not None:
        values |= {
            "kind": text(f"picking.kind.{item.kind}"),
            "limit": _limit(outcome.values.get("limit")),
        }
    if outcome.code == "not_pickable_rejected":
        values["reason"] = (item.reason if item else None) or "—"
    quick: list[m.QuickItem] = [
        (text("picking.nav.summary"), "postback", f"{PREFIX}{SUMMARY}"),
        (text("picking.nav.cards"), "postback", f"{PREFIX}{PAGE}:1"),
    ]
    if outcome.code == "locked":
        quick = [(text("picking.nav.reopen"), "postback", f"{PREFIX}{REOPEN}:{st.academic_year}")]
    if outcome.code in ("window_closed", "window_before", "not_found"):
        quick = []
    ctx.reply(m.text(text(f"picking.result.{outcome.code}", **values), quick=quick or None))


def _tap_item(ctx: Ctx, student_id: int, parts: list[str], page: int) -> View | None:
    if len(parts) != 3:
        return None
    action, ref, signature = parts
    parsed = pick_candidates.parse_ref(ref)
    if parsed is None or not _verified(ctx.secret_key, student_id, action, ref, signature):
        return None
    kind, item_id = parsed
    change = picking.pick if action == ADD else picking.unpick
    outcome = change(ctx.session, ctx.rules, student_id, kind, item_id, ctx.now)
    item = pick_candidates.candidate_of(ctx.session, kind, item_id)
    year = item.academic_year if item is not None and outcome.code != "not_found" else None
    _say_outcome(ctx, student_id, outcome, item if year is not None else None, year)
    return View(None)


def _tap_page(ctx: Ctx, student_id: int, parts: list[str], page: int) -> View | None:
    if len(parts) == 2 and parts[1].isdigit():
        return View("browse", int(parts[1]))
    return None


def _tap_turn(ctx: Ctx, student_id: int, parts: list[str], page: int) -> View | None:
    return View("browse", page + (1 if parts[0] == "next" else -1))


def _tap_summary(ctx: Ctx, student_id: int, parts: list[str], page: int) -> View | None:
    return View("summary")


def _year(ctx: Ctx, student_id: int, parts: list[str]) -> int:
    return (
        int(parts[1])
        if len(parts) == 2 and parts[1].isdigit()
        else picking.picking_year(
            ctx.rules, ctx.now, picking.student_grade(ctx.session, student_id)
        )
    )


def _tap_confirm(ctx: Ctx, student_id: int, parts: list[str], page: int) -> View | None:
    return _confirm(ctx, student_id, _year(ctx, student_id, parts))


def _tap_reopen(ctx: Ctx, student_id: int, parts: list[str], page: int) -> View | None:
    return _reopen(ctx, student_id, _year(ctx, student_id, parts))


# What each pk: action does, given the data's parts after PREFIX and the page shown; None means
# the data does not fit the action (a bad button).
TAPS: dict[str, Callable[[Ctx, int, list[str], int], View | None]] = {
    ADD: _tap_item,
    DEL: _tap_item,
    PAGE: _tap_page,
    "next": _tap_turn,
    "prev": _tap_turn,
    SUMMARY: _tap_summary,
    CONFIRM: _tap_confirm,
    REOPEN: _tap_reopen,
}


def act(ctx: Ctx, student_id: int, data: str, page: int = 1) -> View:
    """Carry out one pk: postback for this student; says what happened; returns where to go."""
    parts = data[len(PREFIX) :].split(":")
    tap = TAPS.get(parts[0])
    view = tap(ctx, student_id, parts, page) if tap is not None else None
    if view is None:
        ctx.reply(m.text(text("picking.bad_button")))
        return View(None)
    return view


def _confirm(ctx: Ctx, student_id: int, year: int) -> View:
    outcome = picking.confirm(ctx.session, ctx.rules, student_id, year, ctx.now)
    st = _state(ctx, student_id, year)
    if outcome.code == "confirmed":
        said = text("picking.confirmed", count=outcome.values["count"], **_dates(st))
        if outcome.values.get("dropped"):
            said += "\n" + text("picking.confirmed_dropped", dropped=outcome.values["dropped"])
        ctx.reply(m.text(said))
        return View("end")
    if outcome.code == "already_confirmed":
        return View("confirmed")
    ctx.reply(m.text(text(f"picking.result.{outcome.code}", **_dates(st))))
    return View("end")


def _reopen(ctx: Ctx, student_id: int, year: int) -> View:
    outcome = picking.reopen(ctx.session, ctx.rules, student_id, year, ctx.now)
    st = _state(ctx, student_id, year)
    if outcome.code in ("reopened", "not_confirmed"):
        ctx.reply(m.text(text(f"picking.{outcome.code}")))
        return View("browse", 1)
    ctx.reply(m.text(text(f"picking.result.{outcome.code}", **_dates(st))))
    return View("end")
