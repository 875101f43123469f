"""名冊匯入: upload a school export, see the dry run (check your answers), then confirm.

The uploaded file waits in the storage folder under a random name between the two steps, tied to
the staff member and the kind; confirming starts a job that checks it again and writes all rows
or none, and whose page shows the progress and then the result to the person who confirmed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Response, redirect, request, url_for
from sqlalchemy.orm import Session
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


@dataclass(frozen=True)
class Checked:
    """A staged upload and its check: the token is empty when the check failed (unstaged)."""

    result: Any
    kind: str
    token: str
    file_name: str


def check_upload(
    kind_roles: Mapping[str, frozenset[str]],
    page_of: Callable[..., Response],
    check: Callable[[Session, str, Path, datetime], Any],
) -> Checked | Response:
    """The upload → check step every import page shares: a kind this person may import, a file
    of a type we read, the upload rate limit; then the file is staged and checked with nothing
    written. Returns the check, or the page to answer with."""
    request.max_content_length = MAX_UPLOAD
    kind = request.form.get("kind", "")
    if kind not in kind_roles:
        return page_of(400, errors=[text("console.roster.no_kind")])
    require(user().has(*kind_roles[kind]))  # a crafted form for another office's kind
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return page_of(400, errors=[text("console.roster.no_file")], kind=kind)
    if Path(upload.filename).suffix.lower() not in SUFFIXES:
        return page_of(400, errors=[text("console.roster.bad_type")], kind=kind)
    try:
        with transaction() as session:
            access.check_rate(session, user().staff_id, "upload", now())
    except access.RateLimited as limited:
        return page_of(
            429, errors=[text("console.roster.limited", minutes=limited.minutes)], kind=kind
        )
    token, path = stage_upload(upload, kind)
    with reading() as session:
        result = check(session, kind, path, now())
        session.rollback()
    if not result.ok:
        unstage_upload(token)
    return Checked(result, kind, token if result.ok else "", upload.filename)


def preview_page(checked: Checked, confirm_url: str, back_url: str) -> Response:
    """What the check found (422 when the file cannot be imported), and the way to confirm."""
    return render(
        "import_preview.html",
        status=200 if checked.result.ok else 422,
        result=checked.result,
        kind=checked.kind,
        token=checked.token,
        file_name=checked.file_name,
        kind_label=text(f"roster.kind.{checked.kind}"),
        confirm_url=confirm_url,
        back_url=back_url,
    )


def confirm_upload(
    kind_roles: Mapping[str, frozenset[str]],
    page_of: Callable[..., Response],
    job_kind: str,
    **extra: Any,
) -> Response:
    """Confirm a checked upload into its job (the same role checks as the check step)."""
    kind = request.form.get("kind", "")
    if kind not in kind_roles:
        return page_of(410, errors=[text("console.roster.gone")])
    require(user().has(*kind_roles[kind]))
    started = start_import(job_kind, kind, request.form.get("token", ""), **extra)
    if started is None:
        return page_of(410, errors=[text("console.roster.gone")], kind=kind)
    return started


@bp.post("/roster/preview")
@page("roster")
def roster_preview() -> Response:
    checked = check_upload(ROSTER_KIND_ROLES, _page, roster_runs.preview)
    if isinstance(checked, Response):
        return checked
    return preview_page(checked, url_for("console.roster_confirm"), url_for("console.roster_page"))


@bp.post("/roster/confirm")
@page("roster")
def roster_confirm() -> Response:
    return confirm_upload(ROSTER_KIND_ROLES, _page, console_jobs.IMPORT_ROSTER)
