"""Placeholder: roster import commands are being built."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Nothing to register yet."""
