"""Reading the 附表二 schedule part of a rules file: each row's id, audience, text key, flow,
time and its `when` (an anchor with an offset, or fixed dates).
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Final

from rules.labels import ANCHOR_LABELS, AUDIENCES
from rules.model import (
    PRIORITIES,
    WINDOW_KINDS,
    QuietHours,
    ScheduleRow,
    When,
)
from rules.toml_tables import TableReader

_ID_RE: Final = re.compile(r"^[a-z][a-z0-9_]*$")
_TEXT_KEY_RE: Final = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


_ANCHOR_RE: Final = re.compile(
    r"^(?P<anchor>[a-z_]+\.[a-z_]+)\s*(?:(?P<sign>[+-])\s*(?P<days>\d+)\s*d)?$"
)
_DATES_RE: Final = re.compile(r"^on\s+(\d{2}-\d{2}(?:\s*,\s*\d{2}-\d{2})*)$")


def _read_row(reader: TableReader, send_time: time, quiet: QuietHours) -> ScheduleRow:
    row_id = reader.get_str("id")
    if not _ID_RE.match(row_id):
        raise reader.error("id", f"row id {row_id!r} must be lower-case letters, digits and _")
    what = reader.get_str("what")
    audience = reader.get_strs("audience")
    for who in audience:
        if who not in AUDIENCES:
            raise reader.error(
                "audience",
                f"row {row_id!r}: unknown audience {who!r}; known: {', '.join(AUDIENCES)}",
            )
    when_text = reader.get_str("when")
    when = _parse_when(when_text)
    if when is None:
        raise reader.error(
            "when",
            f'row {row_id!r}: cannot read when = {when_text!r}; expected e.g. "upload.end - 7d", '
            f'"semester.start + 3d", "picking.start" or "on 10-01, 04-01"',
        )
    priority = reader.get_str("priority", "normal", choices=PRIORITIES)
    text_key = reader.get_str("text")
    if not _TEXT_KEY_RE.match(text_key):
        raise reader.error("text", f"row {row_id!r}: {text_key!r} is not a catalogue key")
    flow = reader.get_str("flow", None)
    if flow is not None and not _ID_RE.match(flow):
        raise reader.error("flow", f"row {row_id!r}: {flow!r} is not a flow name")
    at = reader.get_time("at", send_time)
    if quiet.contains(at):
        raise reader.error("at", f"row {row_id!r}: {at:%H:%M} falls in the quiet hours")
    grades = reader.get_ints("grades", (10, 11, 12))
    semesters = reader.get_ints("semesters", (1, 2))
    if semesters and when.scope == "year":
        raise reader.error(
            "semesters", f"row {row_id!r}: semesters filters semester rows; {when_text!r} is yearly"
        )
    reader.finish()
    return ScheduleRow(
        id=row_id,
        what=what,
        audience=audience,
        when=when,
        priority=priority,
        text_key=text_key,
        flow=flow,
        at=at,
        grades=grades,
        semesters=semesters,
    )


def _parse_when(text: str) -> When | None:
    text = text.strip()
    dates = _DATES_RE.match(text)
    if dates:
        month_days: list[tuple[int, int]] = []
        for part in dates[1].split(","):
            month, day = (int(p) for p in part.strip().split("-"))
            try:
                date(2001, month, day)  # a common year: 02-29 would skip three years in four
            except ValueError:
                return None
            month_days.append((month, day))
        return When("dates", 0, tuple(month_days))
    match = _ANCHOR_RE.match(text)
    if not match:
        return None
    anchor = match["anchor"]
    head, edge = anchor.split(".")
    valid = anchor in ANCHOR_LABELS or (head in WINDOW_KINDS and edge in ("start", "end"))
    if not valid:
        return None
    days = int(match["days"] or 0)
    return When(anchor, -days if match["sign"] == "-" else days)
