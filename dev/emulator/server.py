"""Run the LINE emulator on 127.0.0.1 in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Any, Self

import click
from flask.cli import with_appcontext
from linebot.v3.messaging import Configuration
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler, make_server

from catalogue import text
from dev.emulator.app import create_app
from dev.emulator.platform import Platform
from storage.clock import Clock

DEFAULT_HOST = "127.0.0.1"
STOP_TIMEOUT_SECONDS = 5.0
# How often serve_forever looks for a stop request: stop() waits up to this long, per test.
POLL_INTERVAL_SECONDS = 0.01


class _QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request: tests and benchmarks read `platform.requests` instead."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _TrackingServer(ThreadedWSGIServer):
    """Remembers open client sockets so stop() can end keep-alive connections at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._open_sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._sockets_lock:
            self._open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._sockets_lock:
            self._open_sockets.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        with self._sockets_lock:
            sockets = list(self._open_sockets)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client closed it first


class EmulatorServer:
    """The emulator on a free local port; `with EmulatorServer() as line: line.base_url`."""

    def __init__(
        self,
        platform: Platform | None = None,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        clock: Clock | None = None,
    ) -> None:
        self.platform = platform or Platform(clock)
        self._host = host
        self._port = port
        self._server: _TrackingServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def channel_access_token(self) -> str:
        return self.platform.channel_access_token

    def configuration(self) -> Configuration:
        """An SDK configuration that points both LINE hosts at this emulator."""
        return Configuration(host=self.base_url, access_token=self.channel_access_token)

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = _TrackingServer(
            self._host, self._port, create_app(self.platform), handler=_QuietRequestHandler
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            args=(POLL_INTERVAL_SECONDS,),
            name="line-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        self.platform.release_all()
        server.close_open_connections()
        server.server_close()
        if thread is not None:
            thread.join(STOP_TIMEOUT_SECONDS)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve(host: str, port: int, channel_access_token: str, quota: int) -> None:
    """Run the emulator in the foreground until interrupted (`portfolio emulator`)."""
    platform = Platform(channel_access_token=channel_access_token, quota=quota)
    server = make_server(host, port, create_app(platform), threaded=True)
    print(f"LINE emulator on http://{host}:{server.server_port} (quota {quota})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        platform.release_all()
        server.server_close()


@click.command("emulator", help=text("cli.added.emulator.help"))
@click.option("--host", default="127.0.0.1", show_default=True, help=text("cli.emulator.opt.host"))
@click.option(
    "--port", default=8090, show_default=True, type=int, help=text("cli.emulator.opt.port")
)
@click.option(
    "--token", default="local-access-token", show_default=True, help=text("cli.emulator.opt.token")
)
@click.option(
    "--quota", default=200, show_default=True, type=int, help=text("cli.emulator.opt.quota")
)
@with_appcontext
def emulator_command(host: str, port: int, token: str, quota: int) -> None:
    serve(host=host, port=port, channel_access_token=token, quota=quota)
