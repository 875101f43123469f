"""Worker side of the inbox: handle each user's events one at a time, in order, exactly once."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select

from flows.context import Ctx
from flows.desk import desk
from handlers import build_router
from jobs import delivery
from jobs.queue import enqueue_events
from runtime.services import Services, services
from school.windows import effective_rules
from storage import inbox as inbox_store
from storage.db import lock_named, try_lock_named
from storage.models.line import PENDING, SENDING, InboxEvent, LineAccount, OutboxMessage
from storage.outbox import Outbox

log = logging.getLogger(__name__)

_router = None


def router() -> Any:
    global _router
    if _router is None:
        _router = build_router()
    return _router


def process_event(event_id: int) -> None:
    """Handle this event, after any earlier pending events of the same user."""
    svc = services()
    # Each round handles the user's earliest pending event; stop once ours is done.
    for _ in range(1000):
        handled, created, source = _handle_next(svc, event_id)
        if created:
            # One person's answers leave in order: the same key for all of this user's events.
            delivery.hand_over(svc, created, key=user_lock(source, event_id))
        if handled is None or handled == event_id:
            return


def _handle_next(
    svc: Services, event_id: int
) -> tuple[int | None, list[delivery.Sendable], str | None]:
    now = svc.clock.now()
    target: InboxEvent | None = None
    try:
        with svc.db.sessions() as session, session.begin():
            event = session.get(InboxEvent, event_id)
            if event is None or event.status != PENDING:
                return None, [], None
            lock = user_lock(event.source_id, event.webhook_event_id)
            lock_named(session, lock)
            target = inbox_store.to_handle(session, event)
            if target is None:
                return None, [], None
            handled, source, kind = target.id, target.source_id, target.event_type
            # The answers are stored claimed by this process, which sends them right after the
            # commit: no second transaction to claim them before LINE is called.
            outbox = Outbox(session, now, claim_answers_for=delivery.first_try_time(svc))
            ctx = _context(svc, session, outbox, target)
            router().dispatch(ctx, target.payload)
            ctx.flush_replies()
            inbox_store.mark_done(target, now)
            session.flush()
            created = [_sendable(session, row_id) for row_id in outbox.created or []]
        return handled, created, source
    except Exception as exc:
        if target is None:
            raise  # not the handler's: the event is untouched and the sweep hands it out again
        # A handler bug must not lose the event: all it did is rolled back; count and retry.
        _failed(svc, handled, kind, lock, exc, now)
        return None, [], None


def _sendable(session: Any, row_id: int) -> delivery.Sendable:
    """A row this process claimed as it stored it goes to the sender whole; others by id."""
    row = session.get(OutboxMessage, row_id)  # in the session already: no query
    if row is not None and row.status == SENDING:
        return delivery.Outgoing.of(row)
    return row_id


def _failed(
    svc: Services, event_id: int, kind: str, lock: str, exc: Exception, now: datetime
) -> None:
    with svc.db.sessions() as session, session.begin():
        lock_named(session, lock)
        status = inbox_store.record_failure(session, event_id, f"{type(exc).__name__}: {exc}", now)
        event = session.get(InboxEvent, event_id)
        if event is not None:
            event.enqueued_at = now
    log.error(
        "event %s (%s) failed: %s; now %s",
        event_id,
        kind,
        type(exc).__name__,
        status,
        exc_info=log.isEnabledFor(logging.DEBUG),
    )


def _context(svc: Services, session: Any, outbox: Outbox, event: InboxEvent) -> Ctx:
    payload = event.payload
    account = None
    if event.source_id:
        account = session.scalars(
            select(LineAccount).where(LineAccount.line_user_id == event.source_id)
        ).first()
    token = payload.get("replyToken") if isinstance(payload.get("replyToken"), str) else None
    return Ctx(
        session=session,
        clock=svc.clock,
        now=outbox.now,
        outbox=outbox,
        # The rules file plus any window the working group changed since.
        rules=effective_rules(session, svc.rules),
        files=svc.files,
        secret_key=svc.settings.secret_key,
        public_base_url=svc.settings.public_base_url,
        line_user_id=event.source_id,
        account=account,
        reply_token=token,
        event_time=event.occurred_at,
        inbox_event_id=event.id,
        content_source=svc.line,
        sleep=svc.sleep,
        upload_bytes_per_day=svc.settings.upload_bytes_per_day,
        bind_tries_per_hour=svc.settings.bind_tries_per_hour,
    )


def get_ready(svc: Services) -> None:
    """Before a process answers its first event (a worker, or a web process that answers events
    itself): its sending threads, the event router, the flows' tables, a database connection
    and a rehearsal, so that none of it is paid in a person's first answer."""
    delivery.send_in_background(svc, svc.settings.line_send_threads)
    router()
    desk()  # builds the flows' tables and imports every flow
    svc.db.ping()
    rehearse(svc)


class _Rehearsed(Exception):
    """Ends a rehearsal: its transaction rolls back."""


REHEARSAL_USER = "U00000000000000000000000000rehearsal"


def rehearse(svc: Services) -> None:
    """Handle a made-up 說明 from nobody and throw all of it away (nothing is stored or sent):
    a new worker process pays for its first queries, texts and message models here, not in a
    person's first answer. A rehearsal that fails only costs that person the wait."""
    now = svc.clock.now()
    payload = {
        "type": "message",
        "mode": "active",
        "timestamp": int(now.timestamp() * 1000),
        "source": {"type": "user", "userId": REHEARSAL_USER},
        "webhookEventId": "rehearsal",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "rehearsal",
        "message": {"type": "text", "id": "0", "quoteToken": "rehearsal", "text": "說明"},
    }
    try:
        with svc.db.sessions() as session, session.begin():
            event = InboxEvent(
                webhook_event_id=f"rehearsal-{now.timestamp()}",
                event_type="message",
                source_id=REHEARSAL_USER,
                occurred_at=now,
                received_at=now,
                payload=payload,
            )
            session.add(event)
            session.flush()
            outbox = Outbox(session, now)
            ctx = _context(svc, session, outbox, event)
            router().dispatch(ctx, payload)
            ctx.flush_replies()
            session.flush()
            for row_id in outbox.created or []:
                row = session.get(OutboxMessage, row_id)
                if row is not None:
                    svc.line.prepare(row.messages)
            raise _Rehearsed
    except _Rehearsed:
        pass
    except Exception:  # noqa: BLE001 - a warm-up must never stop a worker from starting
        log.warning("rehearsal of a first event failed", exc_info=True)


def sweep() -> dict[str, int]:
    """Hand stale pending events to a worker again and retry due outgoing messages."""
    svc = services()
    now = svc.clock.now()
    with svc.db.transaction() as session:
        stale = inbox_store.stale_pending(session, now)
        # Only orphans: not those still waiting in the queue behind a busy evening, nor those a
        # worker is on right now (it holds the user's lock). Re-sending those would only add
        # work when the workers are already behind.
        orphans = [
            s
            for s in stale
            if not svc.queue.waiting("jobs.inbox.process_event", s.id)
            and try_lock_named(session, user_lock(s.source_id, s.id))
        ]
    enqueue_events(svc.queue, orphans)
    sent = delivery.deliver_due(svc)
    return {"requeued": len(orphans), "delivered": sent}


def user_lock(source_id: str | None, fallback: Any) -> str:
    """The name that serialises one user's events (an event without a user stands alone)."""
    return f"line-user:{source_id or fallback}"
