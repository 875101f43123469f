"""名冊匯入: upload a school export, see the dry run (check your answers), then confirm.

The uploaded file waits in the storage folder under a random name between the two steps, tied to
the staff member and the kind; confirming starts a job that checks it again and writes all rows
or none, and whose page shows the progress and then the result to the person who confirmed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, redirect, request, url_for
from werkzeug.datastructures import FileStorage

from bot.console.core import (
    ROSTER_KIND_ROLES,
    bp,
    now,
    page,
    reading,
    render,
    require,
    svc,
    transaction,
    user,
)
from catalogue import text
from school import console_access as access
from school import jobs as console_jobs
from school import roster_runs
from storage.staged_uploads import FOLDER, Staged, StagedUploads

MAX_UPLOAD = 10 * 1024 * 1024
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


def _staging() -> StagedUploads:
    return StagedUploads(Path(svc().settings.storage_dir) / FOLDER)


def _kinds() -> list[str]:
    return [k for k, roles in ROSTER_KIND_ROLES.items() if user().has(*roles)]


def _page(status: int = 200, **context: object) -> Response:
    with reading() as session:
        past = roster_runs.history(session)
    return render(
        "roster.html",
        status=status,
        kinds=_kinds(),
        history=past,
        kind_name=lambda k: text(f"roster.kind.{k}"),
        **context,
    )


@bp.get("/roster")
@page("roster")
def roster_page() -> Response:
    return _page()


def stage_upload(upload: FileStorage, kind: str) -> tuple[str, Path]:
    staged = _staging().stage(
        upload.save,
        Path(upload.filename or "").suffix.lower(),
        user().staff_id,
        kind,
        upload.filename or "",
    )
    return staged.token, staged.path


def staged_upload(token: str, kind: str) -> Staged | None:
    """The staged file of this token, if this staff member staged it for this kind."""
    return _staging().find(token, user().staff_id, kind)


def unstage_upload(token: str) -> None:
    _staging().remove(token)


def start_import(job_kind: str, kind: str, token: str, **extra: Any) -> Response | None:
    """Confirm a staged file: its job's page (a double click joins the job the first started),
    or None when nothing is staged under the token for this person and kind any more."""
    params = {"kind": kind, "token": token, **extra}
    with transaction() as session:
        running = console_jobs.running(session, job_kind, params)
        if running is not None and running.staff_id == user().staff_id:
            return redirect(url_for("console.job", job_id=running.id), code=303)
        staged = staged_upload(token, kind)
        if staged is None:
            return None
        job_id = console_jobs.start(session, job_kind, params, user().staff_id, now())
    _staging().hold(staged)
    svc().queue.enqueue("jobs.console.run_console_job", job_id)
    return redirect(url_for("console.job", job_id=job_id), code=303)


@bp.post("/roster/preview")
@page("roster")
def roster_preview() -> Response:
    request.max_content_length = MAX_UPLOAD
    kind = request.form.get("kind", "")
    if kind not in ROSTER_KIND_ROLES:
        return _page(400, errors=[text("console.roster.no_kind")])
    require(user().has(*ROSTER_KIND_ROLES[kind]))  # a crafted form for another office's kind
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(400, errors=[text("console.roster.no_file")], kind=kind)
    if Path(upload.filename).suffix.lower() not in SUFFIXES:
        return _page(400, errors=[text("console.roster.bad_type")], kind=kind)
    try:
        with transaction() as session:
            access.check_rate(session, user().staff_id, "upload", now())
    except access.RateLimited as limited:
        return _page(
            429, errors=[text("console.roster.limited", minutes=limited.minutes)], kind=kind
        )
    token, path = stage_upload(upload, kind)
    with reading() as session:
        result = roster_runs.preview(session, kind, path, now())
        session.rollback()
    if not result.ok:
        unstage_upload(token)
    return render(
        "roster_preview.html",
        status=200 if result.ok else 422,
        result=result,
        kind=kind,
        token=token if result.ok else "",
        file_name=upload.filename,
        kind_label=text(f"roster.kind.{kind}"),
    )


@bp.post("/roster/confirm")
@page("roster")
def roster_confirm() -> Response:
    kind = request.form.get("kind", "")
    if kind not in ROSTER_KIND_ROLES:
        return _page(410, errors=[text("console.roster.gone")])
    require(user().has(*ROSTER_KIND_ROLES[kind]))
    started = start_import(console_jobs.IMPORT_ROSTER, kind, request.form.get("token", ""))
    if started is None:
        return _page(410, errors=[text("console.roster.gone")], kind=kind)
    return started
