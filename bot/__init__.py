"""The web face of the portfolio bot: create_app() builds the Flask app and its services."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask

from bot.config import MAX_WEBHOOK_BODY, ConfigError, Settings, load_settings

__all__ = ["create_app", "ConfigError"]


def create_app(
    settings: Settings | Mapping[str, str] | None = None,
    **overrides: Any,
) -> Flask:
    """Build the app. settings: a Settings, an environment mapping, or None for os.environ.

    overrides replace individual services (clock, queue, line, files, rules, sleep), for tests
    and for the embedded demo.
    """
    from bot import commands, console, files_view, webhook
    from bot.line import LineGateway
    from bot.services import EXTENSION, Services
    from jobs.queue import (
        SWEEP_EVERY_SECONDS,
        TICK_EVERY_SECONDS,
        ManualJobQueue,
        RqJobQueue,
        ThreadJobQueue,
        run_job,
    )
    from rules.model import RulesError
    from rules.reader import load_rules
    from storage import crypto
    from storage.clock import SystemClock
    from storage.db import Database
    from storage.files import LocalFileStore

    from_environment = settings is None
    try:
        if not isinstance(settings, Settings):
            settings = load_settings(settings)
        try:
            rules = overrides.pop("rules", None) or load_rules(settings.school_config)
        except RulesError as exc:
            raise ConfigError(f"SCHOOL_CONFIG: {exc}") from None
    except ConfigError as exc:
        if not from_environment:
            raise
        # Start-up from the environment (gunicorn, a worker, the CLI): one clear line, no traceback.
        print(f"portfolio: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

    app = Flask(__name__, instance_relative_config=False)
    app.config["MAX_CONTENT_LENGTH"] = MAX_WEBHOOK_BODY
    app.config["SECRET_KEY"] = settings.secret_key
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    crypto.configure(settings.secret_key)
    db = overrides.pop("db", None) or Database(settings.database_url)

    def in_app(func_path: str, args: tuple[Any, ...]) -> None:
        with app.app_context():
            run_job(func_path, args)

    queue = overrides.pop("queue", None)
    if queue == "manual":
        queue = ManualJobQueue(runner=in_app)
    elif queue is None:
        queue = RqJobQueue(settings.redis_url) if settings.redis_url else ThreadJobQueue(in_app)
    elif hasattr(queue, "_runner"):
        queue._runner = in_app

    svc = Services(
        settings=settings,
        db=db,
        line=overrides.pop("line", None)
        or LineGateway(
            settings.line_channel_access_token,
            settings.line_api_base_url,
            settings.line_timeout_seconds,
        ),
        queue=queue,
        clock=overrides.pop("clock", None) or SystemClock(),
        files=overrides.pop("files", None) or LocalFileStore(settings.storage_dir),
        rules=rules,
    )
    if "sleep" in overrides:
        svc.sleep = overrides.pop("sleep")
    svc.extras.update(overrides)
    app.extensions[EXTENSION] = svc

    if isinstance(queue, ThreadJobQueue):
        # Embedded mode has no rq scheduler: the serving process runs the sweep and the tick
        # itself, from its first request on (CLI commands never start them).
        @app.before_request
        def _start_periodic_jobs() -> None:
            queue.every(SWEEP_EVERY_SECONDS, "jobs.inbox.sweep")
            queue.every(TICK_EVERY_SECONDS, "jobs.tick.tick")

    app.register_blueprint(webhook.bp)
    app.register_blueprint(webhook.health)
    app.register_blueprint(files_view.bp)
    console.init_app(app)
    commands.init_app(app)
    return app
