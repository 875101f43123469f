"""Roster import: the six roster kinds (students, staff, classes, courses, enrolments, guardians),
each planned row by row on the import engine and applied all or nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from school.import_plan import (
    ImportContext,
    ImportResult,
    Progress,
    RosterKind,
    Source,
    run_import,
)
from school.roster_people import GUARDIANS, STAFF, STUDENTS
from school.roster_teaching import CLASSES, COURSES, ENROLMENTS

KINDS: dict[str, RosterKind] = {
    kind.name: kind for kind in (STUDENTS, STAFF, CLASSES, COURSES, ENROLMENTS, GUARDIANS)
}


def import_roster(
    session: Session,
    kind: str,
    source: Source,
    *,
    now: datetime,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Check every row of the file; only if all are good (and not a dry run) write them.

    The caller owns the transaction. Nothing is added to the session unless the whole file
    passed and dry_run is false.
    """
    return run_import(
        session, KINDS[kind], source, ImportContext, now=now, dry_run=dry_run, progress=progress
    )
