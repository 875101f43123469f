"""Tick part: the 附表二 schedule, event notices and 公告 go out on time, once, to the right people.

Each tick works out from the database and the rules what is due now: schedule rows whose instant
has passed (catching up on any missed within CATCH_UP), event notices, day-before reminders,
RSVP counts, the rule-六 check, and announcements. Every (rule, period, recipient) handed to the
outbox is written to the delivery log in the same transaction, and anything already there is
skipped, so a second tick, or a tick after Redis was wiped, sends nothing twice and misses nothing.

Nothing is pushed in quiet hours: the tick plans nothing then, and what was due waits for the first
tick after them. What one person is due in one tick travels in one push (a push is charged per
recipient whatever it holds), and people due identical pushes share a multicast (≤ 500 ids a call).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from jobs import budget, certification
from jobs.event_notices import (
    plan_announcements,
    plan_events,
    plan_required_events,
    plan_semester_events,
)
from jobs.notice_audiences import forecast_urgent, safe_targets
from jobs.notice_plan import CATCH_UP, Plan, period_of
from rules.school_rules import SchoolRules
from runtime.services import Services
from school import delivery_log, windows
from storage.db import lock_named
from storage.outbox import Outbox

TICK_LOCK = "schedule-tick"


# --- the tick ------------------------------------------------------------------------------------


def run(svc: Services) -> dict[str, int]:
    """Plan and record everything due now; the tick delivers the outbox afterwards."""
    now = svc.clock.now()
    counts: Counter[str] = Counter()
    quota = budget.quota_limit(svc, svc.rules)  # HTTP to LINE: before the lock, not under it
    with svc.db.transaction() as session:
        lock_named(session, TICK_LOCK)
        rules = windows.effective_rules(session, svc.rules)
        outbox = Outbox(session, now)
        if rules.is_quiet(now):
            counts["quiet"] = 1
        else:
            plan = Plan()
            plan_schedule(session, rules, now, plan)
            plan_events(session, rules, now, plan)
            plan_required_events(session, rules, now, plan)
            plan_semester_events(session, rules, now, plan)
            plan_announcements(session, now, plan)
            counts.update(plan.send(session, outbox, now))
        reserve = forecast_required(session, rules, now)
        enforced = budget.enforce(svc, session, rules, outbox, now, reserve, quota)
        counts.update(enforced.as_counts())
    return dict(counts)


def enforce_budget(svc: Services) -> dict[str, int]:
    """A tick part on its own, run last: hold low-priority pushes any part queued while the
    month's forecast is over budget."""
    now = svc.clock.now()
    quota = budget.quota_limit(svc, svc.rules)
    with svc.db.transaction() as session:
        rules = windows.effective_rules(session, svc.rules)
        outbox = Outbox(session, now)
        reserve = forecast_required(session, rules, now)
        return budget.enforce(svc, session, rules, outbox, now, reserve, quota).as_counts()


def forecast_required(session: Any, rules: SchoolRules, now: datetime) -> int:
    """Kept free this month for what must still go out: the urgent rows still due and the
    certification digests, so that a low-priority notice queued today cannot use it up."""
    end = budget.month_bounds(now)[1]
    return forecast_urgent(session, rules, now, end) + certification.forecast_digests(
        session, rules, now, end
    )


def plan_schedule(session: Any, rules: SchoolRules, now: datetime, plan: Plan) -> None:
    for occurrence in rules.due_between(now - CATCH_UP, now):
        rule, period = f"row:{occurrence.row.id}", period_of(occurrence)
        done = delivery_log.delivered(session, rule, period)
        for person, item in safe_targets(session, rules, occurrence, now):
            if person.key not in done:
                plan.add(person, item)
