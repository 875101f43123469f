"""Serving stored files behind signed, expiring links (GET /f/<token>), checked in the database."""

from __future__ import annotations

import html
import logging

from flask import Blueprint, Response, send_file

from catalogue import text
from flows.links import LinkExpired, LinkInvalid, verify_link
from media.kinds import EXTENSIONS, MIME_TYPES
from runtime.services import services
from school import file_access
from storage.files import NotStored
from storage.models.portfolio import FileRecord

log = logging.getLogger(__name__)

bp = Blueprint("files_view", __name__)

# Extensions by MIME type, for the name the browser shows (never a name a user supplied).
_EXTENSION_OF = {MIME_TYPES[kind]: ext for kind, ext in EXTENSIONS.items()}
# Types served as they are; anything else goes out as bytes to download, never rendered.
_SAFE_TYPES = frozenset(_EXTENSION_OF)
# A PDF can carry JavaScript: it is always downloaded, never rendered in the school's origin.
_DOWNLOAD_ONLY = frozenset({"application/pdf"})
# Whatever a browser does render from /f/ runs in a sandbox with no scripts and no requests.
FILE_CSP = "sandbox; default-src 'none'; img-src 'self'; media-src 'self'"


def _page(status: int, key: str) -> Response:
    title = html.escape(text(f"{key}.title"))
    body = html.escape(text(f"{key}.body"))
    document = (
        '<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title></head><body style="font-family:sans-serif;padding:2em">'
        f'<h1 style="font-size:1.3em">{title}</h1><p>{body}</p></body></html>'
    )
    response = Response(document, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _harden(response: Response) -> Response:
    # The token is in the URL: it must not leak through caches or to other sites.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_CSP
    return response


@bp.get("/f/<token>")
def serve(token: str) -> Response:
    svc = services()
    now = svc.clock.now()
    try:
        claim = verify_link(svc.settings.secret_key, token, now)
    except LinkExpired:
        return _page(410, "link.expired")
    except LinkInvalid:
        return _page(403, "link.forbidden")
    with svc.db.session() as session:
        record = session.get(FileRecord, claim.file_id)
        if record is None:
            return _page(410, "link.gone")
        if not file_access.may_view_file(session, record.id, claim.viewer_kind, claim.viewer_id):
            return _page(403, "link.forbidden")
        sha256, mime, record_id = record.sha256, record.mime, record.id
    try:
        stream = svc.files.open(sha256)
    except NotStored:
        log.warning("file record %s points to bytes that are not in the store", record_id)
        return _page(410, "link.gone")
    served = mime if mime in _SAFE_TYPES else "application/octet-stream"
    name = f"portfolio-{record_id}{_EXTENSION_OF.get(mime, '')}"
    download = served not in _SAFE_TYPES or served in _DOWNLOAD_ONLY
    response = send_file(
        stream,
        mimetype=served,
        as_attachment=download,
        download_name=name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    return _harden(response)
