"""The durable inbox: store webhook events once, find what is still to do."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from storage.clock import UTC
from storage.models.line import DEAD, DONE, IGNORED, PENDING, InboxEvent, OutboxMessage

log = logging.getLogger(__name__)

# Inbox events older than this and still pending are handed to a worker again (a flushed Redis,
# a killed worker). With the sweep every 10 s, an orphaned event waits at most about 25 s.
STALE_AFTER = timedelta(seconds=15)
# A failing event is tried this many times before it lands in the dead-letter state.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Stored:
    """What ingest did with one event: its row id, and whether a worker should take it."""

    id: int
    created: bool
    needs_work: bool
    # A message with a file (photo, video, audio, document): fetched from LINE and fitted.
    carries_file: bool = False
    source_id: str | None = None


FILE_MESSAGES = frozenset({"image", "video", "audio", "file"})


def carries_file(event: dict[str, Any]) -> bool:
    """Whether handling this event downloads content from LINE (seconds, not milliseconds)."""
    message = event.get("message")
    return (
        event.get("type") == "message"
        and isinstance(message, dict)
        and message.get("type") in FILE_MESSAGES
    )


def event_id_of(event: dict[str, Any]) -> str:
    """LINE's webhookEventId; a content hash when an old or odd event has none."""
    value = event.get("webhookEventId")
    if isinstance(value, str) and value:
        return value[:64]
    return _hash_id(event)


def source_of(event: dict[str, Any]) -> str | None:
    """Whose conversation this is: the user in a one-to-one chat, else the group or room.

    A group member's own userId is never the conversation: what the bot says there is read by
    everyone in the group, so it must not be handled as that person's private chat.
    """
    source = event.get("source") or {}
    if not isinstance(source, dict):
        return None
    key = {"group": "groupId", "room": "roomId"}.get(str(source.get("type")), "userId")
    value = source.get(key)
    return value if isinstance(value, str) else None


def occurred_at(event: dict[str, Any], fallback: datetime) -> datetime:
    stamp = event.get("timestamp")
    if isinstance(stamp, int) and 0 < stamp <= MAX_TIMESTAMP_MS:
        return datetime.fromtimestamp(stamp / 1000, tz=UTC)
    return fallback


# --- what a stored event must look like -------------------------------------------------------

# Marks an element of the events list that could not be parsed on its own (see bot/webhook.py).
UNPARSED = "_unparsed"
# 9999-12-31 in milliseconds: anything later is not a time LINE sends.
MAX_TIMESTAMP_MS = 253_402_300_799_999
MAX_DEPTH = 32
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SOURCE_KEYS = {"user": "userId", "group": "groupId", "room": "roomId"}


def problem_of(event: Any) -> str | None:
    """Why this event cannot be stored and handled as it is (a short, data-free reason), or None.

    Checked at the door so one odd event is set aside at once instead of failing in a handler,
    being retried, and holding up the same person's later events.
    """
    if not isinstance(event, dict):
        return "not an object"
    if UNPARSED in event:
        return str(event[UNPARSED])[:64]
    kind = event.get("type")
    if not isinstance(kind, str) or not _ID.fullmatch(kind):
        return "type"
    event_id = event.get("webhookEventId")
    if event_id is not None and not (isinstance(event_id, str) and _ID.fullmatch(event_id)):
        return "webhookEventId"
    stamp = event.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int) or not 0 < stamp <= MAX_TIMESTAMP_MS:
        return "timestamp"
    if event.get("mode", "active") not in ("active", "standby"):
        return "mode"
    token = event.get("replyToken")
    if token is not None and not (isinstance(token, str) and 0 < len(token) <= 128):
        return "replyToken"
    source = event.get("source")
    if not isinstance(source, dict) or source.get("type") not in _SOURCE_KEYS:
        return "source"
    for key in ("userId", "groupId", "roomId"):
        value = source.get(key)
        if value is not None and not (isinstance(value, str) and _ID.fullmatch(value)):
            return f"source.{key}"
    if source.get(_SOURCE_KEYS[source["type"]]) is None:
        return "source"
    if kind == "message":
        message = event.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return "message"
        if "text" in message and not isinstance(message["text"], str):
            return "message.text"
    if kind == "postback":
        postback = event.get("postback")
        if not isinstance(postback, dict) or not isinstance(postback.get("data"), str):
            return "postback"
        if not isinstance(postback.get("params", {}), dict):
            return "postback.params"
    return _values_problem(event)


def _values_problem(event: dict[str, Any]) -> str | None:
    """Depth, numbers and strings a database column of JSON can hold, checked without recursion."""
    stack: list[tuple[Any, int]] = [(event, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return "nesting"
        if isinstance(node, dict):
            stack.extend((k, depth) for k in node)
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
        elif isinstance(node, float) and not math.isfinite(node):
            return "number"
        elif isinstance(node, str):
            if "\x00" in node:
                return "NUL character"
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return "unpaired surrogate"
    return None


def _invalid_row(event: Any, reason: str, now: datetime) -> dict[str, Any]:
    """An event set aside: kept as a dead letter with a reason, never handled, nobody held up.

    Its content is not kept: it could not be stored faithfully, and it may hold personal data.
    """
    if isinstance(event, dict) and UNPARSED not in event:
        event_id = event.get("webhookEventId")
        if not (isinstance(event_id, str) and _ID.fullmatch(event_id)):
            event_id = _hash_id(event)
        kind = event.get("type") if isinstance(event.get("type"), str) else "unknown"
    else:
        event_id = event.get("webhookEventId") if isinstance(event, dict) else None
        event_id = event_id if isinstance(event_id, str) else _hash_id(event)
        kind = "unknown"
    kind = kind if _ID.fullmatch(kind[:32] or "-") else "unknown"
    return {
        "webhook_event_id": event_id[:64],
        "event_type": kind[:32],
        "mode": "active",
        "source_id": None,
        "occurred_at": now,
        "received_at": now,
        "is_redelivery": False,
        "payload": {"invalid": reason},
        "status": DEAD,
        "attempts": 0,
        "last_error": f"invalid: {reason}",
        "enqueued_at": None,
        "processed_at": now,
    }


def _hash_id(event: Any) -> str:
    text = json.dumps(event, sort_keys=True, default=str, ensure_ascii=True)
    return "h" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:63]


def store_events(session: Session, events: list[dict[str, Any]], now: datetime) -> list[Stored]:
    """Insert each event unless its webhookEventId is already stored (redelivery or duplicate).

    One INSERT ... ON CONFLICT DO NOTHING for the whole body: the webhook answers in milliseconds
    and two deliveries racing each other still store an event once.
    """
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        problem = problem_of(event)
        if problem is not None:
            row = _invalid_row(event, problem, now)
            log.warning("webhook event set aside as invalid: %s", problem)
            rows.setdefault(row["webhook_event_id"], row)
            continue
        event_id = event_id_of(event)
        if event_id in rows:
            continue
        mode = str(event.get("mode") or "active")
        status = IGNORED if mode == "standby" else PENDING
        delivery = event.get("deliveryContext") or {}
        rows[event_id] = {
            "webhook_event_id": event_id,
            "event_type": str(event.get("type") or "unknown")[:32],
            "mode": mode[:16],
            "source_id": source_of(event),
            "occurred_at": occurred_at(event, now),
            "received_at": now,
            "is_redelivery": bool(isinstance(delivery, dict) and delivery.get("isRedelivery")),
            "payload": event,
            "status": status,
            "attempts": 0,
            "last_error": None,
            "enqueued_at": now if status == PENDING else None,
            "processed_at": now if status == IGNORED else None,
        }
    insert = (
        _dialect_insert(session)(InboxEvent)
        .on_conflict_do_nothing(index_elements=["webhook_event_id"])
        .returning(InboxEvent.id, InboxEvent.webhook_event_id, InboxEvent.status)
    )
    # executemany with RETURNING: one cached statement, sent as one batch.
    created = {r.webhook_event_id: r for r in session.execute(insert, list(rows.values()))}
    results: list[Stored] = []
    for event_id in rows:
        row = created.get(event_id)
        if row is not None:
            results.append(
                Stored(
                    row.id,
                    created=True,
                    needs_work=row.status == PENDING,
                    carries_file=carries_file(rows[event_id]["payload"]),
                )
            )
    return results


def _dialect_insert(session: Session) -> Any:
    # Each dialect has its own INSERT ... ON CONFLICT; only the one in use is imported.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert  # PostgreSQL's own ON CONFLICT
    else:
        from sqlalchemy.dialects.sqlite import insert  # the embedded default
    return insert


def to_handle(session: Session, event: InboxEvent) -> InboxEvent | None:
    """With the user's lock held: the event to handle now, or None when this event is no longer
    pending (another process handled it meanwhile). One query reads this event afresh and finds
    the user's earliest pending one: a user's events are handled in order. An event that already
    failed once waits for its retry on its own: the person's later events do not queue behind
    it."""
    if event.source_id is None:
        session.refresh(event)
        return event if event.status == PENDING else None
    earliest = (
        select(InboxEvent.id)
        .where(
            InboxEvent.status == PENDING,
            InboxEvent.source_id == event.source_id,
            InboxEvent.attempts == 0,
        )
        .order_by(InboxEvent.occurred_at, InboxEvent.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = session.scalars(
        select(InboxEvent)
        .where(or_(InboxEvent.id == event.id, InboxEvent.id == earliest))
        .execution_options(populate_existing=True)
    ).all()
    if event.status != PENDING:
        return None
    others = [r for r in rows if r.id != event.id]
    return others[0] if others else event


def mark_done(event: InboxEvent, now: datetime) -> None:
    event.status = DONE
    event.processed_at = now
    event.last_error = None


def record_failure(session: Session, event_id: int, error: str, now: datetime) -> str:
    """Count a failed attempt; after MAX_ATTEMPTS the event is dead-lettered. Returns the status."""
    event = session.get(InboxEvent, event_id)
    if event is None or event.status != PENDING:
        return event.status if event else DEAD
    event.attempts += 1
    event.last_error = error[:2000]
    if event.attempts >= MAX_ATTEMPTS:
        event.status = DEAD
        event.processed_at = now
    return event.status


def retry_delay(attempts: int) -> timedelta:
    """How long a pending event waits before it is handed out again: STALE_AFTER for one nobody
    finished, doubling with each failed attempt (15, 30, 60, 120 s)."""
    return STALE_AFTER * 2 ** max(0, attempts - 1)


def stale_pending(session: Session, now: datetime, limit: int = 500) -> list[Stored]:
    """Pending events nobody finished in time (Redis lost the job, a worker died), and failed
    ones whose backoff is over."""
    candidates = session.execute(
        select(
            InboxEvent.id,
            InboxEvent.payload,
            InboxEvent.source_id,
            InboxEvent.attempts,
            InboxEvent.enqueued_at,
        )
        .where(InboxEvent.status == PENDING, InboxEvent.enqueued_at < now - STALE_AFTER)
        .order_by(InboxEvent.occurred_at)
        .limit(limit)
    ).all()
    found = [c for c in candidates if c.enqueued_at < now - retry_delay(c.attempts)]
    rows = [row.id for row in found]
    if rows:
        session.execute(update(InboxEvent).where(InboxEvent.id.in_(rows)).values(enqueued_at=now))
    return [Stored(row.id, False, True, carries_file(row.payload), row.source_id) for row in found]


def dead_letters(session: Session) -> list[InboxEvent]:
    return list(
        session.scalars(select(InboxEvent).where(InboxEvent.status == DEAD).order_by(InboxEvent.id))
    )


def retry_dead(session: Session, event_ids: list[int] | None, now: datetime) -> list[int]:
    query = select(InboxEvent).where(InboxEvent.status == DEAD)
    if event_ids:
        query = query.where(InboxEvent.id.in_(event_ids))
    revived = []
    for event in session.scalars(query):
        event.status = PENDING
        event.attempts = 0
        event.enqueued_at = now
        event.processed_at = None
        revived.append(event.id)
    return revived


# Webhook bodies carry what people wrote; once handled they are kept this long, then deleted.
KEEP_HANDLED = timedelta(days=180)


def purge_handled(session: Session, now: datetime) -> int:
    """Delete handled events older than KEEP_HANDLED; pending and dead-lettered ones stay."""
    old = select(InboxEvent.id).where(
        InboxEvent.status.in_((DONE, IGNORED)), InboxEvent.received_at < now - KEEP_HANDLED
    )
    # Messages still kept (a dead letter, say) forget which event caused them.
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.inbox_event_id.in_(old))
        .values(inbox_event_id=None)
    )
    result = session.execute(delete(InboxEvent).where(InboxEvent.id.in_(old)))
    return int(result.rowcount or 0)
