"""Windows the working group set: their log, and the rules file with them applied."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.model import WindowSetting
from rules.school_rules import SchoolRules
from school.calendar_adoption import with_adopted_years
from storage.models.schedule import WindowChange


def window_settings(session: Session) -> list[WindowSetting]:
    rows = session.scalars(select(WindowChange).order_by(WindowChange.id))
    return [
        WindowSetting(r.kind, r.academic_year, r.semester, r.first_day, r.last_day) for r in rows
    ]


def window_changes(session: Session, academic_year: int | None = None) -> list[WindowChange]:
    query = select(WindowChange).order_by(WindowChange.id)
    if academic_year is not None:
        query = query.where(WindowChange.academic_year == academic_year)
    return list(session.scalars(query))


_effective: dict[tuple[int, tuple[WindowSetting, ...]], tuple[SchoolRules, SchoolRules]] = {}
_EFFECTIVE_CACHE_SIZE = 8


def effective_rules(session: Session, base: SchoolRules) -> SchoolRules:
    """The rules file plus the years adopted in the console and every window the working group
    set since (`portfolio windows set`)."""
    base = with_adopted_years(session, base)
    settings = tuple(window_settings(session))
    if not settings:
        return base
    key = (id(base), settings)
    cached = _effective.get(key)
    # The base is kept in the value so its id cannot be reused by another object meanwhile.
    if cached is not None and cached[0] is base:
        return cached[1]
    rules = base.with_windows(settings)
    if len(_effective) >= _EFFECTIVE_CACHE_SIZE:
        _effective.clear()
    _effective[key] = (base, rules)
    return rules


def record_window_change(
    session: Session,
    *,
    kind: str,
    academic_year: int,
    semester: int | None,
    first_day: date,
    last_day: date,
    previous: tuple[date, date],
    now: datetime,
    changed_by: str = "",
) -> WindowChange:
    change = WindowChange(
        kind=kind,
        academic_year=academic_year,
        semester=semester,
        first_day=first_day,
        last_day=last_day,
        previous_first_day=previous[0],
        previous_last_day=previous[1],
        changed_at=now,
        changed_by=changed_by,
    )
    session.add(change)
    session.flush()
    return change
