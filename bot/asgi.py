"""The web process as gunicorn serves it: an asyncio front that buffers, then the Flask app.

gunicorn's thread worker ties one thread to each request from its first byte to its last, so
twelve clients trickling a body at a byte a second took every thread and LINE's deliveries
timed out. Here gunicorn's asyncio worker (`-k asgi`, see the Procfile) does every read and
write on the network; this front collects a request's whole body first (within
Settings.web_body_timeout_seconds, at most Settings.web_max_body_bytes, spooled to disk past
256 KB), runs the Flask app on a thread only once the request is complete, buffers its whole
response the same way and sends it from the event loop. A slow sender or a slow reader costs
a coroutine and a buffer, never a thread: the behaviour of a request-buffering proxy such as
nginx, inside the process. (A proxy in front is still the advice for TLS: see README.)
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from tempfile import SpooledTemporaryFile
from typing import Any

from flask import Flask

from bot import create_app, webhook
from jobs import delivery, inbox
from jobs.queue import EVENTS
from runtime.queue import LocalFirstQueue, RqJobQueue, ThreadJobQueue, run_job
from runtime.services import Services, use

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Header = tuple[bytes, bytes]

SPOOL_BYTES = 256 * 1024
SEND_CHUNK = 64 * 1024


class BufferingFront:
    """An ASGI app around a WSGI app: whole request in, whole response out, threads in between."""

    def __init__(
        self,
        wsgi_app: Callable[..., Iterable[bytes]],
        *,
        body_timeout: float,
        max_body: int,
        threads: int,
        on_shutdown: Callable[[], None] | None = None,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.on_shutdown = on_shutdown
        self.body_timeout = body_timeout
        self.max_body = max_body
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="web")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # no websockets here: the server closes the connection
        with SpooledTemporaryFile(max_size=SPOOL_BYTES) as body:
            refusal = await self._read_body(receive, body)
            if refusal == 0:
                return  # the client went away
            if refusal is not None:
                await _plain(send, refusal)
                return
            size = body.tell()
            body.seek(0)
            loop = asyncio.get_running_loop()
            status, headers, out = await loop.run_in_executor(
                self.executor, self._run, scope, body, size
            )
        with out:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            out.seek(0)
            while chunk := out.read(SEND_CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _read_body(self, receive: Receive, body: Any) -> int | None:
        """Collect the body; None when complete, else the status to answer (0: disconnected)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout
        size = 0
        while True:
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise TimeoutError
                message = await asyncio.wait_for(receive(), remaining)
            except TimeoutError:
                log.info("request body not complete within %.0f s: 408", self.body_timeout)
                return 408
            if message["type"] == "http.disconnect":
                return 0
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return 413
            body.write(chunk)
            if not message.get("more_body"):
                return None

    def _run(self, scope: Scope, body: Any, size: int) -> tuple[int, list[Header], Any]:
        """On a thread: the WSGI app on the complete request, its response into a spool."""
        out = SpooledTemporaryFile(max_size=SPOOL_BYTES)
        started: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = [
                (k.lower().encode("latin1"), v.encode("latin1")) for k, v in headers
            ]
            return out.write

        try:
            result = self.wsgi_app(environ(scope, body, size), start_response)
            try:
                for chunk in result:
                    if chunk:
                        out.write(chunk)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except BaseException:
            out.close()
            raise
        return started["status"], started["headers"], out

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.executor.shutdown(wait=True)
                if self.on_shutdown is not None:
                    await asyncio.get_running_loop().run_in_executor(None, self.on_shutdown)
                await send({"type": "lifespan.shutdown.complete"})
                return


def environ(scope: Scope, body: Any, size: int) -> dict[str, Any]:
    """The WSGI environ of a complete ASGI HTTP request (PEP 3333)."""
    root = scope.get("root_path", "")
    path = scope["path"]
    if root and path.startswith(root):
        path = path[len(root) :]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    env: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root.encode("utf8").decode("latin1"),
        "PATH_INFO": path.encode("utf8").decode("latin1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "SERVER_PROTOCOL": "HTTP/" + scope.get("http_version", "1.1"),
        "REMOTE_ADDR": str(client[0]),
        "REMOTE_PORT": str(client[1]),
        # The body is complete: its length is what was received, whatever a header said.
        "CONTENT_LENGTH": str(size),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin1").upper().replace("-", "_")
        value = raw_value.decode("latin1")
        if name == "CONTENT_LENGTH":
            continue
        key = "CONTENT_TYPE" if name == "CONTENT_TYPE" else f"HTTP_{name}"
        env[key] = f"{env[key]},{value}" if key in env else value
    return env


async def _plain(send: Send, status: int) -> None:
    text = {408: b"request body too slow", 413: b"request body too large"}.get(status, b"")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain"),
                (b"connection", b"close"),
                (b"content-length", str(len(text)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": text, "more_body": False})


def answer_events_here(app: Flask, svc: Services) -> Callable[[], None] | None:
    """With Redis, this web process answers chat events itself on its own thread
    (WEB_EVENT_THREADS), right after the webhook stored them: no hop through Redis, no wait
    for a worker to take the job. Files (the media queue), staff jobs, and events beyond the
    backlog still go to the workers.
    Returns what to run at shutdown: finish what was taken, send what was answered."""
    settings = svc.settings
    if not isinstance(svc.queue, RqJobQueue) or settings.web_event_threads < 1:
        return None

    def run(func_path: str, args: tuple[Any, ...]) -> None:
        with app.app_context(), use(svc):
            run_job(func_path, args)

    local = ThreadJobQueue(run, threads=settings.web_event_threads)
    svc.queue = LocalFirstQueue(svc.queue, local, {EVENTS}, settings.web_event_backlog)
    inbox.get_ready(svc)

    def finish() -> None:
        local.join()
        delivery.wait_for_sends(svc)

    return finish


def create_asgi_app() -> BufferingFront:
    """What the Procfile's web line serves: the app from the environment, behind the front."""
    app = create_app()
    svc = app.extensions["portfolio"]
    settings = svc.settings
    finish = answer_events_here(app, svc)
    webhook.rehearse(app)
    return BufferingFront(
        app,
        body_timeout=settings.web_body_timeout_seconds,
        max_body=settings.web_max_body_bytes,
        threads=settings.web_threads,
        on_shutdown=finish,
    )
