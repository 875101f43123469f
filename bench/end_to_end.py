"""Webhook to LINE's answer, end to end: the product as its Procfile starts it, against the
line-bot-sdk example bot that answers inside the request.

The product runs as real processes from the Procfile lines (release, web, worker, media,
scheduler) on a throwaway PostgreSQL database and Redis; LINE is the local platform
(bot/emulator) answering after 100 ms. The baseline is bench/webhook_ack.py's SDK-example bot
under the same gunicorn settings. Both get the same signed bodies, one event each, sent
open-loop at a fixed rate; an event's latency runs from its scheduled send time to the moment
LINE received the bot's answer (reply or push) for it.

Scenarios (each a few tens of seconds):
  A  150 people each write 說明, 15 events/s             (goal p99 <= 1 s, >= 99 % by reply)
  B  1,000 events from 300 people, 50 events/s           (goal p99 <= 3 s, >= 99 % by reply,
                                                          nothing lost, order kept, no duplicates)
  C  A's burst while 20 people upload three 4032x3024 photos each (text goal p99 <= 1.5 s)
  E  the embedded mode (`make run` without REDIS_URL, SQLite), A's burst (goal p99 <= 2 s)
  W  per-event handling time (rq's own start/end of each job, with the web processes leaving
     every event to the workers for this) at 100 and at 3,000 students
Ratio goals: p99 no worse than 2x the baseline's at 15/s, better than the baseline at 50/s.

Run: .venv/bin/python bench/end_to_end.py [--only A,B,C,E,W]
Needs PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379, databases 8 and 9). Loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dev.emulator import events as ev  # noqa: E402
from dev.emulator.server import EmulatorServer  # noqa: E402
from tests.processes import (  # noqa: E402
    Processes,
    free_port,
    http_ok,
    wait_until,
    workers_ready,
)

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/8"
SECRET = "bench-channel-secret-0123456789abcdef"
LINE_LATENCY = 0.100
BASELINE_LINE = "gunicorn --bind 127.0.0.1:${PORT} --workers 2 --threads 4 baseline_app:app"
PHOTO_SIZE = (4032, 3024)
ANSWER_TIMEOUT = 90.0


# --- sending ---------------------------------------------------------------------------------


@dataclass
class Item:
    user: str
    body: bytes
    signature: str
    kind: str = "text"  # "text" is measured; "photo" is load
    scheduled: float = 0.0


@dataclass
class Result:
    name: str
    sent: int = 0
    answered: int = 0
    latencies: list[float] = field(default_factory=list)
    by_reply: int = 0
    first: float = 0.0
    last_answer: float = 0.0
    notes: list[str] = field(default_factory=list)

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    @property
    def reply_share(self) -> float:
        return 100.0 * self.by_reply / self.answered if self.answered else 0.0

    @property
    def rate(self) -> float:
        span = self.last_answer - self.first
        return self.answered / span if span > 0 else float("nan")


def text_items(platform: Any, people: list[str], words: list[str], count: int) -> list[Item]:
    """`count` text events, round-robin over `people`, timestamps in sending order."""
    items = []
    start = datetime.now(UTC)
    for n in range(count):
        user = people[n % len(people)]
        event = ev.text_event(
            user, words[n % len(words)], at=start + timedelta(milliseconds=n), platform=platform
        )
        body = ev.body([event])
        items.append(Item(user, body, ev.sign(body, SECRET)))
    return items


def send(port: int, items: list[Item], rate: float) -> None:
    """Open loop: item i goes at start + i / rate, whatever the server is doing."""
    local = threading.local()

    def post(item: Item) -> None:
        delay = item.scheduled - time.time()
        if delay > 0:
            time.sleep(delay)
        for _ in range(3):
            try:
                conn = getattr(local, "conn", None)
                if conn is None:
                    conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request(
                    "POST",
                    "/callback",
                    body=item.body,
                    headers={
                        "Content-Type": "application/json",
                        "X-Line-Signature": item.signature,
                    },
                )
                conn.getresponse().read()
                return
            except (OSError, http.client.HTTPException):
                local.conn = None

    start = time.time() + 0.3
    for i, item in enumerate(items):
        item.scheduled = start + i / rate
    with ThreadPoolExecutor(max_workers=64) as pool:
        list(pool.map(post, items))


def answers(platform: Any, user: str) -> list[tuple[float, str]]:
    """(time, kind) of each answer a user got: one per reply or push request."""
    seen: dict[str, tuple[float, str]] = {}
    for d in platform.deliveries:
        if d.to == user and d.request_id not in seen:
            seen[d.request_id] = (d.at.timestamp(), d.kind)
    return sorted(seen.values())


def measure(name: str, platform: Any, items: list[Item], before: dict[str, int]) -> Result:
    """Wait (bounded) for every text event's answer; pair each user's events and answers in
    order."""
    texts: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if item.kind == "text":
            texts[item.user].append(item)

    def all_answered() -> bool:
        return all(
            len(answers(platform, u)) - before.get(u, 0) >= len(sent) for u, sent in texts.items()
        )

    wait_until(all_answered, ANSWER_TIMEOUT, step=0.25)
    result = Result(name, sent=sum(len(v) for v in texts.values()))
    result.first = min(i.scheduled for i in items)
    for user, sent in texts.items():
        got = answers(platform, user)[before.get(user, 0) :]
        if len(got) > len(sent):
            result.notes.append(f"{user}: {len(got) - len(sent)} answer(s) too many")
        for item, (at, kind) in zip(sent, got, strict=False):
            result.answered += 1
            result.latencies.append(at - item.scheduled)
            result.by_reply += kind == "reply"
            result.last_answer = max(result.last_answer, at)
    return result


def counts(platform: Any, users: list[str]) -> dict[str, int]:
    return {u: len(answers(platform, u)) for u in users}


# --- the product -----------------------------------------------------------------------------


def product_env(line: Any, db_url: str, storage: str, redis_url: str | None) -> dict[str, str]:
    env = {
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": line.channel_access_token,
        "LINE_API_BASE_URL": line.base_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": db_url,
        "STORAGE_DIR": storage,
        "PORT": str(free_port()),
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.environ.get("HOME", "/tmp"),
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def start_product(env: dict[str, str], log_dir: Path, workers: int) -> Processes:
    from redis import Redis

    Redis.from_url(env["REDIS_URL"]).flushdb()
    procs = Processes(env, log_dir)
    procs.run("release")
    procs.start("web", "worker", "media", "scheduler")
    port = int(env["PORT"])
    if not wait_until(lambda: http_ok(port), 120, step=0.5):
        procs.stop()
        raise SystemExit("the web process did not start; see " + str(log_dir))
    if not wait_until(lambda: workers_ready(env["REDIS_URL"], workers), 180, step=0.5):
        procs.stop()
        raise SystemExit("the workers did not start; see " + str(log_dir))
    return procs


def embedded_line() -> str:
    """The web line as `make run` (portfolio serve) starts it without Redis."""
    from bot.serve import plan

    return dict(plan({}))["web"]


def procfile_workers() -> int:
    from tests.processes import procfile_lines

    total = 0
    for name in ("worker", "media"):
        words = procfile_lines()[name].split()
        total += int(words[words.index("--num-workers") + 1]) if "--num-workers" in words else 1
    return total


def worker_times(redis_url: str, since: set[str]) -> tuple[list[float], set[str]]:
    """Seconds each finished events job took, by rq's own clock, for jobs not in `since`."""
    from redis import Redis
    from rq.job import Job
    from rq.registry import FinishedJobRegistry
    from rq.serializers import JSONSerializer

    conn = Redis.from_url(redis_url)
    ids = set(
        FinishedJobRegistry("events", connection=conn, serializer=JSONSerializer).get_job_ids()
    )
    new = [i for i in ids if i not in since]
    took = []
    for job in Job.fetch_many(new, connection=conn, serializer=JSONSerializer):
        if job is not None and job.started_at and job.ended_at:
            took.append((job.ended_at - job.started_at).total_seconds())
    conn.close()
    return took, ids


def seed_school(db_url: str, students: int) -> Any:
    import semester_quota

    from storage.db import Database
    from storage.models.school import Enrolment

    db = Database(db_url)
    school = semester_quota.seed(db, students, max(10, students // 12))
    # The first 20 take their class's courses, so they can upload (scenario C).
    with db.transaction() as session:
        for student in school.student_ids[:20]:
            for course in school.class_courses[school.student_class[student]]:
                session.add(Enrolment(student_id=student, course_id=course))
    db.dispose()
    return [school.student_uid[s] for s in school.student_ids]


def walk(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "postback" and isinstance(node.get("data"), str):
            found.append(node)
        for value in node.values():
            found.extend(walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(walk(value))
    return found


def converse(port: int, platform: Any, user: str, event: dict[str, Any]) -> list[Any]:
    before = len(platform.messages_for(user))
    body = ev.body([event])
    item = Item(user, body, ev.sign(body, SECRET))
    send(port, [item], 1.0)
    wait_until(lambda: len(platform.messages_for(user)) > before, 30)
    return platform.messages_for(user)[before:]


def start_uploads(port: int, platform: Any, uploaders: list[str]) -> list[str]:
    """Each uploader says 上傳 and picks a subject, as a student would before sending photos."""
    ready = []
    for user in uploaders:
        said = converse(port, platform, user, ev.text_event(user, "上傳", platform=platform))
        choices = [a for a in walk(said) if a.get("label") not in ("取消", "上一步")]
        if not choices:
            continue
        converse(
            port, platform, user, ev.postback_event(user, choices[0]["data"], platform=platform)
        )
        ready.append(user)
    return ready


def photo_items(platform: Any, uploaders: list[str], photos: list[bytes]) -> list[Item]:
    items = []
    for user in uploaders:
        set_id = ev.new_message_id()
        for index, data in enumerate(photos, start=1):
            message_id = ev.new_message_id()
            platform.register_content(message_id, data, "image/jpeg")
            event = ev.image_event(
                user, message_id, (set_id, index, len(photos)), platform=platform
            )
            body = ev.body([event])
            items.append(Item(user, body, ev.sign(body, SECRET), kind="photo"))
    return items


def interleave(texts: list[Item], photos: list[Item]) -> list[Item]:
    """Photos spread evenly through the text burst."""
    out: list[Item] = []
    every = max(1, len(texts) // max(1, len(photos)))
    queue = list(photos)
    for n, item in enumerate(texts):
        out.append(item)
        if n % every == 0 and queue:
            out.append(queue.pop(0))
    return out + queue


def make_photos(count: int) -> list[bytes]:
    from photo_fit import PHONE_QUALITY, phone_photo

    out = []
    for seed in range(count):
        buffer = io.BytesIO()
        phone_photo(seed, PHOTO_SIZE).save(buffer, "JPEG", quality=PHONE_QUALITY)
        out.append(buffer.getvalue())
    return out


def order_and_loss(db_url: str, users: list[str]) -> tuple[int, int, int]:
    """(events not done, users whose events were handled out of order, events handled twice)."""
    from sqlalchemy import select

    from storage.db import Database
    from storage.models.line import DONE, InboxEvent, OutboxMessage

    db = Database(db_url)
    with db.session() as s:
        rows = s.execute(
            select(
                InboxEvent.id,
                InboxEvent.source_id,
                InboxEvent.occurred_at,
                InboxEvent.processed_at,
                InboxEvent.status,
            ).where(InboxEvent.source_id.in_(users))
        ).all()
        outbox = (
            s.execute(
                select(OutboxMessage.inbox_event_id).where(
                    OutboxMessage.inbox_event_id.is_not(None)
                )
            )
            .scalars()
            .all()
        )
    db.dispose()
    not_done = sum(1 for r in rows if r.status != DONE)
    by_user: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        by_user[r.source_id].append(r)
    out_of_order = 0
    for events in by_user.values():
        done = sorted((r for r in events if r.processed_at), key=lambda r: r.occurred_at)
        if any(b.processed_at < a.processed_at for a, b in zip(done, done[1:], strict=False)):
            out_of_order += 1
    per_event: dict[int, int] = defaultdict(int)
    for event_id in outbox:
        per_event[event_id] += 1
    twice = sum(1 for n in per_event.values() if n > 1)
    return not_done, out_of_order, twice


# --- scenarios -------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    import webhook_ack
    from redis import Redis

    from storage import migrate

    only = set(args.only.split(","))
    results: dict[str, Result] = {}
    extra: list[str] = []
    workers = procfile_workers()
    with EmulatorServer() as line, tempfile.TemporaryDirectory(prefix="e2e-") as tmp:
        platform = line.platform
        platform.quota = 10**9
        platform.set_latency(LINE_LATENCY)
        work = Path(tmp)
        logs = work / "logs"
        logs.mkdir()

        if "W" in only:
            with migrate.throwaway_postgres(PG_ADMIN, "portfolio_e2e") as db_url:
                migrate.upgrade(db_url)
                people = seed_school(db_url, 100)
                env = product_env(line, db_url, str(work / "files100"), REDIS_URL)
                results["W100"], took = worker_run(env, logs, workers, platform, people, 100)
                extra.append(_worker_line(100, took))

        with migrate.throwaway_postgres(PG_ADMIN, "portfolio_e2e") as db_url:
            migrate.upgrade(db_url)
            people = seed_school(db_url, 3000)
            env = product_env(line, db_url, str(work / "files"), REDIS_URL)
            if "W" in only:
                w_env = {**env, "PORT": str(free_port())}
                results["W3000"], took = worker_run(
                    w_env, logs, workers, platform, people[2000:], 3000
                )
                extra.append(_worker_line(3000, took))
            if only & {"A", "B", "C"}:
                procs = start_product(env, logs, workers)
                port = int(env["PORT"])
                try:
                    if "A" in only:
                        burst = people[100:250]
                        items = text_items(platform, burst, ["說明"], 150)
                        before = counts(platform, burst)
                        send(port, items, 15)
                        results["A"] = measure("A product", platform, items, before)
                    if "B" in only:
                        crowd = people[300:600]
                        items = text_items(platform, crowd, ["說明", "帳號", "我的歷程"], 1000)
                        before = counts(platform, crowd)
                        send(port, items, 50)
                        results["B"] = measure("B product", platform, items, before)
                        lost, disorder, twice = order_and_loss(db_url, crowd)
                        extra.append(
                            f"B: events not done {lost}, users out of order {disorder},"
                            f" events answered twice {twice}"
                        )
                    if "C" in only:
                        uploaders = start_uploads(port, platform, people[:20])
                        photos = make_photos(3)
                        burst = people[700:850]
                        texts = text_items(platform, burst, ["說明"], 150)
                        mixed = interleave(texts, photo_items(platform, uploaders, photos))
                        before = counts(platform, burst)
                        send(port, mixed, 15 + len(uploaders) * 3 / 10)
                        results["C"] = measure("C product + photos", platform, mixed, before)
                        got = sum(
                            1
                            for u in uploaders
                            for m in platform.messages_for(u)
                            if "收到" in str(m.get("text", ""))
                        )
                        extra.append(
                            f"C: {len(uploaders)} uploaders x {len(photos)} photos of "
                            f"{PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} "
                            f"({sum(map(len, photos)) // len(photos) // 1024} KB each),"
                            f" photo acknowledgements seen: {got}"
                        )
                finally:
                    procs.stop()

            if only & {"A", "B"}:
                (work / "baseline_app.py").write_text(webhook_ack.BASELINE_APP)
                base_env = {**env, "PORT": str(free_port())}
                base = Processes(base_env, logs, lines={"baseline": BASELINE_LINE})
                base.env["PYTHONPATH"] = f"{work}{os.pathsep}{ROOT}"
                base.start("baseline")
                try:
                    base_port = int(base_env["PORT"])
                    wait_until(lambda: _accepts(base_port), 60, step=0.3)
                    if "A" in only:
                        burst = people[1000:1150]
                        items = text_items(platform, burst, ["說明"], 150)
                        before = counts(platform, burst)
                        send(base_port, items, 15)
                        results["A0"] = measure("A baseline", platform, items, before)
                    if "B" in only:
                        crowd = people[1300:1600]
                        items = text_items(platform, crowd, ["說明", "帳號", "我的歷程"], 1000)
                        before = counts(platform, crowd)
                        send(base_port, items, 50)
                        results["B0"] = measure("B baseline", platform, items, before)
                finally:
                    base.stop()

        if "E" in only:
            url = f"sqlite:///{work / 'embedded.sqlite'}"
            migrate.upgrade(url)
            people = seed_school(url, 3000)
            env = product_env(line, url, str(work / "files-embedded"), None)
            emb = Processes(env, logs, lines={"embedded": embedded_line()})
            emb.start("embedded")
            try:
                port = int(env["PORT"])
                wait_until(lambda: http_ok(port), 120, step=0.5)
                burst = people[100:250]
                items = text_items(platform, burst, ["說明"], 150)
                before = counts(platform, burst)
                send(port, items, 15)
                results["E"] = measure("E embedded", platform, items, before)
            finally:
                emb.stop()
    Redis.from_url(REDIS_URL).flushdb()
    return report(results, extra, workers)


def worker_run(
    env: dict[str, str],
    logs: Path,
    workers: int,
    platform: Any,
    people: list[str],
    students: int,
) -> tuple[Result, list[float]]:
    """W: 100 events at 15/s, all through the rq workers (WEB_EVENT_THREADS=0), so that rq's
    own clock times each one; the web processes run the same code when they answer."""
    procs = start_product({**env, "WEB_EVENT_THREADS": "0"}, logs, workers)
    try:
        items = text_items(platform, people[:100], ["說明"], 100)
        _, before_ids = worker_times(env["REDIS_URL"], set())
        before = counts(platform, people[:100])
        send(int(env["PORT"]), items, 15)
        result = measure(f"W {students} students", platform, items, before)
        took, _ = worker_times(env["REDIS_URL"], before_ids)
        return result, took
    finally:
        procs.stop()


def _accepts(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("POST", "/callback", body=b"{}", headers={"X-Line-Signature": "x"})
        conn.getresponse().read()
        return True
    except OSError:
        return False


def _worker_line(students: int, took: list[float]) -> str:
    if not took:
        return f"worker time at {students} students: no finished jobs found"
    took = sorted(took)
    return (
        f"per-event worker time at {students:>5} students: mean "
        f"{statistics.fmean(took) * 1000:.0f} ms, p50 {took[len(took) // 2] * 1000:.0f} ms,"
        f" p99 {took[min(len(took) - 1, int(0.99 * len(took)))] * 1000:.0f} ms"
        f" ({len(took)} jobs; the answer then goes to LINE on a sending thread)"
    )


def report(results: dict[str, Result], extra: list[str], workers: int) -> int:
    print(
        f"\nend to end, webhook -> LINE's answer; LINE answering after "
        f"{LINE_LATENCY * 1000:.0f} ms; {os.cpu_count()} cores (shared machine); "
        f"Procfile: {workers} worker processes"
    )
    print(
        f"{'':22}{'sent':>6}{'answered':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'by reply':>10}{'events/s':>10}"
    )
    for r in results.values():
        print(
            f"{r.name:22}{r.sent:>6}{r.answered:>10}{r.pct(0.5):>9.0f}{r.pct(0.99):>9.0f}"
            f"{r.pct(1.0):>9.0f}{r.reply_share:>9.1f}%{r.rate:>10.1f}"
        )
        for note in r.notes[:5]:
            print(f"    {note}")
    for line in extra:
        print(line)
    ok = True

    def goal(label: str, met: bool) -> None:
        nonlocal ok
        ok = ok and met
        print(f"  {'met' if met else 'NOT met'}: {label}")

    print("goals:")
    if "A" in results:
        a = results["A"]
        goal(f"A all answered ({a.answered}/{a.sent})", a.answered == a.sent)
        goal(f"A p99 {a.pct(0.99):.0f} ms <= 1000 ms", a.pct(0.99) <= 1000)
        goal(f"A by reply {a.reply_share:.1f}% >= 99%", a.reply_share >= 99)
        if "A0" in results:
            ratio = a.pct(0.99) / results["A0"].pct(0.99)
            goal(f"A p99 ratio to baseline {ratio:.2f} <= 2", ratio <= 2)
    if "B" in results:
        b = results["B"]
        goal(f"B all answered ({b.answered}/{b.sent})", b.answered == b.sent)
        goal(f"B p99 {b.pct(0.99):.0f} ms <= 3000 ms", b.pct(0.99) <= 3000)
        goal(f"B by reply {b.reply_share:.1f}% >= 99%", b.reply_share >= 99)
        if "B0" in results:
            ratio = b.pct(0.99) / results["B0"].pct(0.99)
            goal(f"B p99 ratio to baseline {ratio:.2f} < 1", ratio < 1)
    if "C" in results:
        c = results["C"]
        goal(f"C text p99 {c.pct(0.99):.0f} ms <= 1500 ms", c.pct(0.99) <= 1500)
    if "E" in results:
        e = results["E"]
        goal(f"E embedded p99 {e.pct(0.99):.0f} ms <= 2000 ms", e.pct(0.99) <= 2000)
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="A,B,C,E,W", help="scenarios to run: A,B,C,E,W")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
