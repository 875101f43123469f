"""The cron table for rq's own scheduler (`rq cron jobs.cron`): periodic ticks, nothing else.

Each tick computes from the database what is due, so running one twice, or after Redis was
wiped, sends nothing twice and misses nothing.
"""

from typing import Any

from rq import cron
from rq.queue import Queue
from rq.serializers import JSONSerializer

from jobs import inbox, tick
from jobs.queue import DEFAULT, SWEEP_EVERY_SECONDS, TICK_EVERY_SECONDS


class _JsonQueue(Queue):
    """A queue that writes jobs as JSON, which is what our workers read (Procfile)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("serializer", JSONSerializer)
        super().__init__(*args, **kwargs)


# rq's cron enqueues through Queue(name, connection=...) with the default (pickle) serializer and
# takes no serializer option, so a JSON worker could not read a single tick (DeserializationError).
cron.Queue = _JsonQueue  # type: ignore[attr-defined,misc]

cron.register(inbox.sweep, DEFAULT, interval=SWEEP_EVERY_SECONDS, name="sweep")
cron.register(tick.tick, DEFAULT, interval=TICK_EVERY_SECONDS, name="tick")
