"""The worker and the LINE seam: order, idempotence, lost jobs, killed workers, LINE's failures."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from dev.emulator import events as ev
from jobs import delivery, inbox
from storage import outbox as outbox_store
from storage.models.line import DEAD, DONE, PENDING, SENDING, SENT, InboxEvent, OutboxMessage
from storage.outbox import Outbox
from tests.school import STUDENTS_101

PUSH = "/v2/bot/message/push"


def _push_row(app: Any, db: Any, clock: Any, to: str, words: str) -> int:
    with db.transaction() as session:
        rows = Outbox(session, clock.now()).push(to, [{"type": "text", "text": words}], "test")
        return rows[0].id


def test_a_users_events_are_handled_in_timestamp_order(
    chat: Any, school: Any, line: Any, clock: Any
) -> None:
    user = STUDENTS_101[0]
    earlier = ev.text_event(user, "說明", at=clock.now(), platform=line)
    later = ev.text_event(user, "帳號", at=clock.now() + timedelta(seconds=1), platform=line)
    # LINE does not promise order: the later event arrives first, in its own request.
    chat.post([later], run=False)
    chat.post([earlier], run=False)
    chat.run_jobs()
    received = chat.texts(chat.new_messages(user)).split("\n")
    first_help = next(i for i, t in enumerate(received) if "可以這樣用" in t)
    first_account = next(i for i, t in enumerate(received) if "目前綁定" in t)
    assert first_help < first_account


def test_sending_threads_keep_each_persons_order_and_send_each_row_once(
    app: Any, db: Any, line: Any, clock: Any
) -> None:
    svc = app.extensions["portfolio"]
    sender = delivery.BackgroundSender(svc, threads=4)
    try:
        # LINE keeps the first answer waiting (and has not taken it): the person's later
        # answers must wait behind it, while another person's go out meanwhile.
        line.timeout_next(PUSH, processed=False)
        for n in range(3):
            row_id = _push_row(app, db, clock, "Uorder", f"第 {n} 則")
            sender.hand_over([row_id], key=inbox.user_lock("Uorder", row_id))
        assert line.wait_for_held(1)
        other = _push_row(app, db, clock, "Uother", "別人的")
        assert sender.hand_over([other], key=inbox.user_lock("Uother", other)).result(10) == 1
        assert [m["text"] for m in line.messages_for("Uother")] == ["別人的"]
        assert line.messages_for("Uorder") == []
        line.release_held()
    finally:
        sender.close()
    assert [m["text"] for m in line.messages_for("Uorder")] == ["第 0 則", "第 1 則", "第 2 則"]
    with db.session() as s:
        assert set(s.scalars(select(OutboxMessage.status))) == {SENT}


def test_a_row_is_claimed_before_line_is_called_and_sent_once(
    app: Any, db: Any, line: Any, clock: Any
) -> None:
    svc = app.extensions["portfolio"]
    row_id = _push_row(app, db, clock, "Uclaim", "一則")
    sender = delivery.BackgroundSender(svc, threads=1)
    line.timeout_next(PUSH, processed=True)  # LINE took it; its answer is late
    try:
        sending = sender.hand_over([row_id], key="line-user:Uclaim")
        assert line.wait_for_held(1)
        # The claim is committed before the call: others see it, and no transaction waits on LINE.
        with db.session() as s:
            assert s.get(OutboxMessage, row_id).status == SENDING
        assert delivery.deliver_due(svc) == 0  # the sweep leaves a claimed row alone
        line.release_held()
        assert sending.result(10) == 1
    finally:
        sender.close()
    assert len(line.messages_for("Uclaim")) == 1
    with db.session() as s:
        assert s.get(OutboxMessage, row_id).status == SENT


def test_a_claim_whose_sender_died_lapses_to_the_sweep(
    app: Any, db: Any, line: Any, clock: Any
) -> None:
    svc = app.extensions["portfolio"]
    row_id = _push_row(app, db, clock, "Ulapsed", "一則")
    with db.transaction() as s:  # a sender claimed it, then its process was killed
        assert outbox_store.claim(s, row_id, clock.now(), delivery.claim_time(svc))
    with db.transaction() as s:
        assert not outbox_store.claim(s, row_id, clock.now(), delivery.claim_time(svc))
    assert delivery.deliver_due(svc) == 0
    assert line.messages_for("Ulapsed") == []
    clock.set(clock.now() + delivery.claim_time(svc) + timedelta(seconds=1))
    assert delivery.deliver_due(svc) == 1
    assert len(line.messages_for("Ulapsed")) == 1


def test_a_workers_rehearsal_stores_nothing_and_sends_nothing(
    app: Any, db: Any, line: Any, caplog: Any
) -> None:
    svc = app.extensions["portfolio"]
    before = len(line.requests)
    with caplog.at_level(logging.WARNING):
        inbox.rehearse(svc)
    assert "rehearsal" not in caplog.text  # it ran to the end
    assert len(line.requests) == before
    with db.session() as s:
        assert s.scalars(select(InboxEvent)).all() == []
        assert s.scalars(select(OutboxMessage)).all() == []


def test_a_job_that_runs_twice_changes_nothing_the_second_time(
    chat: Any, db: Any, line: Any
) -> None:
    chat.post([ev.follow_event("Uonce", platform=line)], run=False)
    with db.session() as s:
        event_id = s.scalars(select(InboxEvent.id)).one()
    with chat.app.app_context():
        inbox.process_event(event_id)
        inbox.process_event(event_id)
    assert len(line.messages_for("Uonce")) == 1
    with db.session() as s:
        assert len(s.scalars(select(OutboxMessage)).all()) == 1


@pytest.mark.redis
def test_redis_flushed_between_ingest_and_work_loses_nothing(
    db: Any, line: Any, _emulator: Any, clock: Any, tmp_path: Any, redis_url: str
) -> None:
    from redis import Redis
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from bot import create_app
    from runtime.queue import RqJobQueue
    from tests.conftest import CHANNEL_SECRET, make_settings

    settings = make_settings(
        db.url, _emulator.base_url, tmp_path, _emulator.channel_access_token, redis_url=redis_url
    )
    queue = RqJobQueue(redis_url)
    app = create_app(settings, db=db, queue=queue, clock=clock, sleep=lambda s: None)
    body = ev.body([ev.follow_event("Uflush", platform=line)])
    response = app.test_client().post(
        "/callback", data=body, headers={"X-Line-Signature": ev.sign(body, CHANNEL_SECRET)}
    )
    assert response.status_code == 200
    assert queue.queue("events").count == 1

    Redis.from_url(redis_url).flushdb()  # Redis lost everything
    assert queue.queue("events").count == 0

    with app.app_context():
        clock.advance(seconds=61)
        assert inbox.sweep()["requeued"] == 1
        worker = SimpleWorker(
            [queue.queue("events")], connection=queue.redis, serializer=JSONSerializer
        )
        worker.work(burst=True)
    with db.session() as s:
        assert s.scalars(select(InboxEvent.status)).one() == DONE
    assert len(line.messages_for("Uflush")) == 1


def test_worker_killed_mid_job_loses_nothing_and_repeats_nothing(
    chat: Any, db: Any, line: Any, clock: Any
) -> None:
    chat.post([ev.follow_event("Ukilled", platform=line)], run=False)
    with db.session() as s:
        event_id = s.scalars(select(InboxEvent.id)).one()

    pid = os.fork()
    if pid == 0:  # the worker process: it dies after writing, before committing
        try:
            db.engine.dispose(close=False)
            from flows.context import Ctx

            original = Ctx.flush_replies

            def die_after_write(self: Any) -> None:
                original(self)
                self.session.flush()
                os._exit(137)

            Ctx.flush_replies = die_after_write  # type: ignore[method-assign]
            with chat.app.app_context():
                inbox.process_event(event_id)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 137

    with db.session() as s:
        assert s.scalars(select(InboxEvent.status)).one() == PENDING
        assert s.scalars(select(OutboxMessage)).all() == []
    assert line.messages_for("Ukilled") == []

    chat.svc.queue.clear()
    clock.advance(seconds=61)
    with chat.app.app_context():
        assert inbox.sweep()["requeued"] == 1
    chat.run_jobs()
    assert len(line.messages_for("Ukilled")) == 1
    with chat.app.app_context():
        clock.advance(seconds=61)
        assert inbox.sweep()["requeued"] == 0


def test_line_500_then_200_delivers_exactly_one_with_the_same_retry_key(
    app: Any, db: Any, line: Any, clock: Any
) -> None:
    row_id = _push_row(app, db, clock, "Uretry", "提醒")
    line.fail_next(PUSH, 500)
    with app.app_context():
        delivery.deliver([row_id])
    assert [m["text"] for m in line.messages_for("Uretry")] == ["提醒"]
    pushes = [r for r in line.requests if r.path == PUSH]
    assert [r.status for r in pushes] == [500, 200]
    assert pushes[0].retry_key == pushes[1].retry_key is not None
    with db.session() as s:
        row = s.get(OutboxMessage, row_id)
        assert row.status == SENT and row.cost == 1 and row.attempts == 2


def test_push_accepted_but_answer_lost_is_not_sent_twice(
    app: Any, db: Any, line: Any, clock: Any
) -> None:
    row_id = _push_row(app, db, clock, "Ulost", "一次就好")
    # LINE did the work but the answer never came back; the retry gets 409 "already accepted".
    line.timeout_next(PUSH, processed=True)
    with app.app_context():
        delivery.deliver([row_id])
    assert [m["text"] for m in line.messages_for("Ulost")] == ["一次就好"]
    with db.session() as s:
        assert s.get(OutboxMessage, row_id).status == SENT


def test_429_waits_and_is_retried_later(app: Any, db: Any, line: Any, clock: Any) -> None:
    row_id = _push_row(app, db, clock, "Ubusy", "稍後送達")
    line.fail_next(PUSH, 429, times=3)
    with app.app_context():
        delivery.deliver([row_id])
        assert line.messages_for("Ubusy") == []
        with db.session() as s:
            assert s.get(OutboxMessage, row_id).status == PENDING
        assert delivery.deliver_due(app.extensions["portfolio"]) == 0  # not due yet
        clock.advance(minutes=5)
        assert delivery.deliver_due(app.extensions["portfolio"]) == 1
    assert [m["text"] for m in line.messages_for("Ubusy")] == ["稍後送達"]
    keys = {r.retry_key for r in line.requests if r.path == PUSH}
    assert len(keys) == 1


def test_a_stale_reply_token_falls_back_to_a_push(chat: Any, line: Any, clock: Any) -> None:
    chat.post([ev.follow_event("Uslow", platform=line)], run=False)
    clock.advance(seconds=55)  # the worker was slow; the token is about to expire
    chat.run_jobs()
    received = line.messages_for("Uslow")
    assert len(received) == 1 and received[0]["kind"] == "push"
    assert not any(r.path == "/v2/bot/message/reply" for r in line.requests)


def test_a_fresh_reply_is_free(chat: Any, db: Any, line: Any) -> None:
    chat.follow("Ufree")
    assert line.messages_for("Ufree")[0]["kind"] == "reply"
    assert line.pushes_counted() == 0
    with db.session() as s:
        assert s.scalars(select(OutboxMessage.cost)).one() == 0


def test_line_400_is_dead_lettered_with_lines_details(
    app: Any, db: Any, line: Any, clock: Any, caplog: Any
) -> None:
    row_id = _push_row(app, db, clock, "Ubad", "壞掉")
    line.fail_next(
        PUSH,
        400,
        body={
            "message": "The request body has 1 error(s)",
            "details": [{"message": "Invalid", "property": "to"}],
        },
    )
    caplog.set_level(logging.ERROR)
    with app.app_context():
        delivery.deliver([row_id])
    with db.session() as s:
        row = s.get(OutboxMessage, row_id)
        assert row.status == DEAD
        assert "HTTP 400" in row.error and "property" in row.error
    assert "dead-lettered" in caplog.text and "HTTP 400" in caplog.text
    assert len([r for r in line.requests if r.path == PUSH]) == 1  # a 4xx is not retried
    result = app.test_cli_runner().invoke(args=["outbox", "dead"])
    assert f"#{row_id}" in result.output


def test_a_failing_event_ends_dead_and_can_be_retried(
    chat: Any, db: Any, line: Any, clock: Any, monkeypatch: Any
) -> None:
    from handlers import follow

    def broken(ctx: Any, event: Any) -> None:
        raise RuntimeError("handler bug")

    chat.post([ev.follow_event("Ubroken", platform=line)], run=False)
    monkeypatch.setattr(follow, "on_follow", broken)
    monkeypatch.setattr(inbox, "_router", None)
    for attempt in range(5):
        chat.run_jobs()
        clock.advance(seconds=61 * 2**attempt)  # past each retry's doubling delay
        with chat.app.app_context():
            inbox.sweep()
    chat.svc.queue.clear()
    with db.session() as s:
        event = s.scalars(select(InboxEvent)).one()
        assert event.status == DEAD and "handler bug" in event.last_error
    runner = chat.app.test_cli_runner()
    assert "handler bug" in runner.invoke(args=["inbox", "dead"]).output

    monkeypatch.undo()
    monkeypatch.setattr(inbox, "_router", None)
    result = runner.invoke(args=["inbox", "retry", "--all"])
    assert "已把 1 個事件交回" in result.output
    chat.run_jobs()
    assert len(line.messages_for("Ubroken")) == 1


def test_multicast_sends_at_most_500_ids_a_call(app: Any, db: Any, line: Any, clock: Any) -> None:
    users = [f"Um{n:04d}" for n in range(1203)]
    with db.transaction() as session:
        rows = Outbox(session, clock.now()).multicast(
            users, [{"type": "text", "text": "公告"}], "t"
        )
        ids = [r.id for r in rows]
    with app.app_context():
        delivery.deliver(ids)
    calls = [r for r in line.requests if r.path == "/v2/bot/message/multicast"]
    assert len(calls) == 3
    assert line.pushes_counted() == 1203


def test_pushes_wait_for_the_end_of_quiet_hours(app: Any, db: Any, line: Any, clock: Any) -> None:
    from datetime import datetime

    from storage.clock import TAIPEI

    clock.set(datetime(2026, 10, 15, 23, 30, tzinfo=TAIPEI))
    row_id = _push_row(app, db, clock, "Unight", "明早再送")
    with app.app_context():
        assert delivery.deliver([row_id]) == 0
        assert line.messages_for("Unight") == []
        clock.set(datetime(2026, 10, 16, 6, 59, tzinfo=TAIPEI))
        assert delivery.deliver_due(app.extensions["portfolio"]) == 0
        clock.set(datetime(2026, 10, 16, 7, 1, tzinfo=TAIPEI))
        assert delivery.deliver_due(app.extensions["portfolio"]) == 1
    assert [m["text"] for m in line.messages_for("Unight")] == ["明早再送"]


def test_an_answer_at_night_is_not_held(chat: Any, line: Any, clock: Any) -> None:
    from datetime import datetime

    from storage.clock import TAIPEI

    clock.set(datetime(2026, 10, 15, 23, 30, tzinfo=TAIPEI))
    chat.post([ev.follow_event("Unightowl", platform=line)], run=False)
    clock.advance(seconds=55)  # stale token: the answer goes as a push, at once
    chat.run_jobs()
    assert len(line.messages_for("Unightowl")) == 1


def test_message_logs_are_purged_after_their_keeping_period(
    chat: Any, db: Any, line: Any, clock: Any
) -> None:
    from storage import inbox as inbox_store
    from storage import outbox as outbox_store

    chat.follow("Uold")
    with db.transaction() as s:
        assert outbox_store.purge_sent(s, clock.now()) == 0
        assert inbox_store.purge_handled(s, clock.now()) == 0
    later = clock.now() + inbox_store.KEEP_HANDLED + timedelta(days=1)
    with db.transaction() as s:
        assert outbox_store.purge_sent(s, later) == 1
        assert inbox_store.purge_handled(s, later) == 1
    with db.session() as s:
        assert s.scalars(select(InboxEvent)).all() == []
        assert s.scalars(select(OutboxMessage)).all() == []


REPLY = "/v2/bot/message/reply"


def test_an_answer_is_stored_claimed_and_leaves_without_a_second_claim(
    chat: Any, db: Any, line: Any
) -> None:
    from sqlalchemy import event as sa_event

    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    sa_event.listen(db.engine, "before_cursor_execute", seen)
    try:
        chat.post([ev.text_event("Uclaimed", "說明", platform=line)])
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", seen)
    assert line.messages_for("Uclaimed")
    assert [r.status for r in line.requests if r.path == REPLY] == [200]
    # Stored claimed with the event; the only outbox statements after are LINE's answer.
    inserts = [s for s in statements if s.startswith("INSERT INTO outbox_messages")]
    claims = [s for s in statements if s.startswith("UPDATE outbox_messages") and "RETURNING" in s]
    assert len(inserts) == 1 and claims == []
    with db.session() as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert (row.status, row.sent_as, row.cost) == (SENT, "reply", 0)


def _handled_not_sent(chat: Any, db: Any, line: Any, user: str) -> list[Any]:
    """A 說明 handled and committed by a process that has not sent the answer yet."""
    chat.post([ev.text_event(user, "說明", platform=line)], run=False)
    chat.svc.queue.clear()
    with db.session() as s:
        event_id = s.scalars(select(InboxEvent.id)).one()
    with chat.app.app_context():
        handled, created, _ = inbox._handle_next(chat.svc, event_id)
    assert handled == event_id and len(created) == 1
    return created


def test_an_answer_whose_process_died_before_sending_goes_out_while_its_token_is_fresh(
    chat: Any, db: Any, line: Any, clock: Any
) -> None:
    _handled_not_sent(chat, db, line, "Udied")  # then the process dies
    with db.session() as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert row.status == SENDING  # claimed by the process that stored it
    assert delivery.deliver_due(chat.svc) == 0  # the sweep leaves a claim that still holds
    assert line.messages_for("Udied") == []
    clock.advance(delivery.first_try_time(chat.svc) + timedelta(seconds=1))
    assert delivery.deliver_due(chat.svc) == 1
    assert [d.kind for d in line.deliveries if d.to == "Udied"] == ["reply"] * len(
        line.messages_for("Udied")
    )  # still free: the claim lapsed well within the reply token's life


def test_a_sender_whose_claim_lapsed_during_its_tries_leaves_the_row_to_the_sweep(
    chat: Any, db: Any, line: Any, clock: Any
) -> None:
    created = _handled_not_sent(chat, db, line, "Uslow")
    # LINE fails the first try (the reply, then the push it falls back to), and the wait
    # before the next try outlasts the claim.
    line.fail_next(REPLY, 500)
    line.fail_next(PUSH, 500)
    chat.svc.sleep = lambda seconds: clock.advance(delivery.first_try_time(chat.svc))
    assert delivery.deliver_ids(chat.svc, created) == 0
    tried = [r.status for r in line.requests if r.path in (REPLY, PUSH)]
    assert tried == [500, 500]  # no second try
    assert delivery.deliver_due(chat.svc) == 1  # the sweep sends it, once
    assert len({d.request_id for d in line.deliveries if d.to == "Uslow"}) == 1
