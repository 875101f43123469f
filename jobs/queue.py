"""Queue names and how often the periodic jobs run; runtime/queue.py holds the machinery."""

from __future__ import annotations

from typing import Any

# The runtime treats these two itself: DEFAULT when none is named, MEDIA with threads of its own.
from runtime.queue import DEFAULT, MEDIA, JobQueue

EVENTS = "events"  # webhook events with text, taps, follows: latency matters most
# MEDIA: webhook events that carry a file: fetched from LINE and fitted, seconds each
DELIVERY = "delivery"  # outgoing messages
# DEFAULT: ticks, sweeps, reminders, exports, backups
QUEUE_NAMES = (EVENTS, MEDIA, DELIVERY, DEFAULT)

# How often the sweep and the tick run (rq's cron in jobs/cron.py; a thread in embedded mode).
# The sweep's period plus storage/inbox.py's STALE_AFTER bound how long an orphaned event waits
# (the goal: picked up within 30 s).
SWEEP_EVERY_SECONDS = 10
TICK_EVERY_SECONDS = 300


def enqueue_events(queue: JobQueue, stored: list[Any]) -> None:
    """Hand stored inbox events (storage.inbox.Stored) to the workers: those with a file go to
    the media queue, so a download or a photo being fitted never holds up the next person's
    text. Per-user order holds across both queues: jobs.inbox takes the user's lock and
    always handles the user's earliest pending event first."""
    for name, with_file in ((EVENTS, False), (MEDIA, True)):
        ids = [s.id for s in stored if s.needs_work and s.carries_file == with_file]
        if ids:
            queue.enqueue_each("jobs.inbox.process_event", ids, queue=name)
