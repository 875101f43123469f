"""The operator's table: the rules as they will run in one academic year, in Taipei dates."""

from __future__ import annotations

import unicodedata
from typing import Any

from catalogue import text
from rules.labels import AUDIENCES, EVENT_LABELS, PRIORITY_LABELS, STATE_LABELS, WINDOW_LABELS
from rules.school_rules import SchoolRules
from storage.clock import TAIPEI, format_date


def render_rules_table(rules: SchoolRules, academic_year: int) -> str:
    """The rules as they will run in one academic year, with concrete Taipei dates."""

    def lab(key: str, **values: Any) -> str:
        return text("rules.label." + key, **values)

    def cols(*keys: str) -> list[str]:
        return [lab(f"col.{key}") for key in keys]

    year = rules.year(academic_year)
    out: list[str] = [
        lab("table.title", school=rules.school.name, code=rules.school.code, year=academic_year),
        lab("table.source", source=rules.source),
        "",
        lab("table.semesters"),
    ]
    out += _aligned(
        cols("semester", "semester_start", "closing_ceremony", "semester_end"),
        [
            [s.label, format_date(s.start), format_date(s.closing_ceremony), format_date(s.end)]
            for _, s in sorted(year.semesters.items())
        ],
    )

    out += ["", lab("table.windows")]
    window_rows: list[list[str]] = []
    for w in rules.windows:
        if w.academic_year != academic_year:
            continue
        label = WINDOW_LABELS[w.kind] + (lab("table.grade12") if w.grade12 else "")
        scope = (
            f"{academic_year}-{w.semester}"
            if w.semester
            else lab("table.year_scope", year=academic_year)
        )
        window_rows.append(
            [
                label,
                scope,
                format_date(w.first_day),
                format_date(w.last_day),
                lab("table.days", days=w.days),
            ]
        )
    out += _aligned(cols("window", "scope", "start", "end", "days"), window_rows)
    for number in sorted(year.semesters):
        escalate = rules.escalation_at(academic_year, number)
        out.append(
            lab(
                "table.escalation",
                term=f"{academic_year}-{number}",
                date=format_date(escalate),
                days=rules.escalation_days,
            )
        )

    out += ["", lab("table.limits")]

    def cap(value: int | None) -> str:
        return str(value) if value is not None else lab("table.unlimited")

    out += _aligned(
        cols("item", "uploads_per_semester", "uploads_per_year", "picks_per_year"),
        [
            [
                name,
                cap(lim.uploads_per_semester),
                cap(lim.uploads_per_year),
                cap(lim.picks_per_year),
            ]
            for name, lim in (
                (lab("table.course_outcome"), rules.limits.course_outcome),
                (lab("table.performance"), rules.limits.performance),
            )
        ],
    )
    counted = "、".join(STATE_LABELS[s] for s in sorted(rules.limits.counted_states))
    out.append(lab("table.counted", states=counted))

    out += ["", lab("table.notices")]
    cadence = rules.cert_cadence
    push = (
        lab("table.push_immediate")
        if cadence.immediate or cadence.at is None
        else lab("table.push_daily", time=f"{cadence.at:%H:%M}")
        if cadence.every_days == 1
        else lab("table.push_every_days", days=cadence.every_days, time=f"{cadence.at:%H:%M}")
    )
    approval = lab(f"table.approval.{rules.approval_notice}")
    out += [
        lab("table.notice_times", send=f"{rules.send_time:%H:%M}", push=push, approval=approval),
        lab(
            "table.quiet",
            start=f"{rules.quiet_hours.start:%H:%M}",
            end=f"{rules.quiet_hours.end:%H:%M}",
            quota=rules.monthly_quota,
            years=rules.retention_years,
            seal_days=rules.seal_without_receipt_days,
        ),
        lab(
            "table.events",
            events="；".join(
                lab(
                    "table.event_deadline",
                    event=EVENT_LABELS[kind],
                    date=format_date(rules.event_deadline(kind, academic_year)),
                )
                for kind in rules.required_events
            ),
        ),
    ]

    out += ["", lab("table.schedule")]
    schedule_rows: list[list[str]] = []
    occurrences = sorted(
        (o for row in rules.schedule for o in rules.row_occurrences(row, academic_year)),
        key=lambda o: (o.due, rules.schedule.index(o.row)),
    )
    for o in occurrences:
        local = o.due.astimezone(TAIPEI)
        audience = "、".join(AUDIENCES[a] for a in o.row.audience)
        if o.row.grades:
            audience += lab(
                "table.grades", grades="、".join(lab(f"table.grade.{g}") for g in o.row.grades)
            )
        schedule_rows.append(
            [
                format_date(local),
                f"{local:%H:%M}",
                f"{academic_year}-{o.semester}" if o.semester else lab("table.whole_year"),
                o.row.what,
                audience,
                PRIORITY_LABELS[o.row.priority],
                o.row.when.describe(),
                o.row.id,
            ]
        )
    waiting = [row for row in rules.schedule if not rules.row_occurrences(row, academic_year)]
    for row in waiting:
        # Rows that wait for staff: the submission date, the imported 收訖明細.
        schedule_rows.append(
            [
                text("school_rules.table.waiting"),
                "",
                lab("table.whole_year"),
                row.what,
                "、".join(AUDIENCES[a] for a in row.audience),
                PRIORITY_LABELS[row.priority],
                row.when.describe(),
                row.id,
            ]
        )
    out += _aligned(
        cols("date", "time", "semester", "item", "audience", "priority", "rule", "id"),
        schedule_rows,
    )
    return "\n".join(out) + "\n"


def _width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _aligned(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        padded = [
            cell + " " * (width - _width(cell)) for cell, width in zip(cells, widths, strict=True)
        ]
        return "  ".join(padded).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]
