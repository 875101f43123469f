"""Placeholder: these staff commands are not built yet."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Nothing to register yet."""
