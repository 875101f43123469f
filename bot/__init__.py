"""The web face of the portfolio bot: create_app() builds the Flask app and its services."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, has_app_context

from runtime.config import MAX_WEBHOOK_BODY, ConfigError, Settings, load_settings

__all__ = ["create_app", "ConfigError"]


def create_app(
    settings: Settings | Mapping[str, str] | None = None,
    **overrides: Any,
) -> Flask:
    """Build the app. settings: a Settings, an environment mapping, or None for os.environ.

    overrides replace individual services (clock, queue, line, files, rules, sleep), for tests
    and for the embedded demo.
    """
    # Imported here, not at the top: every `bot.x` import runs this package first, and the CLI
    # and workers import bot modules without building an app.
    from bot import commands, console, files_view, webhook
    from bot.cli_base import StaffGroup
    from jobs import delivery
    from jobs.queue import SWEEP_EVERY_SECONDS, TICK_EVERY_SECONDS
    from runtime import services as runtime_services
    from runtime.queue import ThreadJobQueue, run_job

    from_environment = settings is None
    try:
        if not isinstance(settings, Settings):
            settings = load_settings(settings)
        app = Flask(__name__, instance_relative_config=False)
        # Staff commands answer a wrong input with one Chinese line (bot/cli_base.py).
        app.cli = StaffGroup(app.name)

        def in_app(func_path: str, args: tuple[Any, ...]) -> None:
            with app.app_context():
                run_job(func_path, args)

        svc = runtime_services.build_services(settings, runner=in_app, **overrides)
    except ConfigError as exc:
        if not from_environment:
            raise
        # Start-up from the environment (gunicorn, a worker, the CLI): one clear line, no traceback.
        print(f"portfolio: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

    app.config["MAX_CONTENT_LENGTH"] = MAX_WEBHOOK_BODY
    app.config["SECRET_KEY"] = settings.secret_key
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app.extensions[runtime_services.EXTENSION] = svc

    runtime_services.register_lookup(_app_services)

    queue = svc.queue
    if isinstance(queue, ThreadJobQueue):
        # Answers leave on their own threads, as in a worker process (jobs/worker.py); waiting
        # for the jobs to finish waits for those sends too.
        delivery.send_in_background(svc, settings.line_send_threads)
        queue.also_wait_for(lambda: delivery.wait_for_sends(svc))

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


def _app_services() -> Any:
    """Inside a request or an app context: that app's services (runtime.services asks)."""
    if has_app_context():
        return current_app.extensions.get("portfolio")
    return None
