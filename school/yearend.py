"""Year end: build the zip of the year's picked items for the central database (教學組 for 課程學習
成果, 訓育組 for 多元表現) with the same checks whichever face asks; problems are listed per student
and nothing partial is ever written."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from catalogue import text
from rules.model import COURSE_OUTCOME, SchoolRules
from school import export
from storage import picking
from storage.clock import format_date
from storage.files import FileStore


class ExportBlocked(ValueError):
    """The export may not run yet (no window, or picking still open); message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def check_may_export(rules: SchoolRules, year: int, now: datetime, force: bool = False) -> None:
    window = picking.picking_window(rules, year)
    if window is None:
        raise ExportBlocked(text("picking.export.no_window", year=year))
    if picking.phase_of(window, now) != "closed" and not force:
        raise ExportBlocked(text("picking.export.window_open", year=year,
                                 end=format_date(window.last_day)))


def export_year(
    session: object,
    files: FileStore,
    rules: SchoolRules,
    kind: str,
    year: int,
    out_dir: Path,
    now: datetime,
    *,
    only_confirmed: bool = False,
    force: bool = False,
    progress: export.Progress | None = None,
) -> export.ExportResult:
    """Write the zip; raises ExportBlocked, export.NothingToExport or export.ExportRefused."""
    check_may_export(rules, year, now, force)
    write = export.export_course_outcomes if kind == COURSE_OUTCOME else export.export_performances
    return write(session, files, year, out_dir, now,  # type: ignore[arg-type]
                 only_confirmed=only_confirmed, progress=progress)


def problem_text(problem: export.Problem) -> str:
    values = dict(problem.values)
    if "slot" in values:
        values["allowed"] = text(f"picking.export.allowed.{values['slot']}")
        values["slot"] = text(f"picking.export.slot.{values['slot']}")
    return text(f"picking.export.problem.{problem.code}", ref=problem.ref or "", **values)
