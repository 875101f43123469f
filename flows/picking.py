"""Year-end picking (勾選) in chat: pages of cards, a running count, a summary, 確認送出; 勾選進度.

Every pick is stored the moment it is tapped (school/picking.py), so a conversation that times
out loses nothing, and the cards stay usable afterwards: their postbacks are handled by the
flow while it is open and by the desk when it is not. Item buttons carry an HMAC of the student,
the action and the item, and the server checks ownership again on every tap.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import select

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import END, STAY, Flow, Input, step
from flows.frontdesk import FrontDesk
from flows.picking_cards import (
    CONFIRM,
    PREFIX,
    REOPEN,
    SUMMARY,
    _dates,
    _pages,
    confirmed_message,
    final_message,
    page_messages,
    summary_message,
)
from flows.picking_taps import _state, act
from flows.store import Conversation
from rules.model import COURSE_OUTCOME, PERFORMANCE
from school import pick_progress, picking
from school.recipients import to_rules_grade
from storage.clock import format_date
from storage.identity import HOMEROOM, STAFF, STUDENT, Identity, identify
from storage.models.school import SchoolClass

FLOW: Final = "pick"
EXPORT_FLOW: Final = "export_picks"


# What a typed word does while the flow is open (the buttons send postbacks).
_WORDS: Final = {
    "下一頁": "next",
    "上一頁": "prev",
    "摘要": SUMMARY,
    "看摘要": SUMMARY,
    "看摘要並送出": SUMMARY,
    "確認送出": CONFIRM,
    "重新開啟修改": REOPEN,
}


def _student_id(ctx: Ctx) -> int | None:
    return ctx.account.student_id if ctx.account is not None else None


def _begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    student_id = _student_id(ctx)
    if student_id is None:
        ctx.reply(m.text(text("desk.not_for_you")))
        return END
    st = _state(ctx, student_id)
    conv.data.update({"year": st.academic_year, "page": int(args.get("page") or 1)})
    if st.window is None:
        ctx.reply(m.text(text("picking.no_window", year=st.academic_year)))
        return END
    if st.phase == "before":
        ctx.reply(m.text(text("picking.not_open", year=st.academic_year, **_dates(st))))
        return END
    if st.phase == "closed":
        ctx.reply(final_message(st))
        return END
    if st.confirmed_at is not None:
        return "confirmed"
    if not st.candidates:
        ctx.reply(m.text(text("picking.empty", year=st.academic_year)))
        return END
    return "summary" if args.get("view") == "summary" else "browse"


def _prompt_browse(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    student_id = _student_id(ctx)
    assert student_id is not None
    st = _state(ctx, student_id, conv.data.get("year"))
    page = min(max(int(conv.data.get("page", 1)), 1), _pages(st))
    conv.data["page"] = page
    return page_messages(ctx, student_id, st, page)


def _prompt_summary(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    student_id = _student_id(ctx)
    assert student_id is not None
    return [summary_message(_state(ctx, student_id, conv.data.get("year")))]


def _prompt_confirmed(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    student_id = _student_id(ctx)
    assert student_id is not None
    return [confirmed_message(_state(ctx, student_id, conv.data.get("year")))]


def _run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    student_id = _student_id(ctx)
    if student_id is None:
        return END
    page = int(conv.data.get("page", 1))
    if inp.kind == "postback":
        if not inp.data.startswith(PREFIX):
            ctx.reply(m.text(text("picking.other_button")))
            return STAY
        view = act(ctx, student_id, inp.data, page)
    else:
        word = _WORDS.get(inp.word)
        if word is None:
            ctx.reply(m.text(text("picking.use_buttons")))
            return STAY
        year = conv.data.get("year")
        data = f"{PREFIX}{word}" + (f":{year}" if word in (CONFIRM, REOPEN) else "")
        view = act(ctx, student_id, data, page)
    if view.state is None:
        return STAY
    if view.state == "end":
        return END
    conv.data["page"] = view.page
    return view.state


PICK = Flow(
    name=FLOW,
    steps={
        "browse": step(("postback", "text"), _run, _prompt_browse),
        "summary": step(("postback", "text"), _run, _prompt_summary),
        "confirmed": step(("postback", "text"), _run, _prompt_confirmed),
    },
    begin=_begin,
)


# --- entry points -----------------------------------------------------------------------------


def on_pick(ctx: Ctx, ident: Identity, inp: Input) -> None:
    ctx.start_flow(FLOW)


def on_pick_postback(ctx: Ctx, ident: Identity, inp: Input, rest: str) -> None:
    """A card or button tapped after the conversation ended (timeout, 取消, another day)."""
    if ident.student is None:
        ctx.reply(m.text(text("desk.not_for_you")))
        return
    view = act(ctx, ident.student.id, PREFIX + rest)
    if view.state in ("browse", "summary", "confirmed"):
        ctx.start_flow(FLOW, view=view.state, page=view.page)


def on_pick_progress(ctx: Ctx, ident: Identity, inp: Input) -> None:
    """勾選進度: the homeroom teacher's class, who has not confirmed yet."""
    classes = (
        ctx.session.scalars(
            select(SchoolClass)
            .where(SchoolClass.homeroom_teacher_id == ident.staff.id)
            .order_by(SchoolClass.code)
        ).all()
        if ident.staff is not None
        else []
    )
    if not classes:
        ctx.reply(m.text(text("picking.progress.no_class")))
        return
    replies = []
    for cls in classes[:5]:
        # Grade 12 picks on its own window before graduation.
        grade = to_rules_grade(cls.grade) if cls.grade is not None else None
        year = picking.picking_year(ctx.rules, ctx.now, grade)
        window = picking.picking_window(ctx.rules, year, grade)
        if window is None:
            replies.append(m.text(text("picking.progress.no_window", year=year)))
            continue
        phase = picking.phase_of(window, ctx.now)
        rows = pick_progress.class_progress(ctx.session, cls.id, year)
        waiting = [r for r in rows if r.confirmed_at is None]
        lines = [
            text(
                "picking.progress.head",
                cls=cls.code,
                year=year,
                start=format_date(window.first_day),
                end=format_date(window.last_day),
                phase=text(f"picking.progress.phase.{phase}"),
                done=len(rows) - len(waiting),
                total=len(rows),
            )
        ]
        if waiting:
            lines.append(text("picking.progress.waiting_head"))
            lines += [
                text(
                    "picking.progress.line",
                    seat=r.seat_no or "—",
                    name=r.name,
                    co=r.picked[COURSE_OUTCOME],
                    co_ok=r.pickable[COURSE_OUTCOME],
                    pf=r.picked[PERFORMANCE],
                    pf_ok=r.pickable[PERFORMANCE],
                )
                for r in waiting
            ]
        else:
            lines.append(text("picking.progress.all_done"))
        replies.append(m.text("\n".join(lines)))
    ctx.reply(*replies)


def on_export_picks(ctx: Ctx, ident: Identity, inp: Input) -> None:
    """Staff: how far picking is, and the commands that write the zips."""
    year = picking.picking_year(ctx.rules, ctx.now)
    totals = pick_progress.year_totals(ctx.session, year)
    ctx.reply(
        m.text(
            text(
                "picking.export.chat",
                year=year,
                confirmed=totals.confirmed,
                total=totals.students,
                co=totals.picked[COURSE_OUTCOME],
                pf=totals.picked[PERFORMANCE],
            )
        )
    )


def _export_begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    ident = identify(ctx.session, ctx.account)
    if ident is None or not ident.has(STAFF):
        ctx.reply(m.text(text("desk.not_for_you")))
    else:
        on_export_picks(ctx, ident, Input("text"))
    return END


# The rules' schedule rows name flows (flow = "export_picks"); this one only answers and ends.
EXPORT_PICKS = Flow(name=EXPORT_FLOW, steps={}, begin=_export_begin)


def register(desk: FrontDesk) -> None:
    desk.command("pick", ("勾選",), (STUDENT,))(on_pick)
    desk.command("pick_progress", ("勾選進度",), (HOMEROOM,))(on_pick_progress)
    desk.command("export_picks", ("勾選統計",), (STAFF,))(on_export_picks)
    desk.postback(PREFIX, (STUDENT,))(on_pick_postback)
    desk.add_flow(PICK)
    desk.add_flow(EXPORT_PICKS)
