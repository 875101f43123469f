"""Long operations started from the console (year-end exports, backups, their checks, imports)
run as queued jobs: each records its progress for a bar on the page, and its result waits for
the person who started it (a download on the page, and a LINE message when it is done)."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from catalogue import TEXTS, text
from rules.model import COURSE_OUTCOME, PERFORMANCE
from rules.school_rules import SchoolRules
from school import (
    backup,
    consultation_export,
    export,
    lifecycle,
    records_import,
    roster_runs,
    student_export,
    system,
    yearend,
)
from school.import_plan import ImportResult
from storage.clock import format_datetime
from storage.db import Database, lock_named
from storage.files import FileStore
from storage.models.console_office import DONE, FAILED, QUEUED, RUNNING, ConsoleJob
from storage.models.line import LineAccount
from storage.outbox import NORMAL, Outbox
from storage.staged_uploads import StagedUploads

log = logging.getLogger(__name__)

EXPORT_COURSE_OUTCOMES = "export_course_outcome"
EXPORT_PERFORMANCES = "export_performance"
BACKUP = "backup"
BACKUP_VERIFY = "backup_verify"
EXPORT_STUDENT = "export_student"
EXPORT_CONSULTATIONS = "export_consultations"
RETENTION = "retention"
IMPORT_ROSTER = "import_roster"
IMPORT_RECORDS = "import_records"
JOB_KINDS = (
    EXPORT_COURSE_OUTCOMES,
    EXPORT_PERFORMANCES,
    BACKUP,
    BACKUP_VERIFY,
    EXPORT_STUDENT,
    EXPORT_CONSULTATIONS,
    RETENTION,
    IMPORT_ROSTER,
    IMPORT_RECORDS,
)
# Progress is written at most this often (a row update per file would slow a big export).
PROGRESS_EVERY = timedelta(seconds=1)
# Results are kept for the person this long, then removed by the daily clean-up.
KEEP_RESULTS = timedelta(days=14)


def start(
    session: Session, kind: str, params: dict[str, Any], staff_id: int | None, now: datetime
) -> int:
    """Record a job; the face enqueues jobs.console.run_console_job with the returned id."""
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = ConsoleJob(kind=kind, params=params, staff_id=staff_id, state=QUEUED, created_at=now)
    session.add(job)
    session.flush()
    return job.id


def running(session: Session, kind: str, params: dict[str, Any]) -> ConsoleJob | None:
    """A job of this kind and params still queued or running (so a double click starts one).

    Holds the kind and params until the transaction ends: of two clicks at once, the second
    waits for the first to commit its job and then finds it."""
    lock_named(session, f"console-job:{kind}:{json.dumps(params, sort_keys=True)}")
    for job in session.scalars(
        select(ConsoleJob).where(ConsoleJob.kind == kind, ConsoleJob.state.in_((QUEUED, RUNNING)))
    ):
        if job.params == params:
            return job
    return None


def for_staff(
    session: Session, staff_id: int, kinds: tuple[str, ...] = JOB_KINDS, limit: int = 10
) -> list[ConsoleJob]:
    return list(
        session.scalars(
            select(ConsoleJob)
            .where(ConsoleJob.staff_id == staff_id, ConsoleJob.kind.in_(kinds))
            .order_by(ConsoleJob.id.desc())
            .limit(limit)
        )
    )


def owned(session: Session, job_id: int, staff_id: int) -> ConsoleJob | None:
    """The job, only for the person who started it (a result is theirs alone)."""
    job = session.get(ConsoleJob, job_id)
    return job if job is not None and job.staff_id == staff_id else None


def percent(job: ConsoleJob) -> int:
    if job.state == DONE:
        return 100
    return int(100 * job.done / job.total) if job.total else 0


Progress = Callable[[int, int], None]
# A kind whose work lives in a layer above (rule 九's daily pass is in jobs/): it takes the job's
# params and a progress callback and returns (state, message, detail).
Runner = Callable[[dict[str, Any], Progress], tuple[str, str, dict[str, Any]]]


@dataclass
class JobContext:
    """What a running job needs; built by the jobs/ layer from the process's services."""

    db: Database
    files: FileStore
    rules: SchoolRules
    now: Callable[[], datetime]
    jobs_dir: Path  # results, one folder per job
    backup_dir: Path | None
    console_url: str  # where the person finds the result, e.g. https://…/console/jobs
    runners: Mapping[str, Runner] = field(default_factory=dict)
    imports_dir: Path | None = None  # where the console stages import files for their job


def _progress(ctx: JobContext, job_id: int) -> Progress:
    last: list[datetime] = []

    def report(done: int, total: int) -> None:
        now = ctx.now()
        if last and now - last[0] < PROGRESS_EVERY and done < total:
            return
        last[:] = [now]
        with ctx.db.transaction() as session:
            session.execute(
                update(ConsoleJob).where(ConsoleJob.id == job_id).values(done=done, total=total)
            )

    return report


def run(ctx: JobContext, job_id: int) -> str:
    """Run one job to its end; never raises (the failure is the job's result). Returns state."""
    with ctx.db.transaction() as session:
        job = session.get(ConsoleJob, job_id)
        if job is None or job.state != QUEUED:
            return job.state if job else FAILED
        job.state, job.started_at = RUNNING, ctx.now()
        kind, params, starter = job.kind, dict(job.params), job.staff_id
    state, message, path, name, detail = FAILED, "", None, None, {}
    try:
        if kind in (EXPORT_COURSE_OUTCOMES, EXPORT_PERFORMANCES):
            state, message, path, name, detail = _export(ctx, job_id, kind, params)
        elif kind == BACKUP:
            state, message, detail = _backup(ctx, job_id)
        elif kind == BACKUP_VERIFY:
            state, message, detail = _verify(ctx, params)
        elif kind == EXPORT_STUDENT:
            state, message, path, name, detail = _export_student(ctx, job_id, params)
        elif kind == EXPORT_CONSULTATIONS:
            state, message, path, name, detail = _export_consultations(ctx, job_id, params)
        elif kind in (IMPORT_ROSTER, IMPORT_RECORDS):
            state, message, detail = _import(ctx, job_id, kind, params, starter)
        elif kind in ctx.runners:
            state, message, detail = ctx.runners[kind](params, _progress(ctx, job_id))
    except Exception as exc:  # the person sees that it failed; the operator has the log
        log.exception("console job %s (%s) failed", job_id, kind)
        message = text("console_office.jobs.crashed", error=type(exc).__name__)
    _finish(ctx, job_id, state, message, path, name, detail)
    return state


def _export(
    ctx: JobContext, job_id: int, kind: str, params: dict[str, Any]
) -> tuple[str, str, str | None, str | None, dict[str, Any]]:

    year = int(params["year"])
    out_dir = ctx.jobs_dir / str(job_id)
    item_kind = COURSE_OUTCOME if kind == EXPORT_COURSE_OUTCOMES else PERFORMANCE
    what = text(f"picking.kind.{item_kind}")
    try:
        with ctx.db.transaction() as session:
            result = yearend.export_year(
                session,
                ctx.files,
                ctx.rules,
                item_kind,
                year,
                out_dir,
                ctx.now(),
                only_confirmed=bool(params.get("only_confirmed")),
                force=bool(params.get("force")),
                progress=_progress(ctx, job_id),
            )
    except yearend.ExportBlocked as blocked:
        return FAILED, blocked.message, None, None, {}
    except export.NothingToExport:
        return FAILED, text("picking.export.nothing", year=year, kind=what), None, None, {}
    except export.ExportRefused as refused:
        problems = [
            {
                "student": f"{p.class_seat} {p.name}",
                "student_no": p.student_no,
                "problem": yearend.problem_text(p),
            }
            for p in refused.problems
        ]
        shutil.rmtree(out_dir, ignore_errors=True)
        return (
            FAILED,
            text(
                "console_office.jobs.export_refused",
                count=len(problems),
                students=len(refused.by_student()),
            ),
            None,
            None,
            {"problems": problems},
        )
    message = text(
        "console_office.jobs.export_done",
        kind=what,
        year=year,
        students=result.students,
        items=result.items,
        files=result.files,
    )
    detail = {"sha256": result.sha256, "unconfirmed": len(result.unconfirmed)}
    return DONE, message, str(result.path), result.path.name, detail


def _export_student(
    ctx: JobContext, job_id: int, params: dict[str, Any]
) -> tuple[str, str, str | None, str | None, dict[str, Any]]:
    """One student's whole portfolio as a zip, for the school they transfer to."""

    with ctx.db.session() as session:
        student = lifecycle.student_by_no(session, str(params.get("student_no", "")))
        if student is None:
            return (
                FAILED,
                text("lifecycle.error.no_student", no=params.get("student_no")),
                None,
                None,
                {},
            )
        result = student_export.export_student(
            session, ctx.files, student, ctx.jobs_dir / str(job_id), ctx.now(), TEXTS.get
        )
    message = text("console_office.jobs.student_done", items=result.items, files=result.files)
    if result.missing:
        message += text("console_office.jobs.student_missing", count=len(result.missing))
    return DONE, message, str(result.path), result.path.name, {"sha256": result.sha256}


def _export_consultations(
    ctx: JobContext, job_id: int, params: dict[str, Any]
) -> tuple[str, str, str | None, str | None, dict[str, Any]]:
    """The year's consultation records (諮詢紀錄) as the .xlsx the CLI writes, kept at school."""
    year = int(params["year"])
    out = ctx.jobs_dir / str(job_id) / f"consultations_{year}.xlsx"
    with ctx.db.session() as session:
        result = consultation_export.export_consultations(
            session, year, out, progress=_progress(ctx, job_id)
        )
    if result.records == 0:
        shutil.rmtree(out.parent, ignore_errors=True)
        return FAILED, text("console_office.records.export_empty", year=year), None, None, {}
    message = text(
        "console_office.records.export_done", year=year, n=result.records, rows=result.rows
    )
    return DONE, message, str(result.path), result.path.name, {"records": result.records}


def _import(
    ctx: JobContext, job_id: int, kind: str, params: dict[str, Any], staff_id: int | None
) -> tuple[str, str, dict[str, Any]]:
    """A roster or records file the starter checked and confirmed: checked again and written
    whole in one transaction, or not at all, audited as the confirm page used to do it."""
    what = str(params.get("kind", ""))
    folder = ctx.jobs_dir / str(job_id)
    staged = None
    if ctx.imports_dir is not None and staff_id is not None:
        staged = StagedUploads(ctx.imports_dir).take(
            str(params.get("token", "")), staff_id, what, folder
        )
    if staged is None:
        return FAILED, text("console.roster.gone"), {}
    try:
        with ctx.db.transaction() as session:
            if kind == IMPORT_ROSTER:
                result = roster_runs.apply(
                    session,
                    what,
                    staged.path,
                    ctx.now(),
                    staff_id,
                    staged.name,
                    progress=_progress(ctx, job_id),
                )
            else:
                result = records_import.apply(
                    session,
                    what,
                    staged.path,
                    ctx.now(),
                    staff_id,
                    staged.name,
                    office=params.get("office"),
                    progress=_progress(ctx, job_id),
                )
            if not result.applied:
                session.rollback()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _import_outcome(result, staged.name)


def _import_outcome(result: ImportResult, file_name: str) -> tuple[str, str, dict[str, Any]]:
    """What the job page shows: the counts and changes, or every error by row."""
    detail: dict[str, Any] = {"kind": result.kind, "file": file_name}
    if not result.applied:
        lines = result.error_lines()
        detail["errors"] = lines
        message = text(
            "console_office.jobs.import_failed",
            kind=result.kind_name,
            file=file_name,
            count=len(lines) - 1,
        )
        return FAILED, message, {"import": detail}
    detail.update(
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        changes=result.changes[:200],
        notes=result.notes,
    )
    counts = text(
        "roster.summary.counts",
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    message = text(
        "console_office.jobs.import_done", kind=result.kind_name, file=file_name, counts=counts
    )
    return DONE, message, {"import": detail}


def _backup(ctx: JobContext, job_id: int) -> tuple[str, str, dict[str, Any]]:

    if ctx.backup_dir is None:
        return FAILED, text("console_office.system.no_backup_dir"), {}
    report = _progress(ctx, job_id)
    report(0, 1)
    try:
        result = backup.create_backup(ctx.db, ctx.files, ctx.backup_dir, ctx.now())
    except backup.BackupError as exc:
        return FAILED, text("console_office.system.backup_failed", error=str(exc)[:300]), {}
    detail = {
        "name": result.path.name,
        "files": result.files,
        "bytes": result.bytes,
        "missing": len(result.missing),
    }
    return (
        DONE,
        text(
            "console_office.system.backup_done",
            name=result.path.name,
            files=result.files,
            missing=len(result.missing),
        ),
        detail,
    )


def _verify(ctx: JobContext, params: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:

    check = system.verify(ctx.backup_dir, str(params.get("name", "")))
    detail = {
        "name": params.get("name"),
        "ok": check.ok,
        "checked": check.checked,
        "problems": check.problems[:50],
    }
    if check.ok:
        return (
            DONE,
            text("console_office.system.verify_ok", name=params.get("name"), checked=check.checked),
            detail,
        )
    return (
        FAILED,
        text(
            "console_office.system.verify_failed",
            name=params.get("name"),
            count=len(check.problems),
        ),
        detail,
    )


def _finish(
    ctx: JobContext,
    job_id: int,
    state: str,
    message: str,
    path: str | None,
    name: str | None,
    detail: dict[str, Any],
) -> None:
    now = ctx.now()
    with ctx.db.transaction() as session:
        job = session.get(ConsoleJob, job_id)
        if job is None:
            return
        job.state, job.message, job.finished_at = state, message, now
        job.result_path, job.result_name, job.detail = path, name, detail
        if state == DONE:
            job.done = job.total = max(job.total, 1)
        if job.staff_id is None:
            return
        body = text(
            "console_office.jobs.notice",
            what=text(f"console_office.jobs.kind.{job.kind}"),
            at=format_datetime(now),
            message=message,
            url=f"{ctx.console_url.rstrip('/')}/{job.id}",
        )
        outbox = Outbox(session, now)
        not_before = ctx.rules.next_send_time(now) if ctx.rules.is_quiet(now) else None
        for user in session.scalars(
            select(LineAccount.line_user_id).where(
                LineAccount.staff_id == job.staff_id, LineAccount.bound_at.is_not(None)
            )
        ):
            outbox.push(
                user,
                [{"type": "text", "text": body[:4900]}],
                purpose="console_job",
                priority=NORMAL,
                not_before=not_before,
            )
