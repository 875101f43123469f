"""`portfolio retention run [--dry-run]`: rule 九, deleting what the school need no longer keep,
after showing the plan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from bot.lifecycle_cli import DRY_RUN, MAX_LISTED, _deliver, _say, _services, _size
from catalogue import text
from jobs import lifecycle as job
from school import deletion, sealing, windows
from storage.clock import format_date, taipei_date

retention_cli = AppGroup("retention", help=text("cli.lifecycle.retention.help"))


@retention_cli.command("run", help=text("cli.lifecycle.retention_run.help"))
@DRY_RUN
def retention_run(dry_run: bool) -> None:
    """Run the daily sealing and deletion now."""
    svc = _services()
    now = svc.clock.now()
    if dry_run:
        with svc.db.session() as session:
            _show_plan(session, svc, now)
        _say("dry_run")
        return
    outcome = job.retention_pass(svc, now)
    if outcome.sealed:
        _say("sealed_list", count=len(outcome.sealed))
        for sealed in outcome.sealed[:MAX_LISTED]:
            _say(
                "sealed_line",
                no=sealed.student_no,
                name=sealed.name,
                withdrawn=sealed.withdrawn,
                farewells=len(sealed.farewells),
            )
    if outcome.deleted:
        _say("deleted_list", count=len(outcome.deleted))
        for report in outcome.deleted[:MAX_LISTED]:
            _deleted_line(report)
    if not outcome.sealed and not outcome.deleted:
        _say("nothing_due")
    for student_id in outcome.failed:
        _say("failed_line", id=student_id)
    if outcome.report is not None:
        _say("report", path=outcome.report)
    _deliver(svc, False)
    if outcome.failed:
        raise click.exceptions.Exit(1)


def _deleted_line(report: Any) -> None:
    """One graduate's deletion, done or planned (a report and a plan name the same things)."""
    _say(
        "deleted_line",
        no=report.student_no,
        graduated=format_date(report.graduated_on),
        end=format_date(report.retention_end),
        rows=_rows(report.rows),
        files=report.files,
        size=_size(report.bytes),
    )


def _rows(rows: dict[str, int]) -> str:
    return "、".join(f"{k} {v}" for k, v in sorted(rows.items()))


def _show_plan(session: Session, svc: Any, now: datetime) -> None:
    to_seal = sealing.due_for_sealing(session, now, windows.effective_rules(session, svc.rules))
    if to_seal:
        _say("would_seal", count=len(to_seal))
        for s in to_seal[:MAX_LISTED]:
            _say(
                "would_seal_line",
                no=s.student_no,
                name=s.name,
                day=format_date(s.graduated_on or taipei_date(now)),
            )
    to_delete = deletion.due_for_deletion(session, svc.rules, now)
    if to_delete:
        _say("would_delete", count=len(to_delete))
        for s in to_delete[:MAX_LISTED]:
            _deleted_line(deletion.deletion_plan(session, svc.rules, s))
    if not to_seal and not to_delete:
        _say("nothing_due")
    due_ids = {s.id for s in to_delete}
    later = [s for s in sealing.sealed_students(session) if s.id not in due_ids]
    if later:
        first = min(svc.rules.retention_end(s.graduated_on) for s in later if s.graduated_on)
        _say("kept_until", count=len(later), day=format_date(first))


def register(app: Flask) -> None:
    app.cli.add_command(retention_cli)
