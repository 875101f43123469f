"""Binding a LINE account to a person, help, the account card, and unbinding."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import END, Flow, Input, step
from flows.frontdesk import FrontDesk
from flows.store import Conversation
from storage import binding
from storage.clock import format_datetime
from storage.identity import (
    CONSULTANT,
    CONVENER,
    GUARDIAN,
    HOMEROOM,
    STAFF,
    STUDENT,
    TEACHER,
    Identity,
    identify,
)
from storage.models.line import LineAccount
from storage.models.school import StaffRole

UNBIND_YES = "確定解除"
# Who hears that binding codes are being guessed school-wide.
IT_ROLES = ("資媒組長", "資媒組")
ALL_ROLES = (STUDENT, GUARDIAN, TEACHER, HOMEROOM, CONSULTANT, CONVENER, STAFF)


def describe(ident: Identity) -> str:
    """Name and role, as the bot says them back: 王小明（101 班 5 號，學生）."""
    parts = []
    if ident.student is not None:
        s = ident.student
        where = text(
            "who.student_where",
            cls=s.school_class.code if s.school_class else "—",
            seat=s.seat_no or "—",
        )
        parts.append(text("who.student", name=s.name, where=where))
    if ident.staff is not None:
        roles = "、".join(sorted(ident.staff.role_names)) or text("who.teacher_default")
        parts.append(text("who.staff", name=ident.staff.name, roles=roles))
    if ident.guardian is not None:
        children = "、".join(c.name for c in ident.children)
        parts.append(text("who.guardian", children=children))
    return "；".join(parts)


def on_unbound(ctx: Ctx, inp: Input) -> None:
    assert ctx.account is not None
    if inp.kind != "text" or not binding.looks_like_code(inp.word):
        ctx.reply(m.text(text("bind.how_to")))
        return
    result = binding.redeem(
        ctx.session, ctx.account, inp.word, ctx.now, school_limit=ctx.bind_tries_per_hour
    )
    if result.alarm:
        _alert_it_staff(ctx)
    if not result.ok:
        _refuse(ctx, result)
        return
    _bound(ctx, result)


def _alert_it_staff(ctx: Ctx) -> None:
    """Tell 資媒組 that binding codes are being guessed school-wide (no names, no ids)."""

    people = ctx.session.scalars(
        select(LineAccount.line_user_id)
        .join(StaffRole, StaffRole.staff_id == LineAccount.staff_id)
        .where(StaffRole.role.in_(IT_ROLES), LineAccount.followed.is_(True))
        .distinct()
    ).all()
    for line_user_id in people:
        ctx.push(
            line_user_id,
            [m.text(text("security.bind.flood_alert", count=ctx.bind_tries_per_hour))],
            purpose="bind_flood",
            priority="urgent",
        )


def on_code_when_bound(ctx: Ctx, ident: Identity, inp: Input) -> bool:
    """A bound user sending a code: a parent adding a child, or a new code for the same person.

    Only something made of the codes' own characters counts: a bound student writing an
    eight-letter word ("homework") is answered as usual and spends no try.
    """
    if binding.normalise(inp.word) is None:
        return False
    on_unbound(ctx, inp)
    return True


def _refuse(ctx: Ctx, result: binding.Redeemed) -> None:
    if result.reason == "locked":
        until = result.locked_until or ctx.now
        ctx.reply(m.text(text("bind.locked", until=format_datetime(until))))
    elif result.reason == "expired":
        ctx.reply(m.text(text("bind.expired")))
    elif result.reason == "used":
        ctx.reply(m.text(text("bind.used")))
    elif result.reason == "other_person":
        ctx.reply(m.text(text("bind.other_person")))
    elif result.reason == "busy":
        ctx.reply(m.text(text("security.bind.busy")))
    else:
        ctx.reply(m.text(text("bind.wrong", left=result.tries_left or 0)))


def _bound(ctx: Ctx, result: binding.Redeemed) -> None:
    assert ctx.account is not None and ctx.line_user_id
    ident = identify(ctx.session, ctx.account)
    assert ident is not None
    if result.role == binding.GUARDIAN and result.child is not None:
        ctx.reply(m.text(text("bind.ok_guardian", child=result.child.name, who=describe(ident))))
    else:
        ctx.reply(m.text(text("bind.ok", who=describe(ident))))
    ctx.reply(m.text(text(f"help.{ident.menu}")))
    ctx.outbox.link_menu(ctx.line_user_id, ident.menu)
    if result.replaced_line_user_id:
        ctx.push(
            result.replaced_line_user_id,
            [m.text(text("bind.replaced_elsewhere"))],
            purpose="bind_replaced",
            priority="urgent",
        )
        ctx.outbox.link_menu(result.replaced_line_user_id, None)


def on_help(ctx: Ctx, ident: Identity, inp: Input) -> None:
    ctx.reply(m.text(text(f"help.{ident.menu}")))


def on_account(ctx: Ctx, ident: Identity, inp: Input) -> None:
    ctx.reply(
        m.text(
            text("account.card", who=describe(ident)),
            quick=[("解除綁定", "解除綁定"), ("說明", "說明")],
        )
    )


def on_unbind(ctx: Ctx, ident: Identity, inp: Input) -> None:
    ctx.start_flow("unbind")


def _unbind_begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    return "confirm"


def _unbind_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    return [m.text(text("unbind.confirm"), quick=[(UNBIND_YES, UNBIND_YES), ("取消", "取消")])]


def _unbind_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    assert ctx.account is not None and ctx.line_user_id
    if inp.word != UNBIND_YES:
        ctx.reply(m.text(text("unbind.kept")))
        return END
    binding.unbind(ctx.session, ctx.account)
    ctx.outbox.link_menu(ctx.line_user_id, None)
    ctx.reply(m.text(text("unbind.done")))
    return END


UNBIND = Flow(
    name="unbind",
    steps={"confirm": step("text", _unbind_run, _unbind_prompt)},
    begin=_unbind_begin,
)


def register(desk: FrontDesk) -> None:
    desk.unbound = on_unbound
    desk.text_fallbacks.append(on_code_when_bound)
    desk.command("help", ("說明", "幫助", "選單"), ALL_ROLES)(on_help)
    desk.command("account", ("帳號", "綁定", "我的帳號"), ALL_ROLES)(on_account)
    desk.command("unbind", ("解除綁定",), ALL_ROLES)(on_unbind)
    desk.add_flow(UNBIND)
