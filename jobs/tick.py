"""The periodic tick rq's scheduler runs: each part works out from the database what is due now.

Running a tick twice, or after Redis was wiped, sends nothing twice and misses nothing: every
part records what it delivered (rule, period, recipient) and skips what is recorded.
"""

from __future__ import annotations

import logging

from jobs import delivery
from runtime.queue import resolve
from runtime.services import Services, services

log = logging.getLogger(__name__)

# Each part: a function in jobs/ taking the services and returning a dict of counts.
PARTS = (
    "jobs.reminders.run",
    "jobs.certification.run",
    "jobs.records.run",
    "jobs.lifecycle.run",
    # Last: holds low-priority pushes any part queued when the month's forecast is over budget.
    "jobs.reminders.enforce_budget",
)


def tick() -> dict[str, dict[str, int]]:
    return run_parts(services())


def run_parts(svc: Services) -> dict[str, dict[str, int]]:
    results: dict[str, dict[str, int]] = {}
    for name in PARTS:
        part, key = resolve(name), name.removesuffix(".run")
        try:
            results[key] = part(svc)
        except Exception:  # one part failing must not stop the others; it runs again next tick
            log.exception("tick part %s failed", key)
            results[key] = {"failed": 1}
    results["delivery"] = {"sent": delivery.deliver_due(svc)}
    return results
