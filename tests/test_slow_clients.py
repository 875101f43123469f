"""Slow clients cannot starve the web process: the Procfile's own web line, probed for real.

Twelve sockets trickle a 100 KB body at a byte a second (what took every gunicorn thread
before); meanwhile fifty signed webhooks must each be answered within a second.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dev.emulator import events as ev
from tests.conftest import CHANNEL_SECRET

ROOT = Path(__file__).resolve().parents[1]
SLOW_SOCKETS = 12
WEBHOOKS = 50
ANSWER_WITHIN = 1.0
BODY_TIMEOUT = 4


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _web_command(port: int) -> list[str]:
    """The Procfile's web line, as a hosting platform would run it."""
    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    command = line.removeprefix("web:").strip().replace("${PORT:-8000}", str(port))
    assert "$" not in command, command
    argv = shlex.split(command)
    assert argv[0] == "gunicorn"
    return [sys.executable, "-m", "gunicorn", *argv[1:]]


def _wait_until_serving(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(server.stderr.read().decode() if server.stderr else "died")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            threading.Event().wait(0.2)
    raise AssertionError("the web process did not start")


@pytest.fixture
def web(
    pg_url: str, db: Any, redis_url: str, line: Any, _emulator: Any, tmp_path: Path
) -> Iterator[int]:
    port = _free_port()
    env = {
        **os.environ,
        "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": _emulator.channel_access_token,
        "LINE_API_BASE_URL": _emulator.base_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "STORAGE_DIR": str(tmp_path / "files"),
        "WEB_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("PORTFOLIO_DEMO", None)
    server = subprocess.Popen(
        _web_command(port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        _wait_until_serving(port, server)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGINT)  # quick shutdown: nothing is left to finish
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


class _Trickler:
    """Sockets that send headers for a 100 KB body, then one byte a second."""

    def __init__(self, port: int, count: int) -> None:
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(
                b"POST /callback HTTP/1.1\r\nHost: probe\r\n"
                b"Content-Type: application/json\r\nX-Line-Signature: x\r\n"
                b"Content-Length: 100000\r\n\r\n{"
            )
            self.sockets.append(sock)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.wait(1.0):
            for sock in self.sockets:
                try:
                    sock.send(b" ")
                except OSError:
                    pass

    def answers(self) -> list[bytes]:
        self.stop.set()
        self.thread.join()
        got = []
        for sock in self.sockets:
            sock.settimeout(BODY_TIMEOUT + 5)
            try:
                got.append(sock.recv(200))
            except OSError:
                got.append(b"")
            sock.close()
        return got


def test_slow_bodies_do_not_delay_signed_webhooks(web: int, line: Any) -> None:
    slow = _Trickler(web, SLOW_SOCKETS)
    try:
        threading.Event().wait(1.5)  # let every slow socket reach the server and start its body
        took = []
        for n in range(WEBHOOKS):
            body = ev.body([ev.follow_event(f"Uprobe{n:02d}", platform=line)])
            connection = http.client.HTTPConnection("127.0.0.1", web, timeout=ANSWER_WITHIN + 1)
            started = time.monotonic()
            connection.request(
                "POST",
                "/callback",
                body=body,
                headers={
                    "X-Line-Signature": ev.sign(body, CHANNEL_SECRET),
                    "Content-Type": "application/json",
                },
            )
            response = connection.getresponse()
            assert response.status == 200 and response.read() == b"OK"
            took.append(time.monotonic() - started)
            connection.close()
        assert max(took) < ANSWER_WITHIN, f"slowest webhook answer {max(took):.2f} s"
    finally:
        answers = slow.answers()
    # The trickling bodies never completed: each got 408 once its time was up.
    assert all(re.match(rb"HTTP/1.1 408", a) for a in answers), answers
