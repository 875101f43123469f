"""The rq worker class of the Procfile: jobs run in the worker's own process, on services built
once for that process.

rq's default Worker forks a work horse for every job, so a horse inherits nothing it has not
built itself and pays the start-up again each time. Here each worker process (rq's worker pool
starts several from one Procfile line and replaces any that dies) builds the services before
its first job and keeps them; runtime.services disposes of any database and Redis connections
a forked child inherited. A killed worker loses at most the job it was running: the event is
still pending in the inbox, and the sweep hands it out again (jobs/queue.py: within 30 s).
"""

from __future__ import annotations

import logging
from typing import Any

from rq.worker import SimpleWorker

from jobs import inbox
from runtime.services import process_services

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Worker(SimpleWorker):
    def work(self, *args: Any, **kwargs: Any) -> bool:
        # The product's own loggers (runtime, jobs, flows) next to rq's.
        logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
        warm_up()
        return super().work(*args, **kwargs)


def warm_up() -> None:
    """Build this process's services and get them ready to answer events, before the first
    job: the first person's answer should not wait."""
    inbox.get_ready(process_services())
