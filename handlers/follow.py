"""follow / unfollow: greet a new friend with how to bind; remember who left."""

from __future__ import annotations

from typing import Any

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from handlers.router import Router
from storage import accounts


def on_follow(ctx: Ctx, event: dict[str, Any]) -> None:
    if not ctx.line_user_id:
        return
    account = accounts.ensure(ctx.session, ctx.line_user_id, ctx.now)
    account.followed = True
    ctx.account = account
    if account.is_bound:
        ctx.reply(m.text(text("bind.welcome_back")))
    else:
        ctx.reply(m.text(text("bind.greeting")))


def on_unfollow(ctx: Ctx, event: dict[str, Any]) -> None:
    if not ctx.line_user_id:
        return
    account = accounts.ensure(ctx.session, ctx.line_user_id, ctx.now)
    account.followed = False


def register(router: Router) -> None:
    router.register("follow")(on_follow)
    router.register("unfollow")(on_unfollow)
