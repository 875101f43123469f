"""系統 (資媒組/圖書館, and the management proxy chain): backups (list with size and checksum
state, the last result, run now, verify one), health, this month's quota, dead letters with retry.
Retention (rule 九) shows its dry-run report; the daily job seals and deletes."""

from __future__ import annotations

from pathlib import Path

from flask import Response, redirect, request, url_for
from sqlalchemy import select

from bot.console.core import bp, now, page, reading, record, render, require, svc, transaction, user
from bot.console.office import SYSTEM_ROLES, office_of
from catalogue import text
from school import jobs as console_jobs
from school import system
from storage.models.lifecycle import BACKUP, LifecycleRun


def _backup_dir() -> Path | None:
    return svc().settings.backup_dir


@bp.get("/system", endpoint="system")
@page("console.system")
def system_page() -> Response:
    folder = _backup_dir()
    health = system.health(svc().db, svc().queue, svc().line)
    with reading() as session:
        backups = system.list_backups(session, folder)
        quota = system.quota(session, svc().rules, now())
        letters = system.dead_letters(session)
        retention = system.retention_plan(session, svc().rules, now())
        nightly = session.scalars(
            select(LifecycleRun)
            .where(LifecycleRun.kind == BACKUP)
            .order_by(LifecycleRun.id.desc())
            .limit(1)
        ).first()
        mine = console_jobs.for_staff(
            session, user().staff_id, (console_jobs.BACKUP, console_jobs.BACKUP_VERIFY), 5
        )
    return render(
        "office_system.html",
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
    )


@bp.post("/system")
@page("console.system_action")
def system_action() -> Response:
    action = request.form.get("action", "")
    require(action in ("backup", "verify", "retry"))
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


def _requeue(box: str, ids: list[int]) -> None:
    from jobs.queue import DELIVERY, EVENTS

    if not ids:
        return
    if box == "outbox":
        svc().queue.enqueue("jobs.delivery.deliver_due_job", queue=DELIVERY)
    else:
        svc().queue.enqueue_each("jobs.inbox.process_event", ids, queue=EVENTS)
