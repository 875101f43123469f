"""The webhook against an outside probe: group chats, malformed and odd events, full-width codes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from dev.emulator import events as ev
from storage import binding
from storage import inbox as inbox_store
from storage.models.binding import BindAttempt, BindingCode
from storage.models.line import DEAD, DONE, PENDING, InboxEvent, LineAccount
from storage.models.school import Student
from tests.conftest import CHANNEL_SECRET
from tests.school import PARENT, STUDENTS_101, seed_school

GROUP = "C" + "0123456789abcdef" * 2
ROOM = "R" + "fedcba9876543210" * 2


def _in_group(event: dict[str, Any], line: Any, user: str | None, chat_id: str = GROUP) -> dict:
    """The same event as if written in a group (or room) chat the bot is a member of."""
    kind = "group" if chat_id.startswith("C") else "room"
    event["source"] = {"type": kind, f"{kind}Id": chat_id}
    if user is not None:
        event["source"]["userId"] = user
    if "replyToken" in event:
        event["replyToken"] = line.issue_reply_token(chat_id)
    return event


def _join(line: Any, chat_id: str = GROUP) -> dict[str, Any]:
    event = ev.follow_event("Uignored", platform=line)
    event["type"] = "join"
    return _in_group(event, line, None, chat_id)


def _guardian_code(db: Any, clock: Any) -> str:
    with db.transaction() as s:
        child = s.scalars(select(Student).where(Student.student_no == "115002")).one()
        [issued] = binding.issue(s, binding.GUARDIAN, clock.now(), students=[child])
        return issued.code


# --- 1. group and room chats ------------------------------------------------------------------


def test_bound_student_writing_in_a_group_gets_no_personal_data_there(
    chat: Any, db: Any, line: Any
) -> None:
    seed_school(db)
    student = STUDENTS_101[0]
    for words in ("我的歷程", "說明", "帳號"):
        chat.post([_in_group(ev.text_event(student, words, platform=line), line, student)])
        chat.post(
            [_in_group(ev.postback_event(student, "menu:portfolio", platform=line), line, student)]
        )
    # Nothing was said into the group, nor pushed to the student about it.
    assert line.messages_for(GROUP) == []
    assert line.messages_for(student) == []
    with db.session() as s:
        rows = s.scalars(select(InboxEvent)).all()
        assert {r.status for r in rows} == {DONE}
        assert {r.source_id for r in rows} == {GROUP}


def test_a_group_cannot_bind_as_a_guardian(chat: Any, db: Any, line: Any, clock: Any) -> None:
    seed_school(db)
    code = _guardian_code(db, clock)
    chat.post([_in_group(ev.text_event("Uunused", code, platform=line), line, None)])
    chat.post([_in_group(ev.text_event(PARENT, code, platform=line), line, PARENT, ROOM)])
    assert line.messages_for(GROUP) == [] and line.messages_for(ROOM) == []
    with db.session() as s:
        ids = s.scalars(select(LineAccount.line_user_id)).all()
        assert GROUP not in ids and ROOM not in ids
        assert s.scalars(select(BindingCode.used_at)).one() is None
        assert s.scalars(select(BindAttempt)).all() == []


def test_joining_a_group_says_one_fixed_line_and_leaving_is_handled(
    chat: Any, db: Any, line: Any
) -> None:
    seed_school(db)
    chat.post([_join(line)])
    [said] = line.messages_for(GROUP)
    assert "一對一" in said["text"] and said["kind"] == "reply"
    leave = _join(line)
    leave["type"] = "leave"
    leave.pop("replyToken")
    chat.post([leave])
    assert len(line.messages_for(GROUP)) == 1
    with db.session() as s:
        assert set(s.scalars(select(InboxEvent.status)).all()) == {DONE}


# --- 7. one malformed event does not stall that person -----------------------------------------


def _signed_post(app: Any, body: bytes) -> Any:
    return app.test_client().post(
        "/callback",
        data=body,
        headers={
            "X-Line-Signature": ev.sign(body, CHANNEL_SECRET),
            "Content-Type": "application/json",
        },
    )


def test_malformed_postback_is_dead_lettered_at_once_and_blocks_nobody(
    chat: Any, db: Any, line: Any
) -> None:
    seed_school(db)
    student = STUDENTS_101[0]
    bad = ev.postback_event(student, "x", platform=line)
    bad["postback"] = "zzz"
    chat.post([bad], run=False)
    answer = chat.say(student, "說明")
    assert answer, "the next message was held behind the malformed one"
    with db.session() as s:
        row = s.scalars(
            select(InboxEvent).where(InboxEvent.webhook_event_id == bad["webhookEventId"])
        ).one()
        assert row.status == DEAD and row.last_error == "invalid: postback"
        assert row.payload == {"invalid": "postback"}


def test_a_failing_handler_retries_without_holding_later_events(
    chat: Any, db: Any, line: Any, monkeypatch: Any
) -> None:
    from handlers import postback

    seed_school(db)
    student = STUDENTS_101[0]
    real = postback.on_postback

    def flaky(ctx: Any, event: dict[str, Any]) -> None:
        if event["postback"]["data"] == "boom":
            raise RuntimeError("a handler bug")
        real(ctx, event)

    monkeypatch.setattr("jobs.inbox._router", None)
    monkeypatch.setattr(postback, "on_postback", flaky)
    chat.post([ev.postback_event(student, "boom", platform=line)])
    assert chat.say(student, "說明"), "the next message waited for the failed one's retry"
    with db.session() as s:
        failed = s.scalars(select(InboxEvent).where(InboxEvent.event_type == "postback")).one()
        assert failed.status == PENDING and failed.attempts == 1
    # Retried later, with backoff: not before its delay is over.
    from jobs import inbox

    chat.clock.advance(inbox_store.STALE_AFTER - timedelta(seconds=1))
    with chat.app.app_context():
        assert inbox.sweep()["requeued"] == 0
    chat.clock.advance(seconds=2)
    with chat.app.app_context():
        assert inbox.sweep()["requeued"] == 1


# --- 8. odd but signed bodies -----------------------------------------------------------------


def test_odd_events_are_set_aside_and_the_good_ones_kept(
    app: Any, chat: Any, db: Any, line: Any, caplog: Any
) -> None:
    caplog.set_level("DEBUG")
    seed_school(db, bind=False)
    long_id = "U" + "a" * 199
    good = ev.follow_event("Ugood", platform=line)
    odd = [ev.text_event(f"Uodd{i}", f"秘密訊息{i}", platform=line) for i in range(6)]
    odd[4]["source"]["userId"] = long_id
    pieces = [json.dumps(e, ensure_ascii=False) for e in [good, *odd]]
    # Written by hand: these are not what json.dumps would write.
    pieces[1] = pieces[1].replace(str(odd[0]["timestamp"]), "NaN")
    pieces[2] = pieces[2].replace(str(odd[1]["timestamp"]), "Infinity")
    pieces[3] = pieces[3].replace(str(odd[2]["timestamp"]), "1e20")
    pieces[4] = pieces[4].replace("秘密訊息3", "秘密\\u0000訊息3")
    deep = "[" * 5000 + "]" * 5000
    pieces[6] = pieces[6].replace('"type": "text"', f'"type": "text", "deep": {deep}')
    events = ", ".join(pieces)
    body = f'{{"destination": "{ev.DEFAULT_DESTINATION}", "events": [{events}]}}'.encode()
    response = _signed_post(app, body)
    assert response.status_code == 200
    chat.run_jobs()
    assert "綁定碼" in chat.texts(line.messages_for("Ugood"))
    with db.session() as s:
        rows = {r.webhook_event_id: r for r in s.scalars(select(InboxEvent))}
    assert rows[good["webhookEventId"]].status == DONE
    reasons = {e["webhookEventId"]: rows[e["webhookEventId"]].last_error for e in odd[:5]}
    assert list(reasons.values()) == [
        "invalid: timestamp",
        "invalid: timestamp",
        "invalid: timestamp",
        "invalid: NUL character",
        "invalid: source.userId",
    ]
    dead = [r for r in rows.values() if r.status == DEAD]
    assert len(dead) == 6 and all(r.source_id is None for r in dead)
    assert all("秘密" not in json.dumps(r.payload, ensure_ascii=False) for r in rows.values())
    # The same body again (LINE's redelivery) stores nothing twice.
    assert _signed_post(app, body).status_code == 200
    with db.session() as s:
        assert len(s.scalars(select(InboxEvent)).all()) == 7
    for secret in ("秘密", long_id, "Uodd"):
        assert secret not in caplog.text


# --- 9. smaller holes ------------------------------------------------------------------------
# (PDFs as downloads with a sandbox CSP: tests/test_links.py; 0600 slips: tests/test_sheets.py.)


def _full_width(code: str) -> str:
    return "".join("－" if ch == "-" else chr(ord(ch) + 0xFEE0) for ch in code)


def test_a_full_width_code_binds(chat: Any, db: Any, clock: Any) -> None:
    seed_school(db, bind=False)
    with db.transaction() as s:
        student = s.scalars(select(Student).where(Student.student_no == "115001")).one()
        [issued] = binding.issue(s, binding.STUDENT, clock.now(), students=[student])
    typed = _full_width(issued.code)
    assert typed.isascii() is False and "－" in typed
    assert "綁定成功" in chat.texts(chat.say("Ufullwidth", typed))


def test_a_bound_user_writing_an_eight_letter_word_spends_no_try(chat: Any, db: Any) -> None:
    seed_school(db)
    student = STUDENTS_101[0]
    said = chat.texts(chat.say(student, "homework"))
    assert "綁定碼" not in said and "錯誤" not in said
    with db.session() as s:
        assert s.scalars(select(BindAttempt)).all() == []


def test_another_teachers_page_button_shows_no_names(chat: Any, db: Any, clock: Any) -> None:
    from tests.school import TEACHER_CHEN, TEACHER_LIN
    from tests.test_certify import submit_item

    school = seed_school(db)
    for uid in STUDENTS_101[:3]:
        submit_item(db, school, clock, uid, "101-數學", "作品")
    got = chat.say(TEACHER_CHEN, "待認證")
    quick = {i["action"]["label"]: i["action"]["data"] for i in got[-1]["quickReply"]["items"]}
    forwarded = chat.texts(chat.tap(TEACHER_LIN, quick["全部通過本頁"]))
    assert "不是由您認證" in forwarded
    for name in ("李小明", "王", "陳"):
        assert name not in forwarded
    mine = chat.texts(chat.tap(TEACHER_CHEN, quick["全部通過本頁"]))
    assert "李小明" in mine  # the certifier's own page still lists the names


def test_guessing_across_many_accounts_pauses_binding_and_alerts_it_staff(
    chat: Any, db: Any, line: Any
) -> None:
    from storage.models.school import Staff, StaffRole

    seed_school(db, bind=False)
    with db.transaction() as s:
        it = Staff(staff_no="A009", name="林資媒")
        it.roles = [StaffRole(role="資媒組長")]
        s.add(it)
        s.flush()
        s.add(
            LineAccount(
                line_user_id="Uit", created_at=clock_now(chat), bound_at=None, staff_id=it.id
            )
        )
    svc = chat.svc
    svc.settings = svc.settings.with_changes(bind_tries_per_hour=6)
    guessers = [f"Uguess{i}" for i in range(3)]
    for round_ in range(2):
        for user in guessers:
            said = chat.texts(chat.say(user, f"ACDE-FG{round_}{user[-1]}"))
            assert "綁定碼" in said or "錯誤" in said
    # Six wrong tries school-wide, none of the accounts locked: binding pauses for everyone.
    assert "暫停" in chat.texts(chat.say("Unewcomer", "ACDE-FGHJ"))
    with db.session() as s:
        assert len(s.scalars(select(BindAttempt)).all()) == 6
    alerts = line.messages_for("Uit")
    assert len(alerts) == 1 and "6 次錯誤的綁定碼" in alerts[0]["text"]
    assert "Uguess" not in alerts[0]["text"]


def clock_now(chat: Any) -> Any:
    return chat.clock.now()
