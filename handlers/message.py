"""message events: text, files, photos and stickers go to the front desk."""

from __future__ import annotations

from typing import Any

from flows.context import Ctx
from flows.desk import desk
from flows.engine import input_from_event
from handlers.router import Router


def on_message(ctx: Ctx, event: dict[str, Any]) -> None:
    inp = input_from_event(event)
    if inp is not None:
        desk().handle(ctx, inp)


def register(router: Router) -> None:
    router.register("message")(on_message)
