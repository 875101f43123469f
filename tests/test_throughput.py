"""Throughput without losing order: embedded job threads, the media queue, the named lock."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dev.emulator import events as ev
from storage.db import lock_named
from tests.processes import wait_until


def test_sqlite_named_lock_holds_until_the_transaction_ends(sqlite_db: Any) -> None:
    order: list[str] = []
    first_has_it = threading.Event()
    let_go = threading.Event()

    def first() -> None:
        with sqlite_db.transaction() as session:
            lock_named(session, "line-user:U1")
            first_has_it.set()
            let_go.wait(5)
            order.append("first done")

    def second() -> None:
        first_has_it.wait(5)
        with sqlite_db.transaction() as session:
            lock_named(session, "line-user:U1")
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_has_it.wait(5)
    # The second transaction must not get the name while the first holds it.
    threads[1].join(0.3)
    assert order == []
    let_go.set()
    for t in threads:
        t.join(5)
    assert order == ["first done", "second in"]


def test_a_savepoint_ending_does_not_let_the_name_go(sqlite_db: Any) -> None:
    got = threading.Event()
    with sqlite_db.transaction() as session:
        lock_named(session, "line-user:U2")
        with session.begin_nested():
            pass

        def other() -> None:
            with sqlite_db.transaction() as s:
                lock_named(s, "line-user:U2")
                got.set()

        thread = threading.Thread(target=other)
        thread.start()
        assert not got.wait(0.3)
    thread.join(5)
    assert got.is_set()


def test_events_with_files_go_to_the_media_queue(app: Any, line: Any) -> None:
    from jobs.queue import EVENTS, MEDIA
    from tests.conftest import CHANNEL_SECRET

    events = [
        ev.text_event("Utext", "說明", platform=line),
        ev.image_event("Uphoto", "m-1", platform=line),
        ev.file_event("Ufile", "m-2", "a.pdf", 10, platform=line),
    ]
    body = ev.body(events)
    response = app.test_client().post(
        "/callback", data=body, headers={"X-Line-Signature": ev.sign(body, CHANNEL_SECRET)}
    )
    assert response.status_code == 200
    queued = app.extensions["portfolio"].queue.pending
    assert [q for _, _, q in queued] == [EVENTS, MEDIA, MEDIA]


def test_the_sweep_sends_orphans_with_files_to_the_media_queue(
    chat: Any, db: Any, line: Any, clock: Any
) -> None:
    from jobs import inbox
    from jobs.queue import EVENTS, MEDIA
    from storage.models.line import InboxEvent

    chat.post(
        [ev.text_event("Ua", "說明", platform=line), ev.image_event("Ub", "m-3", platform=line)],
        run=False,
    )
    chat.svc.queue.clear()  # Redis lost them
    clock.advance(seconds=16)
    with chat.app.app_context():
        assert inbox.sweep()["requeued"] == 2
    assert sorted(q for _, _, q in chat.svc.queue.pending) == sorted([EVENTS, MEDIA])
    chat.run_jobs()
    with db.session() as s:
        assert set(s.scalars(select(InboxEvent.status))) == {"done"}


def test_embedded_mode_answers_several_people_at_once(
    db: Any, line: Any, _emulator: Any, clock: Any, tmp_path: Path
) -> None:
    """A slow LINE call for one person does not hold up the next: the job threads overlap.
    On PostgreSQL, where several event threads are allowed (SQLite keeps one writer)."""
    from bot import create_app
    from runtime.queue import ThreadJobQueue
    from tests.conftest import CHANNEL_SECRET, make_settings

    settings = make_settings(
        db.url,
        _emulator.base_url,
        tmp_path,
        _emulator.channel_access_token,
        embedded_event_threads=3,
    ).with_changes(line_timeout_seconds=30)
    app = create_app(settings, db=db, clock=clock, sleep=lambda s: None)
    queue = app.extensions["portfolio"].queue
    assert isinstance(queue, ThreadJobQueue)
    client = app.test_client()

    def follow(user: str) -> None:
        body = ev.body([ev.follow_event(user, platform=line)])
        client.post(
            "/callback", data=body, headers={"X-Line-Signature": ev.sign(body, CHANNEL_SECRET)}
        )

    line.timeout_next("/v2/bot/message/reply", times=2)  # two answers hang at LINE
    follow("Uslow1")
    follow("Uslow2")
    assert line.wait_for_held(2, timeout=10)
    follow("Uquick")
    try:
        # While two threads wait on LINE, the third person is answered.
        assert wait_until(lambda: line.messages_for("Uquick"), 8)
        assert line.held_count() == 2
    finally:
        line.release_held()
        queue.join()
        queue.stop()


def test_the_sweep_leaves_events_that_still_wait_in_the_queue(
    chat: Any, line: Any, clock: Any
) -> None:
    """Behind a busy evening an event may wait longer than STALE_AFTER; sending it again would
    only add work. Once the queue has lost it, it goes again."""
    from jobs import inbox

    chat.post([ev.text_event("Uwaits", "說明", platform=line)], run=False)
    clock.advance(seconds=16)
    with chat.app.app_context():
        assert inbox.sweep()["requeued"] == 0
    assert len(chat.svc.queue.pending) == 1
    chat.svc.queue.clear()  # the queue lost it
    clock.advance(seconds=16)
    with chat.app.app_context():
        assert inbox.sweep()["requeued"] == 1
    chat.run_jobs()
    assert len(line.messages_for("Uwaits")) == 1


def test_the_sweep_leaves_an_event_a_worker_is_handling(
    chat: Any, db: Any, line: Any, clock: Any
) -> None:
    from sqlalchemy import text

    from jobs import inbox
    from storage.db import advisory_key

    chat.post([ev.text_event("Ubusy", "說明", platform=line)], run=False)
    chat.svc.queue.clear()  # taken from the queue by a worker...
    clock.advance(seconds=16)
    with db.engine.connect() as worker:  # ...which holds the user's lock while it works
        worker.execute(text("SELECT pg_advisory_lock(:k)"), {"k": advisory_key("line-user:Ubusy")})
        with chat.app.app_context():
            assert inbox.sweep()["requeued"] == 0
        worker.execute(text("SELECT pg_advisory_unlock_all()"))
        worker.commit()
    clock.advance(seconds=16)
    with chat.app.app_context():
        assert inbox.sweep()["requeued"] == 1  # the worker died without finishing it
