"""The cron table for rq's own scheduler (`rq cron jobs.cron`): periodic ticks, nothing else.

Each tick computes from the database what is due, so running one twice, or after Redis was
wiped, sends nothing twice and misses nothing.
"""

from rq import cron

from jobs import inbox
from jobs.queue import DEFAULT

SWEEP_EVERY_SECONDS = 30

cron.register(inbox.sweep, DEFAULT, interval=SWEEP_EVERY_SECONDS, name="sweep")

from jobs import tick  # noqa: E402

TICK_EVERY_SECONDS = 300
cron.register(tick.tick, DEFAULT, interval=TICK_EVERY_SECONDS, name="tick")
