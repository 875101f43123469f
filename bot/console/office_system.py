"""系統 (資媒組/圖書館, and the management proxy chain): backups (list with size and checksum
state, the last result, run now, verify one), health, this month's quota, dead letters with retry.
Retention (rule 九): the dry-run report, then "run" for the very plan shown (a job; the daily job
does the same each day)."""

from __future__ import annotations

from pathlib import Path

from flask import Response, redirect, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.console.core import bp, now, page, reading, record, render, require, svc, transaction, user
from bot.console.office import SYSTEM_ROLES, office_of
from catalogue import text
from jobs.queue import DELIVERY, EVENTS
from school import jobs as console_jobs
from school import system, windows
from storage.models.lifecycle import BACKUP, LifecycleRun


def _backup_dir() -> Path | None:
    return svc().settings.backup_dir


def _retention_plan(session: Session) -> system.RetentionPlan:
    # The daily pass seals with the windows staff set since the rules file (picking may run on).
    return system.retention_plan(session, windows.effective_rules(session, svc().rules), now())


@bp.get("/system", endpoint="system")
@page("console.system")
def system_page() -> Response:
    return _system_page()


def _system_page(status: int = 200, **extra: object) -> Response:
    folder = _backup_dir()
    health = system.health(svc().db, svc().queue, svc().line)
    with reading() as session:
        backups = system.list_backups(session, folder)
        quota = system.quota(session, svc().rules, now())
        letters = system.dead_letters(session)
        retention = _retention_plan(session)
        nightly = session.scalars(
            select(LifecycleRun)
            .where(LifecycleRun.kind == BACKUP)
            .order_by(LifecycleRun.id.desc())
            .limit(1)
        ).first()
        mine = console_jobs.for_staff(
            session,
            user().staff_id,
            (console_jobs.BACKUP, console_jobs.BACKUP_VERIFY, console_jobs.RETENTION),
            5,
        )
    return render(
        "office_system.html",
        status=status,
        folder=folder,
        health=health,
        backups=backups,
        quota=quota,
        letters=letters,
        retention=retention,
        nightly=nightly,
        jobs=mine,
        percent=console_jobs.percent,
        done=request.args.get("done"),
        kind_label=lambda k: text(f"console_office.jobs.kind.{k}"),
        **extra,
    )


@bp.post("/system")
@page("console.system_action")
def system_action() -> Response:
    action = request.form.get("action", "")
    require(action in ("backup", "verify", "retry", "retention"))
    office = office_of(SYSTEM_ROLES)
    if action == "retry":
        box = request.form.get("box", "")
        require(box in ("inbox", "outbox"))
        ids = [int(x) for x in request.form.getlist("id") if x.isdigit()]
        with transaction() as session:
            revived = system.retry_dead(session, box, ids, now())
            record(session, office, "dead_retry", box, after=len(revived))
        _requeue(box, revived)
        return redirect(url_for("console.system", done="retry"), code=303)
    if action == "retention":
        return _run_retention(office)
    if action == "backup":
        kind, params = console_jobs.BACKUP, {}
    else:
        name = request.form.get("name", "")
        require(system.backup_path(_backup_dir(), name) is not None)
        kind, params = console_jobs.BACKUP_VERIFY, {"name": name}
    with transaction() as session:
        running = console_jobs.running(session, kind, params)
        if running is not None:
            return redirect(url_for("console.job", job_id=running.id), code=303)
        job_id = console_jobs.start(session, kind, params, user().staff_id, now())
        record(session, office, kind, params.get("name", ""))
    svc().queue.enqueue("jobs.console.run_console_job", job_id)
    return redirect(url_for("console.job", job_id=job_id), code=303)


def _run_retention(office: str) -> Response:
    """Run the plan the page showed: if it changed meanwhile, show the new one instead."""
    with transaction() as session:
        running = console_jobs.running(session, console_jobs.RETENTION, {})
        if running is not None:
            return redirect(url_for("console.job", job_id=running.id), code=303)
        plan = _retention_plan(session)
        stale = not plan.due or request.form.get("plan") != plan.fingerprint
        if not stale:
            job_id = console_jobs.start(session, console_jobs.RETENTION, {}, user().staff_id, now())
            record(
                session,
                office,
                "retention_run",
                text(
                    "console_office.retention.audit",
                    sealed=len(plan.to_seal),
                    deleted=len(plan.to_delete),
                ),
                after=len(plan.to_seal) + len(plan.to_delete),
            )
    if stale:
        return _system_page(409, retention_error=text("console_office.retention.plan_changed"))
    svc().queue.enqueue("jobs.console.run_console_job", job_id)
    return redirect(url_for("console.job", job_id=job_id), code=303)


def _requeue(box: str, ids: list[int]) -> None:

    if not ids:
        return
    if box == "outbox":
        svc().queue.enqueue("jobs.delivery.deliver_due_job", queue=DELIVERY)
    else:
        svc().queue.enqueue_each("jobs.inbox.process_event", ids, queue=EVENTS)
