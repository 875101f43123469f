"""The monthly LINE message budget: count what was sent, forecast the queue, hold what can wait.

Pushes and multicasts are charged per recipient against the plan's monthly quota. The limit is the
tightest of LINE_MONTHLY_QUOTA, the rules file's monthly_quota and LINE's own quota endpoint (when
it answers). Used = the outbox's sent cost this month (or LINE's own count, if higher: messages
sent from the LINE Official Account Manager count too). When used + queued + a reserve for the
urgent reminders and the certification digests still due this month would pass the limit, queued
low-priority messages are held (newest first), then normal ones if that is not enough; urgent
ones never are. 註冊組 is told once
a month. Held messages go out as soon as they fit again, at the latest when the month turns, unless
they are past use by then (a reminder for a window that closed is dropped, not sent late).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from catalogue import text
from flows import messages as m
from rules.school_rules import SchoolRules
from runtime.services import Services
from school import delivery_log, recipients
from storage import outbox as outbox_store
from storage.clock import TAIPEI, at_taipei
from storage.models.line import HELD, PENDING, OutboxMessage
from storage.models.schedule import EXPIRED
from storage.outbox import LOW, NORMAL, URGENT, Outbox

log = logging.getLogger(__name__)

CHARGED_KINDS = ("push", "multicast")
# Kept free for urgent messages nobody can schedule (rejections): a share of the limit.
URGENT_MARGIN_FRACTION = 0.02
URGENT_MARGIN_MIN = 5
# Held first: low before normal; urgent is never held.
HOLD_ORDER = (LOW, NORMAL)
RELEASE_ORDER = (URGENT, NORMAL, LOW)
STAFF_RULE = "budget_hold"


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The Taipei calendar month holding now, as [start, end) UTC instants."""
    local = now.astimezone(TAIPEI).date()
    start = date(local.year, local.month, 1)
    following = date(local.year + local.month // 12, local.month % 12 + 1, 1)
    return at_taipei(start), at_taipei(following)


def month_label(now: datetime) -> str:
    return f"{now.astimezone(TAIPEI):%Y-%m}"


@dataclass(frozen=True)
class Budget:
    limit: int
    limit_source: str
    used: int
    queued: int
    held: int
    reserve: int

    @property
    def forecast(self) -> int:
        return self.used + self.queued + self.reserve

    @property
    def over(self) -> bool:
        return self.forecast > self.limit


@dataclass
class Enforced:
    budget: Budget
    held: int = 0
    released: int = 0
    expired: int = 0
    staff_told: int = 0

    def as_counts(self) -> dict[str, int]:
        counts = {
            "held": self.held,
            "released": self.released,
            "expired": self.expired,
            "budget_told": self.staff_told,
        }
        return {k: v for k, v in counts.items() if v}


Quota = tuple[int, str, int | None]


def quota_limit(svc: Services, rules: SchoolRules) -> Quota:
    """(limit, where it comes from, LINE's own count of messages used this month or None).

    Asks LINE over HTTP: callers do it before opening a transaction, not while holding locks."""
    candidates = [
        (svc.settings.line_monthly_quota, "LINE_MONTHLY_QUOTA"),
        (rules.monthly_quota, "rules monthly_quota"),
    ]
    line_limit, line_used = None, None
    quota = getattr(svc.line, "quota", None)
    if quota is not None:
        line_limit, line_used = quota()
    if line_limit is not None:
        candidates.append((line_limit, "LINE quota endpoint"))
    limit, source = min(candidates, key=lambda c: c[0])
    return limit, source, line_used


def _cost(row: OutboxMessage) -> int:
    return len(row.recipients or [])


def _rows(session: Any, status: str) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == status, OutboxMessage.kind.in_(CHARGED_KINDS))
            .order_by(OutboxMessage.id)
        )
    )


def measure(
    svc: Services,
    session: Any,
    rules: SchoolRules,
    now: datetime,
    reserve: int = 0,
    quota: Quota | None = None,
) -> Budget:
    limit, source, line_used = quota if quota is not None else quota_limit(svc, rules)
    start, end = month_bounds(now)
    used = outbox_store.sent_cost_between(session, start, end)
    if line_used is not None:
        used = max(used, line_used)
    margin = max(URGENT_MARGIN_MIN, int(limit * URGENT_MARGIN_FRACTION))
    return Budget(
        limit=limit,
        limit_source=source,
        used=used,
        queued=sum(_cost(r) for r in _rows(session, PENDING)),
        held=sum(_cost(r) for r in _rows(session, HELD)),
        reserve=reserve + margin,
    )


def enforce(
    svc: Services,
    session: Any,
    rules: SchoolRules,
    outbox: Outbox,
    now: datetime,
    reserve: int = 0,
    quota: Quota | None = None,
) -> Enforced:
    """Hold or release queued pushes so the month's forecast stays within the limit."""
    budget = measure(svc, session, rules, now, reserve, quota)
    result = Enforced(budget)
    held_rows = _rows(session, HELD)
    stale = delivery_log.stale_after_for_outbox(session, [r.id for r in held_rows])
    for row in held_rows:
        if row.id in stale and stale[row.id] < now:
            row.status = EXPIRED
            row.error = "held by the monthly budget past its use"
            result.expired += 1
    held_rows = [r for r in held_rows if r.status == HELD]
    forecast = budget.forecast
    if forecast > budget.limit:
        pending = _rows(session, PENDING)
        for priority in HOLD_ORDER:
            for row in reversed([r for r in pending if r.priority == priority]):
                if forecast <= budget.limit:
                    break
                row.status = HELD
                session.flush()
                forecast -= _cost(row)
                result.held += 1
        if result.held:
            log.warning(
                "monthly budget: %s of %s (%s) forecast; held %s message row(s)",
                budget.forecast,
                budget.limit,
                budget.limit_source,
                result.held,
            )
    else:
        send_at = rules.next_send_time(now)
        for priority in RELEASE_ORDER:
            for row in (r for r in held_rows if r.priority == priority):
                if forecast + _cost(row) > budget.limit:
                    continue
                row.status = PENDING
                row.next_attempt_at = send_at
                forecast += _cost(row)
                result.released += 1
    if result.held:
        held_messages = sum(_cost(r) for r in _rows(session, HELD))
        result.staff_told = _tell_staff(session, rules, outbox, now, budget, held_messages)
    session.flush()
    return result


def _tell_staff(
    session: Any, rules: SchoolRules, outbox: Outbox, now: datetime, budget: Budget, held: int
) -> int:
    """註冊組 hears once a month that notices are being held, and why."""
    period = month_label(now)
    done = delivery_log.delivered(session, STAFF_RULE, period)
    people = [
        p
        for p in recipients.staff_with_roles(session, [recipients.REGISTRAR_ROLE])
        if p.key not in done
    ]
    if not people:
        return 0
    body = text(
        "schedule.budget.held",
        limit=budget.limit,
        used=budget.used,
        queued=budget.queued,
        reserve=budget.reserve,
        held=held,
    )
    accounts = [a for p in people for a in p.line_user_ids]
    rows = outbox.multicast(
        accounts,
        [m.text(body)],
        purpose="budget_hold",
        priority=URGENT,
        not_before=rules.next_send_time(now),
    )
    for person in people:
        delivery_log.record_delivery(
            session, STAFF_RULE, period, person.key, now, now, rows[0].id if rows else None
        )
    return len(people)
