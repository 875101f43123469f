"""The product as its Procfile starts it (web, worker and media pools, scheduler): services built
once per worker process, and nothing lost when Redis is flushed, the processes answering an
event are killed or LINE answers 500. Recovery must come within 30 s; every wait is a bounded
poll."""

from __future__ import annotations

import os
import re
import secrets
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from dev.emulator import events as ev
from storage.clock import SystemClock
from tests.conftest import CHANNEL_SECRET, PG_ADMIN_URL
from tests.processes import (
    Processes,
    children_of,
    free_port,
    http_ok,
    procfile_lines,
    wait_until,
    workers_ready,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

RECOVERY_BOUND = 30.0


def _pool_size(name: str) -> int:
    words = procfile_lines()[name].split()
    return int(words[words.index("--num-workers") + 1])


class Layout:
    def __init__(
        self, procs: Processes, port: int, platform: Any, db_url: str, redis_url: str
    ) -> None:
        self.procs, self.port, self.platform = procs, port, platform
        self.db_url, self.redis_url = db_url, redis_url

    def post(self, events: list[dict[str, Any]]) -> None:
        import http.client

        body = ev.body(events)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request(
            "POST",
            "/callback",
            body=body,
            headers={
                "X-Line-Signature": ev.sign(body, CHANNEL_SECRET),
                "Content-Type": "application/json",
            },
        )
        assert conn.getresponse().status == 200
        conn.close()

    def answered(self, user: str) -> list[str]:
        """One entry per answer (a reply or push request) the user got."""
        return sorted({d.request_id for d in self.platform.deliveries if d.to == user})


@pytest.fixture(scope="module")
def layout(_emulator: Any, redis_url_module: str, tmp_path_factory: Any) -> Iterator[Layout]:
    from storage import migrate

    platform = _emulator.platform
    platform.reset()
    platform.clock = SystemClock()  # the processes keep real time
    platform.quota = 100_000
    tmp = tmp_path_factory.mktemp("layout")
    with migrate.throwaway_postgres(PG_ADMIN_URL, "portfolio_layout") as db_url:
        port = free_port()
        env = {
            "LINE_CHANNEL_SECRET": CHANNEL_SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": _emulator.channel_access_token,
            "LINE_API_BASE_URL": _emulator.base_url,
            # Any strong key: the processes encrypt and sign with it, the test never needs it.
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url_module,
            "STORAGE_DIR": str(tmp / "files"),
            "PORT": str(port),
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": os.environ.get("HOME", "/tmp"),
        }
        procs = Processes(env, Path(tmp))
        procs.run("release")
        procs.start("web", "worker", "media", "scheduler")
        try:
            workers = _pool_size("worker") + _pool_size("media")
            assert wait_until(lambda: http_ok(port), 120, step=0.5), procs.log("web")[-2000:]
            assert wait_until(lambda: workers_ready(redis_url_module, workers), 180, step=0.5), (
                procs.log("worker")[-2000:]
            )
            yield Layout(procs, port, platform, db_url, redis_url_module)
        finally:
            procs.stop()
            platform.release_all()
            platform.reset()


@pytest.fixture(scope="module")
def redis_url_module() -> Iterator[str]:
    from redis import Redis

    from tests.conftest import REDIS_TEST_URL, _missing

    client = Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        _missing("Redis", type(exc).__name__)
    client.flushdb()
    yield REDIS_TEST_URL
    client.flushdb()
    client.close()


def _builds(log: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pid in re.findall(r"services built for process (\d+)", log):
        counts[pid] = counts.get(pid, 0) + 1
    return counts


def _started(log: str) -> set[str]:
    return set(re.findall(r"Starting worker started with PID (\d+)", log))


def test_each_worker_process_builds_its_services_once(layout: Layout) -> None:
    users = [f"Ubuild{n:02d}" for n in range(24)]
    for user in users:
        layout.post([ev.text_event(user, "說明", platform=layout.platform)])
    assert wait_until(lambda: all(layout.answered(u) for u in users), 60)
    for pool in ("worker", "media"):
        log = layout.procs.log(pool)
        builds = _builds(log)
        assert builds, f"no worker of the {pool} pool built its services"
        # One build per worker process, however many jobs it ran (24 events here).
        assert set(builds) <= _started(log)
        assert all(n == 1 for n in builds.values()), builds
        assert len(builds) <= _pool_size(pool)


def test_redis_flushed_with_events_queued_is_answered_within_30_s(layout: Layout) -> None:
    """Every thread that answers events is busy (each waits for a user's lock this test holds):
    the web processes' own and the workers'. The next events wait in Redis; Redis then loses
    everything."""
    from redis import Redis

    from storage.db import Database, advisory_key

    client = Redis.from_url(layout.redis_url)
    db = Database(layout.db_url)
    busy: list[str] = []
    try:
        with db.engine.connect() as holder:
            # Until Redis holds events no one has taken: every web backlog and worker is full.
            while client.llen("rq:queue:events") < 2 and len(busy) < 60:
                user = f"Ubusy{len(busy)}"
                holder.execute(
                    text("SELECT pg_advisory_lock(:k)"), {"k": advisory_key(f"line-user:{user}")}
                )
                layout.post([ev.text_event(user, "說明", platform=layout.platform)])
                busy.append(user)
                wait_until(lambda: client.llen("rq:queue:events") >= 2, 0.3, step=0.05)
            assert client.llen("rq:queue:events") >= 2, "the events never waited in Redis"
            client.flushdb()  # Redis lost everything
            flushed = time.monotonic()
            holder.execute(text("SELECT pg_advisory_unlock_all()"))
            holder.commit()
        assert wait_until(
            lambda: all(layout.answered(u) for u in busy), RECOVERY_BOUND + 5, step=0.25
        )
        took = time.monotonic() - flushed
        assert took <= RECOVERY_BOUND, f"all answered {took:.1f} s after the flush"
        assert all(len(layout.answered(u)) == 1 for u in busy)
    finally:
        client.close()
        db.dispose()


def _waiting_for_locks(db: Any) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND NOT granted"
                    " AND database ="
                    " (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            ).scalar()
            or 0
        )


def test_killed_processes_lose_nothing_and_the_event_is_answered_within_30_s(
    layout: Layout,
) -> None:
    """The process answering the event (a web process or a worker) dies inside the event's
    transaction (it waits for the user's lock, which this test holds): every web and worker
    process is killed. The event stays pending and a new process answers it."""
    from storage.db import Database, advisory_key

    user = "Ukilled"
    db = Database(layout.db_url)
    try:
        with db.engine.connect() as holder:
            holder.execute(
                text("SELECT pg_advisory_lock(:k)"), {"k": advisory_key(f"line-user:{user}")}
            )
            layout.post([ev.text_event(user, "說明", platform=layout.platform)])
            assert wait_until(lambda: _waiting_for_locks(db), 20), "no process took the event"
            for pool in ("web", "worker"):
                for pid in children_of(layout.procs.pid(pool)):
                    os.kill(pid, signal.SIGKILL)  # gunicorn and rq's pool start new ones
            killed = time.monotonic()
            holder.execute(
                text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(f"line-user:{user}")}
            )
            holder.commit()
        assert wait_until(lambda: layout.answered(user), RECOVERY_BOUND + 5, step=0.25)
        took = time.monotonic() - killed
        assert took <= RECOVERY_BOUND, f"answered {took:.1f} s after the kill"
        assert len(layout.answered(user)) == 1
        from storage.models.line import DONE, InboxEvent

        with db.session() as s:
            statuses = s.scalars(
                select(InboxEvent.status).where(InboxEvent.source_id == user)
            ).all()
        assert statuses == [DONE]
    finally:
        db.dispose()


def test_line_500_is_retried_and_answers_once(layout: Layout) -> None:
    before = len(layout.platform.requests)
    layout.platform.fail_next("/v2/bot/message/reply", 500)
    layout.post([ev.text_event("U500", "說明", platform=layout.platform)])
    assert wait_until(lambda: layout.answered("U500"), RECOVERY_BOUND, step=0.25)
    # Give a second (wrong) delivery the chance to show up before checking there is none.
    wait_until(lambda: len(layout.answered("U500")) > 1, 3, step=0.25)
    assert len(layout.answered("U500")) == 1
    statuses = [
        r.status
        for r in layout.platform.requests[before:]
        if r.path in ("/v2/bot/message/reply", "/v2/bot/message/push")
    ]
    assert 500 in statuses and statuses.count(200) == 1
