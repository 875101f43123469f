"""Dates as people type them: 2026-12-01, 2026/12/01, 民國 115/12/01 (one parser for every face)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

MINGUO_OFFSET = 1911

_PATTERN = re.compile(
    r"^(?:民國|民|R\.?O\.?C\.?)?\s*(?P<y>\d{2,4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?$",
    re.IGNORECASE,
)


class DateFormatError(ValueError):
    """The text is not a date; `reason` is a catalogue key's last part."""

    def __init__(self, raw: str, reason: str = "format") -> None:
        super().__init__(f"not a date: {reason}")
        self.raw = raw
        self.reason = reason


def parse_date(raw: str) -> date:
    """The date in raw. A year of three digits or fewer, or one after 民國, is a Minguo year."""
    cleaned = unicodedata.normalize("NFKC", raw).strip()
    match = _PATTERN.match(cleaned)
    if not match:
        raise DateFormatError(raw)
    year = int(match["y"])
    minguo = cleaned[:1] in ("民", "R", "r") or len(match["y"]) <= 3
    if minguo:
        year += MINGUO_OFFSET
    try:
        return date(year, int(match["m"]), int(match["d"]))
    except ValueError as exc:
        raise DateFormatError(raw, "no_such_day") from exc


def show_date(day: date) -> str:
    """How a date is shown to people: 2026/12/05."""
    return f"{day.year}/{day.month:02d}/{day.day:02d}"


def show_minguo(day: date) -> str:
    """The same date in the Minguo calendar: 民國 115/12/05."""
    return f"民國 {day.year - MINGUO_OFFSET}/{day.month:02d}/{day.day:02d}"
