"""Tables for lifecycle (filled in by its feature)."""

from __future__ import annotations
