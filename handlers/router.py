"""Routes a stored webhook event to the handler for its (event type, content type)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flows.context import Ctx

log = logging.getLogger(__name__)

Handler = Callable[[Ctx, dict[str, Any]], None]
WILDCARD = "*"


class DuplicateHandler(ValueError):
    pass


def one_to_one(event: dict[str, Any]) -> bool:
    """Whether the event comes from a person's one-to-one chat with the bot."""
    source = event.get("source")
    return isinstance(source, dict) and source.get("type") == "user"


class Router:
    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str], Handler] = {}
        # Events from group and room chats go here and nowhere else (see handlers/group.py).
        self.shared_chat: Handler | None = None

    def register(
        self, event_type: str, content_type: str = WILDCARD
    ) -> Callable[[Handler], Handler]:
        def decorate(func: Handler) -> Handler:
            key = (event_type, content_type)
            if key in self._handlers:
                raise DuplicateHandler(f"a handler for {key} is already registered")
            self._handlers[key] = func
            return func

        return decorate

    def lookup(self, event: dict[str, Any]) -> Handler | None:
        event_type = str(event.get("type") or "")
        content = ""
        if event_type == "message":
            message = event.get("message") or {}
            content = str(message.get("type") or "") if isinstance(message, dict) else ""
        return self._handlers.get((event_type, content)) or self._handlers.get(
            (event_type, WILDCARD)
        )

    def dispatch(self, ctx: Ctx, event: dict[str, Any]) -> bool:
        """Run the event's handler; an unknown type is logged and ignored, never an error."""
        if not one_to_one(event):
            if self.shared_chat is not None:
                self.shared_chat(ctx, event)
            return self.shared_chat is not None
        handler = self.lookup(event)
        if handler is None:
            log.info("no handler for event type=%s; stored and ignored", event.get("type"))
            return False
        handler(ctx, event)
        return True
