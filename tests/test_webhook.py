"""The webhook: signatures, size, shape, dedupe, many users, unknown and standby events."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from dev.emulator import events as ev
from storage.models.line import DONE, IGNORED, PENDING, InboxEvent, OutboxMessage
from tests.conftest import CHANNEL_SECRET


def _post(app: Any, body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    return app.test_client().post("/callback", data=body, headers=headers)


def _count(db: Any, model: Any = InboxEvent) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_good_signature_stores_and_acks(app: Any, db: Any, line: Any) -> None:
    body = ev.body([ev.text_event("Ualice", "哈囉", platform=line)])
    response = _post(app, body, ev.sign(body, CHANNEL_SECRET))
    assert response.status_code == 200
    assert _count(db) == 1
    # Nothing was sent to LINE inside the request: the job has not run yet.
    assert line.requests == []
    assert len(app.extensions["portfolio"].queue.pending) == 1


def test_bad_signature_is_400_and_nothing_stored(app: Any, db: Any, line: Any) -> None:
    body = ev.body([ev.text_event("Ualice", "哈囉", platform=line)])
    assert _post(app, body, ev.sign(body, "another-secret")).status_code == 400
    assert _post(app, body, "").status_code == 400
    assert _count(db) == 0


def test_missing_signature_is_400(app: Any, db: Any, line: Any) -> None:
    body = ev.body([ev.text_event("Ualice", "哈囉", platform=line)])
    assert _post(app, body, None).status_code == 400
    assert _count(db) == 0


def test_signature_covers_exact_bytes(app: Any, db: Any, line: Any) -> None:
    body = ev.body([ev.text_event("Ualice", "哈囉", platform=line)])
    signature = ev.sign(body, CHANNEL_SECRET)
    # Same JSON, different bytes (whitespace): the signature no longer matches.
    reformatted = json.dumps(json.loads(body), indent=1).encode()
    assert _post(app, reformatted, signature).status_code == 400


def test_body_over_one_mebibyte_is_413(app: Any, db: Any) -> None:
    body = b'{"events": [], "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert _post(app, body, ev.sign(body, CHANNEL_SECRET)).status_code == 413
    assert _count(db) == 0


def test_malformed_json_and_wrong_shape_are_400(app: Any, db: Any) -> None:
    for body in (b"{not json", b'{"destination": "U1"}', b'{"events": {"a": 1}}', b"[1,2]"):
        assert _post(app, body, ev.sign(body, CHANNEL_SECRET)).status_code == 400, body
    assert _count(db) == 0


def test_verify_call_with_no_events_is_200(app: Any, db: Any) -> None:
    body = b'{"destination":"Uxxxxxxxx","events":[]}'
    assert _post(app, body, ev.sign(body, CHANNEL_SECRET)).status_code == 200
    assert _count(db) == 0


def test_same_event_three_times_has_one_effect(chat: Any, db: Any, line: Any) -> None:
    event = ev.follow_event("Ubob", platform=line)
    chat.post([event], run=False)
    chat.post([ev.redelivered(event)], run=False)
    chat.post([event, event], run=False)
    chat.run_jobs()
    assert _count(db) == 1
    received = chat.new_messages("Ubob")
    assert len(received) == 1
    assert "綁定碼" in received[0]["text"]


def test_one_body_with_events_from_many_users(chat: Any, db: Any, line: Any) -> None:
    users = [f"Uuser{i:02d}" for i in range(12)]
    chat.post([ev.follow_event(u, platform=line) for u in users])
    with db.session() as s:
        statuses = s.scalars(select(InboxEvent.status)).all()
    assert statuses == [DONE] * 12
    for user in users:
        assert len(line.messages_for(user)) == 1


def test_unknown_event_type_and_fields_are_stored_and_ignored(
    chat: Any, db: Any, line: Any
) -> None:
    strange = {
        "type": "brandNewThing",
        "mode": "active",
        "timestamp": 1_790_000_000_000,
        "source": {"type": "user", "userId": "Ucarol"},
        "webhookEventId": "01JNEWTHING0000000000000AA",
        "deliveryContext": {"isRedelivery": False},
        "surprise": {"nested": [1, 2, 3]},
    }
    chat.post([strange])
    with db.session() as s:
        row = s.scalars(select(InboxEvent)).one()
        assert row.event_type == "brandNewThing"
        assert row.status == DONE
        assert row.payload["surprise"] == {"nested": [1, 2, 3]}
    assert line.messages_for("Ucarol") == []


def test_standby_events_are_stored_and_never_answered(chat: Any, db: Any, line: Any) -> None:
    chat.post([ev.text_event("Udave", "哈囉", platform=line, mode="standby")])
    with db.session() as s:
        row = s.scalars(select(InboxEvent)).one()
        assert row.mode == "standby"
        assert row.status == IGNORED
    assert chat.svc.queue.ran == []
    assert line.messages_for("Udave") == []
    assert _count(db, OutboxMessage) == 0


def test_healthz_reports_database_and_queue(app: Any) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] is True
    assert response.get_json()["queue"] is True


def test_logs_hold_no_message_text(chat: Any, line: Any, caplog: Any) -> None:
    caplog.set_level("DEBUG")
    chat.say("Uerin", "我的身分證 A123456789 秘密訊息")
    assert "秘密訊息" not in caplog.text
    assert "A123456789" not in caplog.text


def test_events_pending_until_job_runs(chat: Any, db: Any, line: Any) -> None:
    chat.post([ev.text_event("Ufrank", "哈囉", platform=line)], run=False)
    with db.session() as s:
        assert s.scalars(select(InboxEvent.status)).one() == PENDING


def test_a_web_processs_rehearsal_stores_nothing(app: Any, db: Any, caplog: Any) -> None:
    import logging

    from sqlalchemy import select

    from bot import webhook
    from storage.models.line import InboxEvent

    with caplog.at_level(logging.WARNING):
        webhook.rehearse(app)
    assert "rehearsal" not in caplog.text  # it ran to the end
    with db.session() as s:
        assert s.scalars(select(InboxEvent)).all() == []
