"""Sends outbox rows through the LINE seam: replies while fresh, pushes with a retry key."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flows.line_limits import check_messages
from runtime.line import SendOutcome
from runtime.services import Services, services
from storage import outbox as outbox_store
from storage.models.line import DEAD, PENDING, SENT

log = logging.getLogger(__name__)

# Tries within one job before the row waits for the sweeper; the waits grow each time.
INLINE_TRIES = 3
BACKOFF_SECONDS = (0.5, 2.0, 5.0)
RETRY_LATER = timedelta(seconds=30)
# A claimed row goes back to the sweep this long after its sender's last possible try.
CLAIM_MARGIN = timedelta(seconds=15)


def deliver(outbox_ids: list[int]) -> int:
    """rq entry point: deliver these rows."""
    return deliver_ids(services(), outbox_ids)


def deliver_due_job() -> int:
    return deliver_due(services())


def deliver_due(svc: Services) -> int:
    with svc.db.session() as session:
        ids = outbox_store.due(session, svc.clock.now())
    return deliver_ids(svc, ids)


class BackgroundSender:
    """Sends outbox rows on a few threads of this worker process, so that the process takes the
    next person's event while LINE answers the last one (about 100 ms a call).

    One person's rows go out in the order they were handed over. Nothing is lost with the
    process: a row not yet sent is still pending in the outbox and the sweep sends it, and the
    claim taken in _deliver_one keeps a row that both try to send to one send."""

    def __init__(self, svc: Services, threads: int) -> None:
        self._svc = svc
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="line-send")
        self._lock = threading.Lock()
        self._last: dict[str, Future[int]] = {}

    def hand_over(self, outbox_ids: list[Sendable], key: str) -> Future[int]:
        with self._lock:
            before = self._last.get(key)
            future = self._pool.submit(self._send_after, before, outbox_ids)
            self._last[key] = future
        future.add_done_callback(lambda done: self._forget(key, done))
        return future

    def _send_after(self, before: Future[int] | None, outbox_ids: list[Sendable]) -> int:
        if before is not None:
            wait([before])
        try:
            return deliver_ids(self._svc, outbox_ids)
        except Exception:  # the rows stay pending: the sweep sends them
            log.exception("sending outbox rows %s failed", [_id(i) for i in outbox_ids])
            return 0

    def _forget(self, key: str, done: Future[int]) -> None:
        with self._lock:
            if self._last.get(key) is done:
                del self._last[key]

    def drain(self) -> None:
        """Wait until everything handed over so far has been sent (or left to the sweep)."""
        with self._lock:
            pending = list(self._last.values())
        wait(pending)

    def close(self) -> None:
        """Send what was handed over, then stop the threads."""
        self._pool.shutdown(wait=True)


# Where a process keeps its sender: in its services, so each app (and each test's) has its own.
SENDER = "line_sender"


def send_in_background(svc: Services, threads: int) -> None:
    """From now on these services send handed-over rows on `threads` threads (0: in the caller)."""
    old = svc.extras.pop(SENDER, None)
    if old is not None:
        old.close()
    if threads > 0:
        svc.extras[SENDER] = BackgroundSender(svc, threads)


def hand_over(svc: Services, outbox_ids: list[Sendable], key: str) -> None:
    """Send these rows (ids, or rows their sender already claimed): on the services' sending
    threads if they have them, otherwise now."""
    sender: BackgroundSender | None = svc.extras.get(SENDER)
    if sender is None:
        deliver_ids(svc, outbox_ids)
    else:
        sender.hand_over(outbox_ids, key)


def wait_for_sends(svc: Services) -> None:
    """Wait until the services' sending threads have sent what they were handed."""
    sender: BackgroundSender | None = svc.extras.get(SENDER)
    if sender is not None:
        sender.drain()


def deliver_ids(svc: Services, outbox_ids: list[Sendable]) -> int:
    sent = 0
    for item in outbox_ids:
        if _deliver_one(svc, item) if isinstance(item, int) else _deliver_claimed(svc, item):
            sent += 1
    return sent


def _id(item: Sendable) -> int:
    return item if isinstance(item, int) else item.id


@dataclass
class Outgoing:
    """What one send needs, returned by the claim, so that no transaction stays open meanwhile."""

    id: int
    kind: str
    purpose: str
    recipients: list[Any]
    messages: list[Any]
    reply_token: str | None
    reply_deadline: datetime | None
    retry_key: str
    attempts: int
    # When this sender's claim on the row lapses (it renews it before each further try).
    claimed_until: datetime | None = None
    sent_as: str | None = None

    @classmethod
    def of(cls, row: Any) -> Outgoing:
        return cls(
            row.id,
            row.kind,
            row.purpose,
            list(row.recipients),
            list(row.messages),
            row.reply_token,
            row.reply_deadline,
            row.retry_key,
            row.attempts,
            row.next_attempt_at,
        )


# What a sender is handed: a row's id (it claims the row first), or a row already claimed.
Sendable = int | Outgoing


def first_try_time(svc: Services) -> timedelta:
    """How long an answer stays claimed by the process that stored it: one try at LINE's
    timeout, with room to spare. It renews the claim before any further try; if it died, the
    sweep sends the row soon enough for its reply token to be still fresh."""
    return timedelta(seconds=svc.settings.line_timeout_seconds) + CLAIM_MARGIN


def claim_time(svc: Services) -> timedelta:
    """How long a sender keeps a row: all its tries at LINE's timeout, with room to spare."""
    tries = svc.settings.line_timeout_seconds * INLINE_TRIES + sum(BACKOFF_SECONDS)
    return timedelta(seconds=tries) + CLAIM_MARGIN


def _deliver_one(svc: Services, row_id: int) -> bool:
    # 1. Claim the row in one statement (or leave it, if it is not ours to send now).
    with svc.db.transaction() as session:
        now = svc.clock.now()
        # Quiet hours: nothing is pushed; it waits for the morning. Answers to what a person
        # just sent (a reply that had to become a push) are not held.
        quiet = svc.rules.is_quiet(now)
        claimed = outbox_store.claim(session, row_id, now, claim_time(svc), quiet=quiet)
        if claimed is None:
            if quiet:
                outbox_store.hold_until(session, row_id, now, svc.rules.next_send_time(now))
            return False  # not due, already sent, or another sender took it first
        outgoing = Outgoing.of(claimed)
    return _deliver_claimed(svc, outgoing)


def _deliver_claimed(svc: Services, outgoing: Outgoing) -> bool:
    # 2. Talk to LINE with no transaction open.
    outcome = SendOutcome("retry")
    for attempt in range(INLINE_TRIES):
        if attempt and not _renew(svc, outgoing):
            return False  # the claim lapsed: the row is the sweep's now
        outcome = _send(svc, outgoing)
        outgoing.attempts += 1
        if outcome.status != "retry":
            break
        if attempt + 1 < INLINE_TRIES:
            svc.sleep(BACKOFF_SECONDS[attempt])
    # 3. Record what LINE said, in one statement.
    values = _outcome_values(outgoing, outcome, svc.clock.now())
    with svc.db.transaction() as session:
        if not outbox_store.record(session, outgoing.id, values):
            return False
    return values["status"] == SENT


def _renew(svc: Services, outgoing: Outgoing) -> bool:
    now = svc.clock.now()
    until = now + claim_time(svc)
    with svc.db.transaction() as session:
        if not outbox_store.renew(session, outgoing.id, outgoing.claimed_until, now, until):
            return False
    outgoing.claimed_until = until
    return True


def _outcome_values(outgoing: Outgoing, outcome: SendOutcome, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "attempts": outgoing.attempts,
        "sent_as": outgoing.sent_as,
        "reply_token": outgoing.reply_token,
    }
    if outcome.status == "sent":
        paid = outgoing.sent_as in ("push", "multicast")
        return values | {
            "status": SENT,
            "sent_at": now,
            "next_attempt_at": None,
            "line_request_id": outcome.request_id,
            "cost": len(outgoing.recipients) if paid else 0,
            "error": None,
        }
    if outcome.status == "retry" and outgoing.attempts < outbox_store.MAX_DELIVERY_ATTEMPTS:
        log.warning("outbox %s: LINE answered %s; will retry", outgoing.id, outcome.http_status)
        return values | {
            "status": PENDING,
            "next_attempt_at": now + RETRY_LATER * outgoing.attempts,
            "error": outcome.error,
        }
    log.error(
        "outbox %s (%s) dead-lettered: HTTP %s request-id %s: %s",
        outgoing.id,
        outgoing.purpose,
        outcome.http_status,
        outcome.request_id,
        outcome.error,
    )
    return values | {
        "status": DEAD,
        "next_attempt_at": None,
        "error": f"HTTP {outcome.http_status}: {outcome.error}",
    }


def _send(svc: Services, row: Outgoing) -> SendOutcome:
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
