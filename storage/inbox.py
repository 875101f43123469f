"""The durable inbox: store webhook events once, find what is still to do."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
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
    digest = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()
    return "h" + digest[:63]


def source_of(event: dict[str, Any]) -> str | None:
    source = event.get("source") or {}
    if not isinstance(source, dict):
        return None
    for key in ("userId", "groupId", "roomId"):
        if isinstance(source.get(key), str):
            return source[key]
    return None


def occurred_at(event: dict[str, Any], fallback: datetime) -> datetime:
    stamp = event.get("timestamp")
    if isinstance(stamp, (int, float)) and stamp > 0:
        return datetime.fromtimestamp(stamp / 1000, tz=UTC)
    return fallback


def store_events(session: Session, events: list[dict[str, Any]], now: datetime) -> list[Stored]:
    """Insert each event unless its webhookEventId is already stored (redelivery or duplicate).

    One INSERT ... ON CONFLICT DO NOTHING for the whole body: the webhook answers in milliseconds
    and two deliveries racing each other still store an event once.
    """
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
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
            results.append(Stored(row.id, created=True, needs_work=row.status == PENDING,
                                  carries_file=carries_file(rows[event_id]["payload"])))
    return results


def _dialect_insert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def next_for_source(session: Session, source_id: str | None, event: InboxEvent) -> InboxEvent:
    """The earliest pending event of the same user: a user's events are handled in order."""
    if source_id is None:
        return event
    earliest = session.scalars(
        select(InboxEvent)
        .where(InboxEvent.status == PENDING, InboxEvent.source_id == source_id)
        .order_by(InboxEvent.occurred_at, InboxEvent.id)
        .limit(1)
    ).first()
    return earliest or event


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


def stale_pending(session: Session, now: datetime, limit: int = 500) -> list[Stored]:
    """Pending events nobody finished in time (Redis lost the job, a worker died)."""
    found = session.execute(
        select(InboxEvent.id, InboxEvent.payload)
        .where(InboxEvent.status == PENDING, InboxEvent.enqueued_at < now - STALE_AFTER)
        .order_by(InboxEvent.occurred_at)
        .limit(limit)
    ).all()
    rows = [row.id for row in found]
    if rows:
        session.execute(update(InboxEvent).where(InboxEvent.id.in_(rows)).values(enqueued_at=now))
    return [Stored(row.id, False, True, carries_file(row.payload)) for row in found]


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
        update(OutboxMessage).where(OutboxMessage.inbox_event_id.in_(old)).values(inbox_event_id=None)
    )
    result = session.execute(delete(InboxEvent).where(InboxEvent.id.in_(old)))
    return int(result.rowcount or 0)
