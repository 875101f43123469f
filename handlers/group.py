"""Group and room chats: the bot works only one to one, so there it never binds or shows data.

Whatever a group member writes, the bot reads as said in front of the whole group: a bound
student's portfolio, a guardian code or a teacher's class list must never be answered there.
When the bot is added to a group or room it says once, in one fixed line, to talk to it
directly; everything else from a shared chat is stored and ignored. `leave` (the bot was
removed) needs nothing.
"""

from __future__ import annotations

from typing import Any

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from handlers.router import Router


def on_shared_chat(ctx: Ctx, event: dict[str, Any]) -> None:
    if event.get("type") == "join" and ctx.reply_token:
        ctx.reply(m.text(text("security.group.talk_directly")))


def register(router: Router) -> None:
    router.shared_chat = on_shared_chat
