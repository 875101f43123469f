"""Sends outbox rows through the LINE seam: replies while fresh, pushes with a retry key."""

from __future__ import annotations

import logging
from datetime import timedelta

from flows.line_limits import check_messages
from runtime.line import SendOutcome
from runtime.services import Services, services
from storage import outbox as outbox_store
from storage.models.line import DEAD, PENDING, SENT, OutboxMessage

log = logging.getLogger(__name__)

# Tries within one job before the row waits for the sweeper; the waits grow each time.
INLINE_TRIES = 3
BACKOFF_SECONDS = (0.5, 2.0, 5.0)
RETRY_LATER = timedelta(seconds=30)


def deliver(outbox_ids: list[int]) -> int:
    """rq entry point: deliver these rows."""
    return deliver_ids(services(), outbox_ids)


def deliver_due_job() -> int:
    return deliver_due(services())


def deliver_due(svc: Services) -> int:
    with svc.db.session() as session:
        ids = outbox_store.due(session, svc.clock.now())
    return deliver_ids(svc, ids)


def deliver_ids(svc: Services, outbox_ids: list[int]) -> int:
    sent = 0
    for row_id in outbox_ids:
        if _deliver_one(svc, row_id):
            sent += 1
    return sent


def _deliver_one(svc: Services, row_id: int) -> bool:
    with svc.db.sessions() as session, session.begin():
        row = session.get(OutboxMessage, row_id, with_for_update=svc.db.is_postgres)
        if row is None or row.status != PENDING:
            return False
        now = svc.clock.now()
        if row.next_attempt_at and row.next_attempt_at > now:
            return False
        if (
            row.kind in ("push", "multicast")
            and row.inbox_event_id is None
            and svc.rules.is_quiet(now)
        ):
            # Quiet hours: nothing is pushed; it waits for the morning. Answers to what a
            # person just sent (a reply that had to become a push) are not held.
            row.next_attempt_at = svc.rules.next_send_time(now)
            return False
        outcome = SendOutcome("retry")
        for attempt in range(INLINE_TRIES):
            outcome = _send(svc, row)
            row.attempts += 1
            if outcome.status != "retry":
                break
            if attempt + 1 < INLINE_TRIES:
                svc.sleep(BACKOFF_SECONDS[attempt])
        now = svc.clock.now()
        if outcome.status == "sent":
            row.status = SENT
            row.sent_at = now
            row.line_request_id = outcome.request_id
            row.cost = len(row.recipients) if row.sent_as in ("push", "multicast") else 0
            row.error = None
            return True
        if outcome.status == "retry" and row.attempts < outbox_store.MAX_DELIVERY_ATTEMPTS:
            row.next_attempt_at = now + RETRY_LATER * row.attempts
            row.error = outcome.error
            log.warning("outbox %s: LINE answered %s; will retry", row.id, outcome.http_status)
            return False
        row.status = DEAD
        row.error = f"HTTP {outcome.http_status}: {outcome.error}"
        log.error(
            "outbox %s (%s) dead-lettered: HTTP %s request-id %s: %s",
            row.id,
            row.purpose,
            outcome.http_status,
            outcome.request_id,
            outcome.error,
        )
        return False


def _send(svc: Services, row: OutboxMessage) -> SendOutcome:
    now = svc.clock.now()
    if row.kind != "richmenu":
        problems = check_messages(row.messages)
        if problems:
            # A message over LINE's limits is a bug: never send it, make it loud.
            return SendOutcome("dead", None, None, "LINE limits: " + "; ".join(problems)[:900])
    if row.kind == "richmenu":
        row.sent_as = "richmenu"
        return svc.line.link_menu(row.recipients[0], row.messages[0].get("menu"))
    if row.kind == "reply" and row.reply_token and row.reply_deadline and now < row.reply_deadline:
        outcome = svc.line.reply(row.reply_token, row.messages)
        if outcome.status != "reply_token_invalid" and outcome.status != "retry":
            row.sent_as = "reply"
            return outcome
        # A reply token is single-use: after a failed or doubtful reply, the safe path is a push.
    row.reply_token = None
    if len(row.recipients) == 1:
        row.sent_as = "push"
        return svc.line.push(row.recipients[0], row.messages, row.retry_key)
    row.sent_as = "multicast"
    return svc.line.multicast(row.recipients, row.messages, row.retry_key)
