"""Time for the whole product: aware UTC inside, Asia/Taipei at the edge, settable in tests."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")
UTC = UTC
MINGUO_OFFSET = 1911


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to; tests drive time with it instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        with self._lock:
            self._now = when.astimezone(UTC)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        step = delta if delta is not None else timedelta(**kwargs)
        with self._lock:
            self._now = self._now + step
            return self._now


def taipei(when: datetime) -> datetime:
    """The same instant in Asia/Taipei, for showing to people."""
    return when.astimezone(TAIPEI)


def taipei_date(when: datetime) -> date:
    return when.astimezone(TAIPEI).date()


def at_taipei(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Taipei as an aware UTC instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TAIPEI).astimezone(UTC)


def minguo_year(gregorian_year: int) -> int:
    return gregorian_year - MINGUO_OFFSET


def academic_year_of(day: date) -> int:
    """學年度 (Minguo) that a date belongs to; the year starts on 1 August."""
    start_year = day.year if day.month >= 8 else day.year - 1
    return minguo_year(start_year)


def format_date(day: date | datetime) -> str:
    """A date as people in Taiwan read it on a phone: 2027/1/31."""
    if isinstance(day, datetime):
        day = taipei_date(day)
    return f"{day.year}/{day.month}/{day.day}"


def format_short_date(day: date | datetime) -> str:
    """Month/day only, e.g. 1/31, for deadlines inside the current year."""
    if isinstance(day, datetime):
        day = taipei_date(day)
    return f"{day.month}/{day.day}"


def format_datetime(when: datetime) -> str:
    local = taipei(when)
    return f"{local.year}/{local.month}/{local.day} {local.hour:02d}:{local.minute:02d}"
