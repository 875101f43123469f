"""Queue names and how often the periodic jobs run; runtime/queue.py holds the machinery."""

from __future__ import annotations

EVENTS = "events"  # webhook events: latency matters most
DELIVERY = "delivery"  # outgoing messages
DEFAULT = "default"  # ticks, sweeps, reminders, exports
QUEUE_NAMES = (EVENTS, DELIVERY, DEFAULT)

# How often the sweep and the tick run (rq's cron in jobs/cron.py; a thread in embedded mode).
SWEEP_EVERY_SECONDS = 30
TICK_EVERY_SECONDS = 300
