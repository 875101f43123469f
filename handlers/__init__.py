"""Event handlers, one module per kind of event; build_router() wires them up."""

from __future__ import annotations

from handlers import follow, group, message, postback
from handlers.router import Router


def build_router() -> Router:
    router = Router()
    for module in (follow, group, message, postback):
        module.register(router)
    return router
