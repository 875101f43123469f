"""`portfolio serve` (what `make run` starts): the demo school without LINE credentials; with them,
every process the Procfile names, after checks that stop at the first failure with one line.

With REDIS_URL the web, worker and scheduler processes all start here and stop together; without
it the web process alone serves, and runs the jobs and the periodic sweep and tick itself.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
import redis

from bot.cli_base import StaffError, config_error_line
from catalogue import text
from runtime.config import ConfigError, environment, load_settings
from storage import migrate

PROCFILE = Path("Procfile")
POLL_SECONDS = 0.5


def read_procfile(path: Path) -> dict[str, str]:
    """The Procfile's processes, name -> command line, in file order."""
    processes: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line.strip())
        if found:
            processes[found.group(1)] = found.group(2)
    return processes


def plan(env: Mapping[str, str], procfile: Path = PROCFILE) -> list[tuple[str, str]]:
    """(name, command) of every long-running process to start for these settings."""
    try:
        processes = read_procfile(procfile)
    except OSError:
        raise StaffError(text("cli.serve.no_procfile", path=procfile.resolve())) from None
    chosen = []
    for name, command in processes.items():
        if name == "release":
            continue  # migrations: run before anything starts
        if "REDIS_URL" in command and not env.get("REDIS_URL"):
            continue  # the workers and the scheduler: without Redis the web process runs jobs
        if name == "web" and not env.get("REDIS_URL"):
            # One process: jobs run on its thread, and two would each run the periodic jobs.
            command = re.sub(r"--workers\s+\d+", "--workers 1", command)
        chosen.append((name, command))
    return chosen


def preflight(env: Mapping[str, str]) -> None:
    """Settings, the database (migrated here) and Redis: the first failure is one line."""
    try:
        settings = load_settings(env)
    except ConfigError as exc:
        raise StaffError(config_error_line(str(exc))) from None
    try:
        migrate.upgrade(settings.database_url)
    except Exception as exc:  # noqa: BLE001 - any failure to migrate stops the start
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise StaffError(
            text("cli.serve.migrate_failed", error=(reason[0] if reason else type(exc).__name__))
        ) from None
    if settings.redis_url:
        try:
            redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3).ping()
        except redis.RedisError as exc:
            raise StaffError(text("cli.serve.redis_failed", error=type(exc).__name__)) from None


def supervise(
    processes: list[tuple[str, str]],
    env: Mapping[str, str],
    spawn: Callable[..., Any] | None = None,
    echo: Callable[[str], None] = click.echo,
) -> int:
    """Start every process; when one ends, stop the others. Returns the first one's exit code."""
    spawn = spawn or subprocess.Popen
    bin_dir = str(Path(sys.executable).parent)
    child_env = {**env, "PATH": bin_dir + os.pathsep + env.get("PATH", "")}
    running = []
    for name, command in processes:
        echo(text("cli.serve.started", name=name, command=command))
        running.append((name, spawn(["/bin/sh", "-c", f"exec {command}"], env=child_env)))
    try:
        while True:
            for name, proc in running:
                code = proc.poll()
                if code is not None:
                    if len(running) > 1:
                        echo(text("cli.serve.stopped", name=name, code=code))
                    return int(code)
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        return 0
    finally:
        for _, proc in running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc in running:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@click.command("serve", help=text("cli.serve.help"))
@click.pass_context
def serve_command(ctx: click.Context) -> None:
    env = environment()
    if not env.get("LINE_CHANNEL_SECRET", "").strip():
        click.echo(text("cli.serve.demo"))
        # The demo lives in dev/, above the product: reach it through the command line.
        root = ctx.find_root()
        demo = root.command.get_command(root, "demo")  # type: ignore[attr-defined]
        # Parsed, not ctx.invoke()d, so that its options read their variables (PORT).
        with demo.make_context("demo", [], parent=ctx) as demo_ctx:
            demo.invoke(demo_ctx)
        return
    preflight(env)
    processes = plan(env)
    if not env.get("REDIS_URL"):
        click.echo(text("cli.serve.embedded"))
    code = supervise(processes, env)
    if code:
        raise click.exceptions.Exit(1)
