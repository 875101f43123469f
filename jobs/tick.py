"""The periodic tick rq's scheduler runs: each part works out from the database what is due now.

Running a tick twice, or after Redis was wiped, sends nothing twice and misses nothing: every
part records what it delivered (rule, period, recipient) and skips what is recorded.
"""

from __future__ import annotations

import importlib
import logging

from bot.services import Services, services

log = logging.getLogger(__name__)

# Each part: a module in jobs/ with run(svc) -> dict of counts.
PARTS = (
    "jobs.reminders",
    "jobs.certification",
    "jobs.records",
    "jobs.lifecycle",
    # Leftover temporary files and bytes no row names (refused uploads, killed workers).
    "jobs.files",
    # Last: holds low-priority pushes any part queued when the month's forecast is over budget.
    "jobs.budget",
)


def tick() -> dict[str, dict[str, int]]:
    return run_parts(services())


def run_parts(svc: Services) -> dict[str, dict[str, int]]:
    results: dict[str, dict[str, int]] = {}
    for name in PARTS:
        module = importlib.import_module(name)
        try:
            results[name] = module.run(svc)
        except Exception:  # one part failing must not stop the others; it runs again next tick
            log.exception("tick part %s failed", name)
            results[name] = {"failed": 1}
    from jobs import delivery

    results["delivery"] = {"sent": delivery.deliver_due(svc)}
    return results
