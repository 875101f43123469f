"""Webhook ack latency at a fixed request rate: this product against the SDK-example baseline.

Both apps run under gunicorn (2 workers x 4 threads) on this machine; LINE is the local
platform set to answer after 150 ms. Requests carry 1-5 signed events from many users and are
sent open-loop at a fixed rate; latency is measured from each request's scheduled send time, so
a stalled server cannot hide its queueing. The baseline replies inside the request, as the
line-bot-sdk examples do (WebhookHandler + MessagingApi.reply_message).

Run: .venv/bin/python bench/webhook_ack.py [--rate 200] [--seconds 10]
Needs PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from dev.emulator import events as ev  # noqa: E402
from dev.emulator.server import EmulatorServer  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/14"
SECRET = "bench-channel-secret-0123456789abcdef"
LINE_LATENCY = 0.150
GUNICORN = [
    sys.executable,
    "-m",
    "gunicorn",
    "--workers",
    "2",
    "--threads",
    "4",
    "--worker-class",
    "gthread",
    "--log-level",
    "warning",
]

BASELINE_APP = textwrap.dedent('''
    """The line-bot-sdk example shape: parse and reply inside the request."""
    import os
    from flask import Flask, abort, request
    from linebot.v3 import WebhookHandler
    from linebot.v3.exceptions import InvalidSignatureError
    from linebot.v3.messaging import (ApiClient, Configuration, MessagingApi,
                                      ReplyMessageRequest, TextMessage)
    from linebot.v3.webhooks import MessageEvent, TextMessageContent

    app = Flask(__name__)
    handler = WebhookHandler(os.environ["LINE_CHANNEL_SECRET"])
    configuration = Configuration(host=os.environ["LINE_API_BASE_URL"],
                                  access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"])

    @app.route("/callback", methods=["POST"])
    def callback():
        signature = request.headers["X-Line-Signature"]
        body = request.get_data(as_text=True)
        try:
            handler.handle(body, signature)
        except InvalidSignatureError:
            abort(400)
        return "OK"

    @handler.add(MessageEvent, message=TextMessageContent)
    def handle_message(event):
        with ApiClient(configuration) as api_client:
            MessagingApi(api_client).reply_message_with_http_info(ReplyMessageRequest(
                reply_token=event.reply_token,
                messages=[TextMessage(text=event.message.text)]))
''')


def make_bodies(count: int, platform: object) -> list[tuple[bytes, str]]:
    """Realistic bodies: 1-5 text events, from a pool of users, with fresh reply tokens."""
    rng = random.Random(7)
    users = [ev.user_id_for(f"student{n}") for n in range(1500)]
    words = ["上傳", "我的歷程", "說明", "好的謝謝", "ABCD-EFGH", "這是我的簡述" * 3]
    bodies = []
    for _ in range(count):
        n = rng.choice([1, 1, 1, 2, 2, 3, 4, 5])
        events = [
            ev.text_event(rng.choice(users), rng.choice(words), platform=platform) for _ in range(n)
        ]
        body = ev.body(events)
        bodies.append((body, ev.sign(body, SECRET)))
    return bodies


def wait_ready(port: int, path: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request(
                "GET" if path != "/callback" else "POST",
                path,
                body=b"" if path == "/callback" else None,
            )
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load(
    port: int, bodies: list[tuple[bytes, str]], rate: float, seconds: float
) -> dict[str, float]:
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    local = threading.local()

    def send(index: int, scheduled: float) -> None:
        nonlocal errors
        body, signature = bodies[index % len(bodies)]
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        try:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            conn.request(
                "POST",
                "/callback",
                body=body,
                headers={"Content-Type": "application/json", "X-Line-Signature": signature},
            )
            response = conn.getresponse()
            response.read()
            ok = 200 <= response.status < 300
        except (OSError, http.client.HTTPException):
            local.conn = None
            ok = False
        elapsed = time.perf_counter() - scheduled
        with lock:
            if ok:
                latencies.append(elapsed)
            else:
                errors += 1

    start = time.perf_counter() + 0.5
    with ThreadPoolExecutor(max_workers=256) as pool:
        for i in range(total):
            pool.submit(send, i, start + i / rate)
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "sent": total,
        "ok": len(latencies),
        "errors": errors,
        "p50": pct(0.50),
        "p99": pct(0.99),
        "max": (latencies[-1] * 1000 if latencies else float("nan")),
        "mean": (statistics.fmean(latencies) * 1000 if latencies else float("nan")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    args = parser.parse_args()

    from redis import Redis

    from storage import migrate

    Redis.from_url(REDIS_URL).flushdb()
    with migrate.throwaway_postgres(PG_ADMIN, "portfolio_bench") as db_url:
        results: dict[str, dict[str, float]] = {}
        with EmulatorServer() as line, tempfile.TemporaryDirectory() as tmp:
            line.platform.quota = 10**9
            line.platform.set_latency(LINE_LATENCY)
            bodies = make_bodies(int(args.rate * args.seconds), line.platform)
            warmup = make_bodies(50, line.platform)
            env = {
                **os.environ,
                "LINE_CHANNEL_SECRET": SECRET,
                "LINE_CHANNEL_ACCESS_TOKEN": line.channel_access_token,
                "LINE_API_BASE_URL": line.base_url,
                "SECRET_KEY": secrets.token_urlsafe(32),
                "DATABASE_URL": db_url,
                "REDIS_URL": REDIS_URL,
                "STORAGE_DIR": tmp,
                "PYTHONPATH": str(ROOT),
            }
            Path(tmp, "baseline_app.py").write_text(BASELINE_APP)
            runs = (
                ("this product", [*GUNICORN, "bot:create_app()"], ROOT),
                ("SDK-example baseline", [*GUNICORN, "baseline_app:app"], Path(tmp)),
            )
            for name, command, cwd in runs:
                port = free_port()
                bind = ["--bind", f"127.0.0.1:{port}"]
                server = subprocess.Popen([*command, *bind], cwd=cwd, env=env)
                try:
                    wait_ready(port, "/healthz" if name == "this product" else "/callback")
                    load(port, warmup, 20, 1.0)  # warm-up: connections, imports, caches
                    results[name] = load(port, bodies, args.rate, args.seconds)
                finally:
                    server.terminate()
                    server.wait(timeout=30)
    Redis.from_url(REDIS_URL).flushdb()

    print(
        f"\nwebhook ack latency, {args.rate:.0f} req/s for {args.seconds:.0f} s, "
        f"LINE answering after {LINE_LATENCY * 1000:.0f} ms, {os.cpu_count()} cores"
    )
    print(f"{'':24}{'sent':>7}{'2xx':>7}{'non-2xx':>9}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for name, r in results.items():
        print(
            f"{name:24}{r['sent']:>7.0f}{r['ok']:>7.0f}{r['errors']:>9.0f}"
            f"{r['p50']:>10.1f}{r['p99']:>10.1f}{r['max']:>10.1f}"
        )
    ours, base = results["this product"], results["SDK-example baseline"]
    ratio = (
        ours["p99"] / base["p99"] if base["p99"] == base["p99"] and base["p99"] else float("nan")
    )
    print(
        f"\np99 ratio (ours / baseline): {ratio:.4f}  (goal <= 0.100); "
        f"our p99 goal <= 25 ms: {'met' if ours['p99'] <= 25 else 'NOT met'}; "
        f"our non-2xx: {ours['errors']:.0f} (goal 0)"
    )


if __name__ == "__main__":
    main()
