"""Placeholder: this flow module registers nothing yet."""

from __future__ import annotations

from flows.frontdesk import FrontDesk


def register(desk: FrontDesk) -> None:
    """Nothing to register yet."""
