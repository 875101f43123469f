"""What a request or a job needs, made once per process and reached from either side."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_app_context

from bot.config import Settings
from bot.line import LineGateway
from jobs.queue import JobQueue
from rules.model import SchoolRules
from storage.clock import Clock
from storage.db import Database
from storage.files import FileStore

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


def services() -> Services:
    """The running app's services; a worker process builds its own app from the environment."""
    if has_app_context():
        return current_app.extensions[EXTENSION]
    return _worker_app().extensions[EXTENSION]


@functools.lru_cache(maxsize=1)
def _worker_app() -> Any:
    from bot import create_app

    return create_app()
