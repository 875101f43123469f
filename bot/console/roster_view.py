"""名冊匯入: upload a school export, see the dry run (check your answers), then confirm.

The uploaded file waits in the instance folder under a random name between the two steps, tied to
the staff member and the kind; confirming checks it again and writes all rows or none.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

from flask import Response, request
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
from school import roster_runs

MAX_UPLOAD = 10 * 1024 * 1024
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
STAGED_FOR_SECONDS = 3600
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def _staging() -> Path:
    folder = Path(svc().settings.storage_dir) / "console-imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


def _sweep(folder: Path) -> None:
    cutoff = time.time() - STAGED_FOR_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def stage_upload(upload: FileStorage, kind: str) -> tuple[str, Path]:
    folder = _staging()
    _sweep(folder)
    suffix = Path(upload.filename or "").suffix.lower()
    token = secrets.token_urlsafe(24)
    path = folder / f"{token}{suffix}"
    upload.save(path)
    (folder / f"{token}.json").write_text(
        json.dumps(
            {
                "staff_id": user().staff_id,
                "kind": kind,
                "suffix": suffix,
                "name": (upload.filename or "")[:80],
            }
        )
    )
    return token, path


def staged_upload(token: str, kind: str) -> tuple[Path, str] | None:
    """The staged file of this token, if this staff member staged it for this kind."""
    if not token or not set(token) <= _TOKEN_CHARS:
        return None
    folder = _staging()
    meta_path = folder / f"{token}.json"
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text())
    if meta["staff_id"] != user().staff_id or meta["kind"] != kind:
        return None
    path = folder / f"{token}{meta['suffix']}"
    return (path, meta["name"]) if path.is_file() else None


def unstage_upload(token: str) -> None:
    for path in _staging().glob(f"{token}*"):
        path.unlink(missing_ok=True)


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
    token = request.form.get("token", "")
    staged = staged_upload(token, kind)
    if staged is None:
        return _page(410, errors=[text("console.roster.gone")], kind=kind)
    path, name = staged
    # The transaction commits only if every row passed; a failing file leaves nothing written.
    with transaction() as session:
        result = roster_runs.apply(session, kind, path, now(), user().staff_id, name)
        if not result.applied:
            session.rollback()
    if not result.applied:
        unstage_upload(token)
        return render(
            "roster_preview.html",
            status=422,
            result=result,
            kind=kind,
            token="",
            file_name=name,
            kind_label=text(f"roster.kind.{kind}"),
        )
    unstage_upload(token)
    return _page(done=result, kind=kind)
