"""A roster import as the offices run it: check (nothing written), then apply all or nothing,
with the row counts before and after written to the audit log. The console and the CLI both
call these; school.roster does the reading and checking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue import text
from school import console_access as access
from school import roster
from school.import_plan import ImportResult, Progress, Source
from storage.models.school import Course, Enrolment, GuardianLink, SchoolClass, Staff, Student

# The table each kind fills, counted before and after an import.
COUNTED = {
    "students": Student,
    "staff": Staff,
    "classes": SchoolClass,
    "courses": Course,
    "enrolments": Enrolment,
    "guardians": GuardianLink,
}
# The office that owns an import of each kind (and reads it in the audit log).
OWNER = {"courses": "教學組", "enrolments": "教學組"}
ACTION = "roster_import"


def office_of(kind: str) -> str:
    return OWNER.get(kind, "註冊組")


def count_rows(session: Session, kind: str) -> int:
    return int(session.scalar(select(func.count()).select_from(COUNTED[kind])) or 0)


def preview(session: Session, kind: str, source: Source, now: datetime) -> ImportResult:
    """The dry run: what the file would add, change and leave, and every error by row.

    Writes nothing; the caller rolls the session back all the same."""
    return roster.import_roster(session, kind, source, now=now, dry_run=True)


def apply(
    session: Session,
    kind: str,
    source: Source,
    now: datetime,
    staff_id: int | None,
    file_label: str = "",
    progress: Progress | None = None,
) -> ImportResult:
    """Check again and write every row, or none; a successful import is audited."""
    return audited(
        session,
        lambda: roster.import_roster(session, kind, source, now=now, progress=progress),
        lambda: count_rows(session, kind),
        staff_id,
        office_of(kind),
        ACTION,
        now,
        file_label,
    )


def audited(
    session: Session,
    run: Callable[[], ImportResult],
    count: Callable[[], int],
    staff_id: int | None,
    office: str,
    action: str,
    now: datetime,
    file_label: str,
) -> ImportResult:
    """Run an import; if it wrote its rows, audit it with the rows counted before and after
    (every import of the school's, rosters and records alike)."""
    before = count()
    result = run()
    if result.applied:
        counts = text(
            "roster.summary.counts",
            added=result.added,
            updated=result.updated,
            unchanged=result.unchanged,
        )
        detail = f"{result.kind_name} {file_label}".strip() + f"：{counts}"
        access.audit(session, staff_id, office, action, now, detail, before=before, after=count())
    return result


def history(session: Session, limit: int = 50) -> list[access.AuditRow]:
    """Every roster import, newest first, whoever's office owns it."""
    return access.audit_rows(session, {"註冊組", "教學組"}, action=ACTION, limit=limit)
