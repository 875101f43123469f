"""What a request or a job needs, built once per process from Settings, without Flask.

The web face builds its services with `build_services` inside create_app; a worker process gets
them from `services()`, which builds them from the environment the first time and keeps them for
every later job. After a fork the child must not reuse the parent's sockets (a database
connection or a Redis connection shared by two processes corrupts both), so the inherited pools
are disposed in the child before it touches them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from rules.model import RulesError
from rules.reader import load_rules
from rules.school_rules import SchoolRules
from runtime.config import ConfigError, Settings, load_settings
from runtime.line import LineGateway
from runtime.queue import (
    JobQueue,
    ManualJobQueue,
    RqJobQueue,
    Runner,
    ThreadJobQueue,
    run_job,
)
from storage import crypto
from storage.clock import Clock, SystemClock
from storage.db import Database
from storage.files import FileStore, LocalFileStore

log = logging.getLogger(__name__)

EXTENSION = "portfolio"


@dataclass
class Services:
    settings: Settings
    db: Database
    line: LineGateway
    queue: JobQueue
    clock: Clock
    files: FileStore
    rules: SchoolRules
    # Backoff waits between LINE retries; tests replace it so no test ever sleeps.
    sleep: Callable[[float], None] = time.sleep
    extras: dict[str, Any] = field(default_factory=dict)

    def after_fork(self) -> None:
        """In a forked child: drop the parent's connections; new ones open on first use."""
        self.db.engine.dispose(close=False)
        redis = getattr(self.queue, "redis", None)
        if redis is not None:
            redis.connection_pool.reset()


# How many times this process built its services; a worker must build them once (tests check).
builds = 0


def build_services(settings: Settings, runner: Runner | None = None, **overrides: Any) -> Services:
    """The services from settings. overrides replace single services (clock, queue, line, files,
    rules, db, sleep) for tests and the demo; queue="manual" means jobs run when a test says so.

    runner: how the in-process queues run a job (the web face wraps it in its app context).
    """
    global builds
    try:
        rules = overrides.pop("rules", None) or load_rules(settings.school_config)
    except RulesError as exc:
        raise ConfigError(f"SCHOOL_CONFIG: {exc}") from None
    crypto.configure(settings.secret_key)
    holder: list[Services] = []

    def run_with_these(func_path: str, args: tuple[Any, ...]) -> None:
        with use(holder[0]):
            (runner or run_job)(func_path, args)

    queue = overrides.pop("queue", None)
    if queue == "manual":
        queue = ManualJobQueue(runner=run_with_these)
    elif queue is None:
        queue = (
            RqJobQueue(settings.redis_url)
            if settings.redis_url
            else ThreadJobQueue(
                run_with_these,
                threads=settings.embedded_event_threads,
                media_threads=settings.embedded_media_threads,
            )
        )
    elif hasattr(queue, "_runner"):
        queue._runner = run_with_these

    svc = Services(
        settings=settings,
        db=overrides.pop("db", None) or Database(settings.database_url),
        line=overrides.pop("line", None)
        or LineGateway(
            settings.line_channel_access_token,
            settings.line_api_base_url,
            settings.line_timeout_seconds,
            connections=max(4, settings.line_send_threads),
        ),
        queue=queue,
        clock=overrides.pop("clock", None) or SystemClock(),
        files=overrides.pop("files", None) or LocalFileStore(settings.storage_dir),
        rules=rules,
    )
    if "sleep" in overrides:
        svc.sleep = overrides.pop("sleep")
    svc.extras.update(overrides)
    holder.append(svc)
    builds += 1
    return svc


# --- reaching the services from a job -----------------------------------------------------------

_current: ContextVar[Services | None] = ContextVar("portfolio_services", default=None)
# A face that keeps services per request (Flask's app context) registers how to find them.
_lookups: list[Callable[[], Services | None]] = []
_process: Services | None = None
_process_lock = threading.Lock()


def register_lookup(lookup: Callable[[], Services | None]) -> None:
    if lookup not in _lookups:
        _lookups.append(lookup)


@contextmanager
def use(svc: Services) -> Iterator[Services]:
    """Run the enclosed code (a job) with these services."""
    token = _current.set(svc)
    try:
        yield svc
    finally:
        _current.reset(token)


def services() -> Services:
    """The services of the running job or request; in a worker, this process's own, built from
    the environment on first use and reused by every later job."""
    svc = _current.get()
    if svc is not None:
        return svc
    for lookup in _lookups:
        found = lookup()
        if found is not None:
            return found
    return process_services()


def process_services() -> Services:
    global _process
    if _process is None:
        with _process_lock:
            if _process is None:
                _process = build_services(load_settings())
                log.info("services built for process %d", os.getpid())
    return _process


def _after_fork_in_child() -> None:
    if _process is not None:
        _process.after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)
