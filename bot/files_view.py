"""Placeholder: signed, expiring file links are served here once uploads land."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("files_view", __name__)
