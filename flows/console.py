"""後台: a bound staff member asks for a sign-in link to the web console (a button, not a URL)."""

from __future__ import annotations

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import Input
from flows.frontdesk import FrontDesk
from school import console_access as access
from storage.identity import CONSULTANT, CONVENER, HOMEROOM, STAFF, TEACHER, Identity

STAFF_PEOPLE = (TEACHER, HOMEROOM, CONSULTANT, CONVENER, STAFF)


def on_console(ctx: Ctx, ident: Identity, inp: Input) -> None:
    if ident.staff is None or ctx.account is None:
        ctx.reply(m.text(text("console.chat.no_role")))
        return
    roles, _ = access.console_roles(ctx.session, ident.staff.id)
    if not roles:
        ctx.reply(m.text(text("console.chat.no_role")))
        return
    try:
        url = access.issue_link(
            ctx.session,
            ident.staff.id,
            ctx.now,
            ctx.public_base_url,
            line_account_id=ctx.account.id,
        )
    except access.RateLimited as limited:
        ctx.reply(m.text(text("console.chat.limited", minutes=limited.minutes)))
        return
    ctx.reply(
        m.buttons(
            text("console.chat.alt"),
            text("console.chat.link"),
            [m.uri_action(text("console.chat.button"), url)],
        )
    )


def register(desk: FrontDesk) -> None:
    desk.command("console", ("後台",), STAFF_PEOPLE)(on_console)
