"""Placeholder tick part: nothing is due from here yet."""

from __future__ import annotations

from bot.services import Services


def run(svc: Services) -> dict[str, int]:
    return {}
