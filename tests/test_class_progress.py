"""班級進度: the homeroom view of a class's uploads, and one confirmed, costed reminder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from rules.school_rules import SchoolRules
from storage.models.certification import ClassReminder
from storage.models.line import LineAccount
from storage.models.portfolio import DRAFT, CourseOutcome
from tests.school import TEACHER_CHEN, TEACHER_LIN, TEACHER_WANG, School
from tests.support import Chat
from tests.test_certification_push import chat_with, rules_with  # noqa: F401
from tests.test_certify import data_of, submit_item, texts


def _seed_work(chat: Any, db: Any, school: School, clock: Any) -> None:
    """01: one pending, one certified; 02: one rejected; 03: a draft only; 04: withdrew."""
    from school import outcomes

    submit_item(db, school, clock, "Us10101", "101-數學")
    submit_item(db, school, clock, "Us10101", "101-國語文")
    rejected = submit_item(db, school, clock, "Us10102", "101-數學")
    gone = submit_item(db, school, clock, "Us10104", "101-英語文")
    with db.transaction() as s:
        s.add(
            CourseOutcome(
                student_id=school.students["Us10103"],
                course_id=school.courses["101-數學"],
                academic_year=115,
                semester=1,
                summary="還沒寫完",
                status=DRAFT,
                created_at=clock.now(),
            )
        )
        outcomes.withdraw_outcome(s, school.students["Us10104"], gone, clock.now())
        # 黃詩涵 has not bound LINE yet.
        s.execute(LineAccount.__table__.delete().where(LineAccount.line_user_id == "Us10106"))
    chat.tap(TEACHER_WANG, data_of(chat.say(TEACHER_WANG, "待認證"), "通過"))
    cards = chat.say(TEACHER_CHEN, "待認證")
    from tests.test_certify import bubble_of

    chat.tap(TEACHER_CHEN, data_of(bubble_of(cards, "陳怡君"), "退回"))
    chat.say(TEACHER_CHEN, "內容不完整")
    assert rejected


def test_homeroom_sees_counts_per_student_and_who_uploaded_nothing(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    _seed_work(chat, db, school, clock)
    got = chat.say(TEACHER_WANG, "班級進度")
    assert [msg["kind"] for msg in got] == ["reply"]
    lines = got[0]["text"].splitlines()
    assert lines[0] == "101 班 115-1 課程學習成果"
    assert "01 李小明　2／1／1／0" in lines
    assert "02 陳怡君　0／0／0／1" in lines
    assert "03 張家豪　0／0／0／0" in lines
    assert lines[-1] == "尚未上傳（4 人）：3 張家豪、4 林雅琪、5 王柏翰、6 黃詩涵"
    quick = got[0]["quickReply"]["items"]
    assert [q["action"]["label"] for q in quick] == ["提醒未上傳同學"]
    # The menu button does the same.
    assert chat.tap(TEACHER_WANG, "menu:class_progress")[0]["text"] == got[0]["text"]


def test_only_homeroom_teachers_and_only_their_own_class(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    assert "不適用於目前的身分" in texts(chat.say(TEACHER_CHEN, "班級進度"))
    assert "不適用於目前的身分" in texts(chat.say("Us10101", "班級進度"))
    mine = chat.say(TEACHER_WANG, "班級進度")
    ask = mine[0]["quickReply"]["items"][0]["action"]["data"]
    assert "失效" in texts(chat.tap(TEACHER_LIN, ask))  # 林志明 is 102's homeroom teacher


def test_reminder_is_confirmed_first_shows_its_cost_and_goes_as_one_multicast(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    _seed_work(chat, db, school, clock)
    assert line.pushes_counted() == 1  # the rejection push to 陳怡君
    ask = chat.say(TEACHER_WANG, "班級進度")[0]["quickReply"]["items"][0]["action"]["data"]
    confirm = chat.tap(TEACHER_WANG, ask)
    said = texts(confirm)
    assert "提醒 3 位尚未上傳的同學" in said
    assert "會用掉 3 則訊息額度（本月已用 1／3000）" in said
    assert "另有 1 位還沒綁定 LINE" in said
    assert "沒有送出" in texts(chat.tap(TEACHER_WANG, data_of(confirm, "先不要")))
    assert line.pushes_counted() == 1

    send = data_of(confirm, "送出提醒")
    assert texts(chat.tap(TEACHER_WANG, send)) == "已提醒 3 位同學（用掉 3 則訊息額度）。"
    for student in ("Us10103", "Us10104", "Us10105"):
        got = line.messages_for(student)
        assert [msg["kind"] for msg in got] == ["multicast"]
        assert "101 班同學你好" in got[0]["text"] and "2027/2/3 前上傳" in got[0]["text"]
        assert "王美玲" in got[0]["text"]
    for student in ("Us10101", "Us10102"):
        assert all(msg["kind"] != "multicast" for msg in line.messages_for(student))
    assert line.pushes_counted() == 4
    assert len([r for r in line.requests if "multicast" in r.path]) == 1

    # Once a day: a second tap, or asking again, sends nothing.
    assert "今天已經提醒過了" in texts(chat.tap(TEACHER_WANG, send))
    assert "今天已經提醒過了" in texts(chat.tap(TEACHER_WANG, ask))
    assert line.pushes_counted() == 4
    with db.session() as s:
        row = s.scalars(select(ClassReminder)).one()
    assert (row.recipients, row.staff_id) == (3, school.staff["T001"])


def test_a_confirmation_replayed_the_next_day_sends_nothing(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    ask = chat.say(TEACHER_WANG, "班級進度")[0]["quickReply"]["items"][0]["action"]["data"]
    send = data_of(chat.tap(TEACHER_WANG, ask), "送出提醒")
    clock.advance(timedelta(days=1))
    assert "失效" in texts(chat.tap(TEACHER_WANG, send))
    assert line.pushes_counted() == 0


def test_a_reminder_that_would_overrun_the_quota_is_refused(
    chat_with: Callable[[SchoolRules], Chat],  # noqa: F811
    db: Any,
    school: School,
    line: Any,
) -> None:
    talk = chat_with(rules_with(("monthly_quota = 3000", "monthly_quota = 2")))
    ask = talk.say(TEACHER_WANG, "班級進度")[0]["quickReply"]["items"][0]["action"]["data"]
    said = texts(talk.tap(TEACHER_WANG, ask))
    assert said == "本月訊息額度只剩 2 則，不夠提醒 6 位同學。請當面提醒，或洽註冊組。"
    assert line.pushes_counted() == 0


def test_nobody_to_remind(chat: Any, db: Any, school: School, clock: Any) -> None:
    for n in range(1, 7):
        submit_item(db, school, clock, f"Us101{n:02d}", "101-數學")
    got = chat.say(TEACHER_WANG, "班級進度")
    assert "全班都已上傳至少一件" in got[0]["text"]
    assert "quickReply" not in got[0]
