"""Next 學年度's calendar adopted in the console: stored as its [[years]] block and read together
with the rules file, so every part of the app that uses the effective rules sees the new year."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.model import RulesError
from rules.reader import parse_rules
from rules.school_rules import SchoolRules
from storage.models.schedule import AdoptedYear

log = logging.getLogger(__name__)

_cache: dict[tuple[int, tuple[tuple[int, str], ...]], tuple[SchoolRules, SchoolRules]] = {}
_CACHE_SIZE = 8


class AdoptionRefused(ValueError):
    """A year that cannot be adopted; reason is a catalogue key's last part."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


def adopted(session: Session) -> list[AdoptedYear]:
    return list(session.scalars(select(AdoptedYear).order_by(AdoptedYear.academic_year)))


def with_adopted_years(session: Session, base: SchoolRules) -> SchoolRules:
    """The rules file and the years adopted since; a year the file itself now has is the file's.
    The same rules object comes back while nothing changed, so callers may cache on it."""
    blocks = tuple(
        (row.academic_year, row.toml)
        for row in adopted(session)
        if row.academic_year not in base.years
    )
    if not blocks:
        return base
    key = (id(base), blocks)
    cached = _cache.get(key)
    # The base is kept in the value so its id cannot be reused by another object meanwhile.
    if cached is not None and cached[0] is base:
        return cached[1]
    text = base.text + "".join(f"\n{block}" for _, block in blocks)
    try:
        rules = parse_rules(text, base.source, windows=base.window_settings)
    except RulesError as exc:  # the file changed under an adopted year: the file wins
        log.error("an adopted calendar no longer fits the rules file: %s", exc.reason)
        return base
    if len(_cache) >= _CACHE_SIZE:
        _cache.clear()
    _cache[key] = (base, rules)
    return rules


@dataclass(frozen=True)
class DraftWindow:
    kind: str
    semester: int | None
    grade12: bool
    first: date
    last: date


def draft_windows(rules: SchoolRules, academic_year: int, toml: str) -> list[DraftWindow]:
    """The windows the rules derive for a drafted year (it must pass the rules' checks)."""
    drafted = parse_rules(without_year(rules.text, academic_year) + "\n" + toml, rules.source)
    return [
        DraftWindow(w.kind, w.semester, w.grade12, w.first_day, w.last_day)
        for w in drafted.windows
        if w.academic_year == academic_year
    ]


def adopt(
    session: Session,
    effective: SchoolRules,
    file_years: frozenset[int],
    academic_year: int,
    toml: str,
    now: datetime,
    by: str,
) -> AdoptedYear:
    """Store a year's calendar after the same checks as the rules file; adopting it again
    replaces it. A year the rules file has stays the file's (IT changes it there)."""
    if academic_year in file_years:
        raise AdoptionRefused("in_file", year=academic_year)
    try:
        draft_windows(effective, academic_year, toml)
    except RulesError as exc:
        raise AdoptionRefused("refused", reason=exc.reason) from None
    row = session.scalars(
        select(AdoptedYear).where(AdoptedYear.academic_year == academic_year)
    ).first()
    if row is None:
        row = AdoptedYear(academic_year=academic_year, toml=toml, adopted_at=now, adopted_by=by)
        session.add(row)
    else:
        row.toml, row.adopted_at, row.adopted_by = toml, now, by
    session.flush()
    return row


def without_year(rules_text: str, year: int) -> str:
    """The rules text with any [[years]] block of `year` left out (a provisional one)."""
    out: list[str] = []
    skipping = False
    block: list[str] = []
    for line in rules_text.splitlines():
        stripped = line.strip()
        if stripped == "[[years]]" or (
            stripped.startswith("[")
            and not stripped.startswith("[[years.")
            and not stripped.startswith("[years.")
        ):
            out.extend([] if skipping else block)
            block, skipping = [], False
            if stripped == "[[years]]":
                block = [line]
                continue
            out.append(line)
            continue
        if block:
            block.append(line)
            if stripped.replace(" ", "") == f"academic_year={year}":
                skipping = True
        else:
            out.append(line)
    out.extend([] if skipping else block)
    return "\n".join(out)
