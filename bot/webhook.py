"""POST /callback: verify, store durably, enqueue after commit, answer fast. Nothing else."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from typing import Any

from flask import Blueprint, Response, current_app, request

from jobs.queue import enqueue_events
from runtime.services import Services
from storage import inbox as inbox_store

log = logging.getLogger(__name__)

bp = Blueprint("webhook", __name__)


def _svc() -> Services:
    return current_app.extensions["portfolio"]


def signature_ok(channel_secret: str, raw: bytes, signature: str) -> bool:
    """HMAC-SHA256 over the exact bytes received, compared in constant time."""
    if not signature:
        return False
    expected = base64.b64encode(hmac.new(channel_secret.encode(), raw, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode("ascii", "replace"))


def _plain(status: int, text: str) -> Response:
    return Response(text, status=status, mimetype="text/plain")


@bp.post("/callback")
def callback() -> Response:
    svc = _svc()
    # get_data honours MAX_CONTENT_LENGTH and answers 413 on a larger body.
    raw = request.get_data(cache=False)
    signature = request.headers.get("X-Line-Signature", "")
    if not signature_ok(svc.settings.line_channel_secret, raw, signature):
        log.warning("webhook refused: bad or missing signature (%d bytes)", len(raw))
        return _plain(400, "invalid signature")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _plain(400, "body is not JSON")
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
        return _plain(400, "body has no events list")
    if not events:
        return _plain(200, "OK")  # LINE's verify call

    with svc.db.transaction() as session:
        stored = inbox_store.store_events(session, events, svc.clock.now())
    # Enqueue only after the commit: a worker must find the row it is given.
    try:
        enqueue_events(svc.queue, stored)
    except Exception as exc:  # stored is safe: the sweeper will hand it to a worker
        to_do = [s.id for s in stored if s.needs_work]
        log.error("enqueue failed for inbox %s: %s", to_do, type(exc).__name__)
    _log_summary(events, stored)
    return _plain(200, "OK")


def _log_summary(events: list[dict[str, Any]], stored: list[inbox_store.Stored]) -> None:
    # Types and counts only: bodies carry names, message texts and IDs.
    kinds = sorted({str(e.get("type"))[:32] for e in events})
    new = sum(1 for s in stored if s.created)
    log.info("webhook: %d events (%s), %d new", len(events), ",".join(kinds), new)


health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    svc = _svc()
    checks: dict[str, Any] = {}
    try:
        checks["database"] = svc.db.ping()
    except Exception as exc:
        checks["database"] = False
        checks["database_error"] = type(exc).__name__
    try:
        checks["queue"] = svc.queue.ping()
    except Exception as exc:
        checks["queue"] = False
        checks["queue_error"] = type(exc).__name__
    ok = bool(checks["database"] and checks["queue"])
    checks["status"] = "ok" if ok else "degraded"
    return checks, 200 if ok else 503
