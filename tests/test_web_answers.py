"""With Redis, a web process answers chat events on its own threads (bot/asgi.py): no hop
through Redis to a worker. Files, staff jobs and whatever is beyond the backlog still go to rq."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dev.emulator import events as ev
from runtime.queue import LocalFirstQueue, ThreadJobQueue
from storage.models.line import DONE, InboxEvent
from tests.processes import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


class _Remote:
    """Stands in for rq in the routing test: records what would have gone to Redis."""

    redis = None

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, str]] = []

    def enqueue(self, func_path: str, *args: Any, queue: str = "default") -> None:
        self.sent.append((func_path, args, queue))

    def enqueue_each(self, func_path: str, arg_list: list[Any], queue: str = "default") -> None:
        for arg in arg_list:
            self.sent.append((func_path, (arg,), queue))

    def ping(self) -> bool:
        return True

    def waiting(self, func_path: str, arg: Any) -> bool:
        return any(f == func_path and a == (arg,) for f, a, _ in self.sent)


def test_events_run_here_until_the_backlog_is_full_then_go_to_the_workers() -> None:
    started = threading.Event()
    let_go = threading.Event()
    ran: list[tuple[str, tuple[Any, ...]]] = []

    def runner(func_path: str, args: tuple[Any, ...]) -> None:
        started.set()
        let_go.wait(10)
        ran.append((func_path, args))

    remote = _Remote()
    local = ThreadJobQueue(runner, threads=1)
    queue = LocalFirstQueue(remote, local, {"events"}, max_backlog=2)  # type: ignore[arg-type]
    try:
        queue.enqueue_each("jobs.inbox.process_event", [1, 2, 3, 4], queue="events")
        queue.enqueue("jobs.inbox.process_event", 5, queue="media")
        queue.enqueue("jobs.tick.tick")
        assert started.wait(5)
        # Two here (one running, one waiting); the rest, and every other queue, to rq.
        assert [(a, q) for _, a, q in remote.sent] == [
            ((3,), "events"),
            ((4,), "events"),
            ((5,), "media"),
            ((), "default"),
        ]
        assert queue.waiting("jobs.inbox.process_event", 2)  # waits here
        assert queue.waiting("jobs.inbox.process_event", 4)  # waits in rq
        assert not queue.waiting("jobs.inbox.process_event", 1)  # running
        let_go.set()
        queue.join()
        assert ran == [("jobs.inbox.process_event", (1,)), ("jobs.inbox.process_event", (2,))]
        queue.enqueue("jobs.inbox.process_event", 6, queue="events")
        queue.join()
        assert ran[-1] == ("jobs.inbox.process_event", (6,))
    finally:
        let_go.set()
        queue.stop()


def test_the_web_process_answers_a_text_itself_and_a_photo_goes_to_the_media_workers(
    db: Any, line: Any, _emulator: Any, clock: Any, tmp_path: Path, redis_url: str
) -> None:
    from bot import create_app
    from bot.asgi import answer_events_here
    from runtime.queue import RqJobQueue
    from tests.conftest import CHANNEL_SECRET, make_settings

    settings = make_settings(
        db.url, _emulator.base_url, tmp_path, _emulator.channel_access_token, redis_url=redis_url
    )
    app = create_app(settings, db=db, clock=clock, sleep=lambda s: None)
    svc = app.extensions["portfolio"]
    rq_queue = svc.queue
    assert isinstance(rq_queue, RqJobQueue)
    finish = answer_events_here(app, svc)
    assert finish is not None and isinstance(svc.queue, LocalFirstQueue)
    client = app.test_client()

    def post(event: dict[str, Any]) -> None:
        body = ev.body([event])
        response = client.post(
            "/callback", data=body, headers={"X-Line-Signature": ev.sign(body, CHANNEL_SECRET)}
        )
        assert response.status_code == 200

    try:
        post(ev.text_event("Uhere", "說明", platform=line))
        assert wait_until(lambda: line.messages_for("Uhere"), 10)
        finish()
        answers = [d for d in line.deliveries if d.to == "Uhere"]
        assert {d.kind for d in answers} == {"reply"}  # free, and one request
        assert len({d.request_id for d in answers}) == 1
        assert rq_queue.queue("events").count == 0  # no worker was needed
        with db.session() as s:
            assert s.scalars(
                select(InboxEvent.status).where(InboxEvent.source_id == "Uhere")
            ).all() == [DONE]

        message_id = ev.new_message_id()
        line.register_content(message_id, b"\xff\xd8\xff" + b"0" * 100, "image/jpeg")
        post(ev.image_event("Uphoto", message_id, platform=line))
        assert rq_queue.queue("media").count == 1  # files are the media workers' work
    finally:
        svc.queue.stop()


def test_without_redis_or_with_no_threads_the_web_answers_nothing_itself(
    db: Any, line: Any, _emulator: Any, clock: Any, tmp_path: Path, redis_url: str
) -> None:
    from bot import create_app
    from bot.asgi import answer_events_here
    from runtime.queue import RqJobQueue
    from tests.conftest import make_settings

    embedded = create_app(
        make_settings(db.url, _emulator.base_url, tmp_path, _emulator.channel_access_token),
        db=db,
        clock=clock,
    )
    svc = embedded.extensions["portfolio"]
    assert answer_events_here(embedded, svc) is None  # it runs every job itself already
    svc.queue.stop()

    settings = make_settings(
        db.url, _emulator.base_url, tmp_path, _emulator.channel_access_token, redis_url=redis_url
    ).with_changes(web_event_threads=0)
    app = create_app(settings, db=db, clock=clock)
    svc = app.extensions["portfolio"]
    assert answer_events_here(app, svc) is None
    assert isinstance(svc.queue, RqJobQueue)
