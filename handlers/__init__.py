"""Event handlers, one module per kind of event; build_router() wires them up."""

from __future__ import annotations

from handlers.router import Router


def build_router() -> Router:
    from handlers import follow, group, message, postback

    router = Router()
    for module in (follow, group, message, postback):
        module.register(router)
    return router
