"""The product as the Procfile starts it: real processes on loopback, for tests and benchmarks.

Every wait is a bounded poll; nothing here sleeps to assert timing.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], timeout: float, step: float = 0.1) -> Any:
    """Poll check() until it returns something true, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            return result
        time.sleep(step)


def procfile_lines(path: Path = ROOT / "Procfile") -> dict[str, str]:
    lines: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            name, _, command = raw.partition(":")
            lines[name.strip()] = command.strip()
    return lines


def children_of(pid: int) -> list[int]:
    """Direct children of a process, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its closing paren.
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


class Processes:
    """Start named Procfile lines with an environment; stop them all (process groups)."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_dir: Path,
        lines: Mapping[str, str] | None = None,
        overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.lines = dict(lines or procfile_lines())
        self.lines.update(overrides or {})
        self.env = {
            **env,
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', os.defpath)}",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        self.log_dir = log_dir
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []

    def command(self, name: str) -> str:
        # Loopback only: the web line binds every interface in production.
        return self.lines[name].replace("0.0.0.0", "127.0.0.1")

    def run(self, name: str, timeout: float = 120) -> None:
        """A one-off line (release): run it to the end."""
        subprocess.run(
            ["bash", "-c", self.command(name)],
            cwd=ROOT,
            env=self.env,
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
        )

    def start(self, *names: str) -> None:
        for name in names:
            log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
            self._logs.append(log)
            self.running[name] = subprocess.Popen(
                ["bash", "-c", "exec " + self.command(name)],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def pid(self, name: str) -> int:
        return self.running[name].pid

    def stop(self, *names: str, timeout: float = 20) -> None:
        for name in names or tuple(self.running):
            process = self.running.pop(name, None)
            if process is None:
                continue
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(timeout=timeout)
                    break
                except subprocess.TimeoutExpired:
                    continue
            # Whatever the pool left behind in its group goes too.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not self.running:
            for log in self._logs:
                log.close()
            self._logs.clear()


def http_ok(port: int, path: str = "/healthz") -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", path)
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def workers_ready(redis_url: str, count: int) -> bool:
    from redis import Redis
    from rq import Worker

    client = Redis.from_url(redis_url)
    try:
        return len(Worker.all(connection=client)) >= count
    finally:
        client.close()
