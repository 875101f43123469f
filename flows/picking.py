"""Year-end picking (勾選) in chat: pages of cards, a running count, a summary, 確認送出; 勾選進度.

Every pick is stored the moment it is tapped (school/picking.py), so a conversation that times
out loses nothing, and the cards stay usable afterwards: their postbacks are handled by the
flow while it is open and by the desk when it is not. Item buttons carry an HMAC of the student,
the action and the item, and the server checks ownership again on every tap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import END, STAY, Flow, Input, step
from flows.frontdesk import FrontDesk
from flows.store import Conversation
from rules.model import COURSE_OUTCOME, PERFORMANCE
from school import pick_candidates, pick_progress, picking
from school.pick_candidates import Candidate
from school.picking import Outcome, PickState
from school.recipients import to_rules_grade
from storage.clock import format_date, format_datetime
from storage.identity import HOMEROOM, STAFF, STUDENT, Identity, identify
from storage.models.school import SchoolClass

FLOW: Final = "pick"
EXPORT_FLOW: Final = "export_picks"
PREFIX: Final = "pk:"
PAGE_SIZE: Final = 8
# 16 base64 characters = 96 bits of HMAC: unguessable, and the whole postback stays short.
SIGNATURE_LENGTH: Final = 16
SUMMARY_CHARS: Final = 60

ADD, DEL, PAGE, SUMMARY, CONFIRM, REOPEN = "add", "del", "page", "sum", "ok", "reopen"
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


# --- signed postbacks -------------------------------------------------------------------------


def sign(secret: str, student_id: int, action: str, ref: str) -> str:
    mac = hmac.new(
        secret.encode(), f"pick|{student_id}|{action}|{ref}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(mac).decode()[:SIGNATURE_LENGTH]


def item_data(secret: str, student_id: int, action: str, ref: str) -> str:
    return f"{PREFIX}{action}:{ref}:{sign(secret, student_id, action, ref)}"


def _verified(secret: str, student_id: int, action: str, ref: str, signature: str) -> bool:
    return hmac.compare_digest(signature.encode(), sign(secret, student_id, action, ref).encode())


# --- words ------------------------------------------------------------------------------------


def _limit(value: int | None) -> str:
    return str(value) if value is not None else text("picking.no_limit")


def _counts(st: PickState) -> str:
    return text(
        "picking.counts",
        co_count=st.counts[COURSE_OUTCOME],
        co_limit=_limit(st.limits[COURSE_OUTCOME]),
        pf_count=st.counts[PERFORMANCE],
        pf_limit=_limit(st.limits[PERFORMANCE]),
    )


def item_label(c: Candidate) -> str:
    if c.kind == PERFORMANCE and c.record_type:
        key = f"picking.type.{c.record_type}"
        try:
            return text(key)
        except KeyError:
            return text("picking.kind.performance")
    return text(f"picking.kind.{c.kind}")


def item_title(c: Candidate | None) -> str:
    if c is None:
        return ""
    return c.title or c.summary[:20] or c.ref


def _files(c: Candidate) -> str:
    names = [text("picking.file.document")] if c.has_document else []
    if c.has_av:
        names.append(text("picking.file.av"))
    return "、".join(names) or text("picking.card.no_files")


def _why(c: Candidate) -> str:
    if c.picked and not c.pickable:
        return text("picking.why.picked_unavailable")
    if c.why == "rejected":
        return text("picking.why.course_outcome.rejected", reason=c.reason or "—")
    try:
        return text(f"picking.why.{c.kind}.{c.why}")
    except KeyError:
        return text("picking.why.unavailable")


def _dates(st: PickState) -> dict[str, str]:
    if st.window is None:
        return {"start": "", "end": ""}
    return {"start": format_date(st.window.first_day), "end": format_date(st.window.last_day)}


# --- messages ---------------------------------------------------------------------------------


def _pages(st: PickState) -> int:
    return max(1, -(-len(st.candidates) // PAGE_SIZE))


def _nav(st: PickState, page: int) -> list[m.QuickItem]:
    items: list[m.QuickItem] = []
    if page > 1:
        items.append((text("picking.nav.prev"), "postback", f"{PREFIX}{PAGE}:{page - 1}"))
    if page < _pages(st):
        items.append((text("picking.nav.next"), "postback", f"{PREFIX}{PAGE}:{page + 1}"))
    items.append((text("picking.nav.summary"), "postback", f"{PREFIX}{SUMMARY}"))
    return items


def _card(ctx: Ctx, student_id: int, st: PickState, c: Candidate) -> dict[str, Any]:
    if c.pickable:
        status = text("picking.card.picked") if c.picked else text("picking.card.not_picked")
        color = "#1DB446" if c.picked else "#555555"
    else:
        status, color = _why(c), "#B00020"
    term = text("picking.card.term", year=st.academic_year, semester=c.semester)
    body: list[dict[str, Any]] = [
        {"type": "text", "size": "xs", "color": "#888888", "text": f"{item_label(c)}　{term}"},
        {
            "type": "text",
            "weight": "bold",
            "wrap": True,
            "maxLines": 2,
            "text": item_title(c) or "—",
        },
    ]
    if c.summary:
        body.append(
            {
                "type": "text",
                "size": "sm",
                "wrap": True,
                "maxLines": 3,
                "color": "#555555",
                "text": c.summary[:SUMMARY_CHARS],
            }
        )
    body += [
        {
            "type": "text",
            "size": "xs",
            "color": "#888888",
            "text": text("picking.card.files", files=_files(c)),
        },
        {"type": "text", "size": "sm", "wrap": True, "color": color, "text": status},
    ]
    bubble: dict[str, Any] = {
        "type": "bubble",
        "size": "kilo",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }
    buttons = []
    # One button: 勾選 on an unticked card, 取消 on a ticked one (取消 alone would mean nothing).
    if c.pickable and not c.picked:
        buttons.append(
            {
                "type": "button",
                "height": "sm",
                "style": "secondary" if c.picked else "primary",
                "action": m.postback_action(
                    text("picking.button.pick"), item_data(ctx.secret_key, student_id, ADD, c.ref)
                ),
            }
        )
    if c.picked:
        buttons.append(
            {
                "type": "button",
                "height": "sm",
                "style": "primary" if c.picked and not c.pickable else "secondary",
                "action": m.postback_action(
                    text("picking.button.unpick"), item_data(ctx.secret_key, student_id, DEL, c.ref)
                ),
            }
        )
    if buttons:
        bubble["footer"] = {
            "type": "box",
            "layout": "horizontal",
            "spacing": "sm",
            "contents": buttons,
        }
    return bubble


def page_messages(ctx: Ctx, student_id: int, st: PickState, page: int) -> list[dict[str, Any]]:
    pages = _pages(st)
    page = min(max(page, 1), pages)
    if not st.candidates:
        return [m.text(text("picking.empty", year=st.academic_year))]
    shown = st.candidates[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    header = text(
        "picking.header",
        year=st.academic_year,
        end=_dates(st)["end"],
        counts=_counts(st),
        page=page,
        pages=pages,
    )
    cards = m.flex(
        text("picking.page_alt", page=page, pages=pages),
        m.carousel([_card(ctx, student_id, st, c) for c in shown]),
    )
    return [m.text(header), m.with_quick_reply(cards, _nav(st, page))]


def _picked_lines(st: PickState) -> list[str]:
    lines: list[str] = []
    for kind in pick_candidates.KINDS:
        chosen = [c for c in st.picked if c.kind == kind]
        lines.append(
            text(
                "picking.summary.section",
                kind=text(f"picking.kind.{kind}"),
                count=len(chosen),
                limit=_limit(st.limits[kind]),
            )
        )
        if not chosen:
            lines.append(text("picking.summary.none"))
        for n, c in enumerate(chosen, start=1):
            lines.append(
                text(
                    "picking.summary.line",
                    n=n,
                    label=item_label(c),
                    title=item_title(c),
                    files=_files(c),
                )
            )
    return lines


def summary_message(st: PickState) -> dict[str, Any]:
    foot = "picking.summary.foot" if st.picked else "picking.summary.foot_nothing"
    body = "\n".join(
        [
            text("picking.summary.head", year=st.academic_year),
            *_picked_lines(st),
            "",
            text(foot, **_dates(st)),
        ]
    )
    return m.text(
        body,
        quick=[
            (text("picking.nav.confirm"), "postback", f"{PREFIX}{CONFIRM}:{st.academic_year}"),
            (text("picking.nav.edit"), "postback", f"{PREFIX}{PAGE}:1"),
        ],
    )


def confirmed_message(st: PickState) -> dict[str, Any]:
    at = format_datetime(st.confirmed_at) if st.confirmed_at else ""
    body = "\n".join([text("picking.already_confirmed", at=at, **_dates(st)), *_picked_lines(st)])
    return m.text(
        body,
        quick=[
            (text("picking.nav.reopen"), "postback", f"{PREFIX}{REOPEN}:{st.academic_year}"),
        ],
    )


def final_message(st: PickState) -> dict[str, Any]:
    lines = [text("picking.final_head", year=st.academic_year, **_dates(st)), *_picked_lines(st)]
    if st.confirmed_at is None and st.picked:
        lines.append(text("picking.final_unconfirmed"))
    return m.text("\n".join(lines))


# --- acting on a tap --------------------------------------------------------------------------


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


def act(ctx: Ctx, student_id: int, data: str, page: int = 1) -> View:
    """Carry out one pk: postback for this student; says what happened; returns where to go."""
    parts = data[len(PREFIX) :].split(":")
    action = parts[0]
    if action in (ADD, DEL) and len(parts) == 3:
        ref, signature = parts[1], parts[2]
        parsed = pick_candidates.parse_ref(ref)
        if parsed is None or not _verified(ctx.secret_key, student_id, action, ref, signature):
            ctx.reply(m.text(text("picking.bad_button")))
            return View(None)
        kind, item_id = parsed
        change = picking.pick if action == ADD else picking.unpick
        outcome = change(ctx.session, ctx.rules, student_id, kind, item_id, ctx.now)
        item = pick_candidates.candidate_of(ctx.session, kind, item_id)
        year = item.academic_year if item is not None and outcome.code != "not_found" else None
        _say_outcome(ctx, student_id, outcome, item if year is not None else None, year)
        return View(None)
    if action == PAGE and len(parts) == 2 and parts[1].isdigit():
        return View("browse", int(parts[1]))
    if action in ("next", "prev"):
        return View("browse", page + (1 if action == "next" else -1))
    if action == SUMMARY:
        return View("summary")
    if action in (CONFIRM, REOPEN):
        year = (
            int(parts[1])
            if len(parts) == 2 and parts[1].isdigit()
            else picking.picking_year(
                ctx.rules, ctx.now, picking.student_grade(ctx.session, student_id)
            )
        )
        if action == CONFIRM:
            return _confirm(ctx, student_id, year)
        return _reopen(ctx, student_id, year)
    ctx.reply(m.text(text("picking.bad_button")))
    return View(None)


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


# --- the flow ---------------------------------------------------------------------------------


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
