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
    except RecursionError:
        # Signed, so from LINE: keep what can be read; the unreadable events are set aside.
        body = {"events": salvage_events(raw)}
    except (ValueError, UnicodeDecodeError):
        return _plain(400, "body is not JSON")
    events = body.get("events") if isinstance(body, dict) else None
    if not isinstance(events, list):
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


class _Rehearsed(Exception):
    """Ends a rehearsal: its transaction rolls back."""


def rehearse(app: Any) -> None:
    """Store a made-up event and throw it away, and ask the queue and the health page once: a
    new web process opens its connections and builds its statements here, not in the first
    webhook LINE sends it. A rehearsal that fails only costs that webhook the wait."""
    svc = app.extensions["portfolio"]
    now = svc.clock.now()
    event = {
        "type": "unfollow",
        "mode": "active",
        "timestamp": int(now.timestamp() * 1000),
        "source": {"type": "user", "userId": "U00000000000000000000000000rehearsal"},
        "webhookEventId": f"rehearsal-{now.timestamp()}",
        "deliveryContext": {"isRedelivery": False},
    }
    try:
        with svc.db.sessions() as session, session.begin():
            inbox_store.store_events(session, [event], now)
            raise _Rehearsed
    except _Rehearsed:
        pass
    except Exception:  # noqa: BLE001 - a warm-up must never stop the web from starting
        log.warning("rehearsal of a first webhook failed", exc_info=True)
    try:
        svc.queue.ping()
        app.test_client().get("/healthz")
    except Exception:  # noqa: BLE001 - as above
        log.warning("rehearsal of the queue and health page failed", exc_info=True)


def salvage_events(raw: bytes) -> list[Any]:
    """The events of a body too deeply nested for json.loads, each parsed on its own.

    An element that still cannot be parsed becomes a marker that the inbox stores as invalid.
    The scan is iterative, so no nesting depth can exhaust the stack.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return []
    events: list[Any] = []
    for piece in _events_items(text):
        try:
            events.append(json.loads(piece))
        except (RecursionError, ValueError):
            digest = hashlib.sha256(piece.encode("utf-8", "surrogatepass")).hexdigest()
            events.append({inbox_store.UNPARSED: "nesting", "webhookEventId": "x" + digest[:63]})
    return events


def _string_end(text: str, start: int) -> int:
    """Index just past the JSON string that opens at start."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1
        else:
            i += 1
    return len(text)


def _events_items(text: str) -> list[str]:
    """The source text of each element of the top-level "events" array."""
    depth, i, last_string = 0, 0, None
    while i < len(text):
        char = text[i]
        if char == '"':
            end = _string_end(text, i)
            if depth == 1:
                last_string = text[i:end]
            i = end
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif char == "," and depth == 1:
            last_string = None
        elif char == ":" and depth == 1 and last_string == '"events"':
            start = i + 1
            while start < len(text) and text[start] in " \t\r\n":
                start += 1
            return _array_items(text, start) if text[start : start + 1] == "[" else []
        i += 1
    return []


def _array_items(text: str, opening: int) -> list[str]:
    items: list[str] = []
    depth, i, start = 0, opening + 1, opening + 1
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _string_end(text, i)
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            if depth == 0:
                if text[start:i].strip():
                    items.append(text[start:i])
                return items
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
        i += 1
    return items


def _log_summary(events: list[dict[str, Any]], stored: list[inbox_store.Stored]) -> None:
    # Types and counts only: bodies carry names, message texts and IDs.
    kinds = sorted({str(e.get("type"))[:32] if isinstance(e, dict) else "?" for e in events})
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
