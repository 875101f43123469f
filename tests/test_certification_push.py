"""The daily certification push and the students' approval digest: frugal, on time, never twice."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from rules.reader import DEFAULT_RULES_PATH, parse_rules
from rules.school_rules import SchoolRules
from storage.clock import TAIPEI
from storage.models.certification import CertificationPush
from storage.models.line import LineAccount
from storage.models.portfolio import CERTIFIED
from tests.conftest import CHANNEL_SECRET, make_settings
from tests.school import TEACHER_CHEN, TEACHER_WANG, School
from tests.support import Chat
from tests.test_certify import (
    assert_fits,
    bubble_of,
    bubbles,
    data_of,
    outcome,
    submit_item,
    texts,
    tick,
)


def at(day: int, hour: int, minute: int = 0, month: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TAIPEI)


def rules_with(*changes: tuple[str, str]) -> SchoolRules:
    source = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in source
        source = source.replace(old, new)
    return parse_rules(source)


@pytest.fixture
def chat_with(
    db: Any, line: Any, _emulator: Any, clock: Any, tmp_path: Path
) -> Iterator[Callable[[SchoolRules], Chat]]:
    """A chat with the bot running under other school rules."""
    from bot import create_app

    apps: list[Any] = []

    def build(rules: SchoolRules) -> Chat:
        settings = make_settings(
            db.url, _emulator.base_url, tmp_path, _emulator.channel_access_token
        )
        app = create_app(
            settings, db=db, queue="manual", clock=clock, sleep=lambda s: None, rules=rules
        )
        apps.append(app)
        return Chat(app, line, clock, CHANNEL_SECRET)

    yield build
    for app in apps:
        app.extensions["portfolio"].line.close()


def pushes(db: Any) -> list[tuple[int, str]]:
    with db.session() as s:
        rows = s.scalars(
            select(CertificationPush).order_by(CertificationPush.day, CertificationPush.staff_id)
        )
        return [(r.staff_id, r.day.isoformat()) for r in rows]


# --- the daily push ------------------------------------------------------------------------------


DAILY = ("push_every_days = 7", "push_every_days = 1")


def test_one_push_a_day_at_the_hour_only_when_something_new(
    chat_with: Callable[[SchoolRules], Chat], db: Any, school: School, clock: Any, line: Any
) -> None:
    chat = chat_with(rules_with(DAILY))
    submit_item(db, school, clock, "Us10101", "101-數學")
    submit_item(db, school, clock, "Us10201", "102-數學")
    submit_item(db, school, clock, "Us10102", "101-國語文")
    clock.set(at(15, 15, 59))
    assert tick(chat)["certifier_pushes"] == 0

    clock.set(at(15, 16, 0))
    assert tick(chat)["certifier_pushes"] == 2
    got = chat.new_messages(TEACHER_CHEN)
    assert [msg["kind"] for msg in got] == ["push", "push"]
    assert_fits(got)
    assert texts(got).startswith(
        "【待認證】您有 2 件課程學習成果待認證（其中 2 件是新的），請在 2027/2/11 前完成。"
    )
    assert len(bubbles(got)) == 2
    assert line.pushes_counted() == 2  # one per certifier, whatever it holds
    assert len(bubbles(chat.new_messages(TEACHER_WANG))) == 1

    clock.set(at(15, 16, 5))
    assert tick(chat)["certifier_pushes"] == 0
    clock.set(at(15, 17, 0))
    submit_item(db, school, clock, "Us10103", "101-數學")
    clock.set(at(15, 17, 5))
    assert tick(chat)["certifier_pushes"] == 0  # already pushed today

    clock.set(at(16, 15, 0))
    assert tick(chat)["certifier_pushes"] == 0
    clock.set(at(16, 16, 0))
    assert tick(chat)["certifier_pushes"] == 1  # 陳建宏 has news; 王美玲 has none
    got = chat.new_messages(TEACHER_CHEN)
    assert "您有 3 件課程學習成果待認證（其中 1 件是新的）" in texts(got)
    assert len(bubbles(got)) == 3
    assert chat.new_messages(TEACHER_WANG) == []

    clock.set(at(17, 16, 0))
    assert tick(chat)["certifier_pushes"] == 0
    chen, wang = school.staff["T003"], school.staff["T001"]
    assert pushes(db) == [(wang, "2026-10-15"), (chen, "2026-10-15"), (chen, "2026-10-16")]
    assert line.pushes_counted() == 3


def test_the_default_cadence_is_one_digest_a_week_with_what_came_meanwhile(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    submit_item(db, school, clock, "Us10101", "101-數學")
    clock.set(at(15, 16, 0))
    assert tick(chat)["certifier_pushes"] == 1
    assert "其中 1 件是新的" in texts(chat.new_messages(TEACHER_CHEN))
    for day in (16, 19, 21):
        clock.set(at(day, 10, 0))
        submit_item(db, school, clock, f"Us101{(16, 19, 21).index(day) + 2:02d}", "101-數學")
        clock.set(at(day, 16, 0))
        assert tick(chat)["certifier_pushes"] == 0, day
    assert chat.new_messages(TEACHER_CHEN) == []
    # 待認證 shows what arrived meanwhile, free, whenever the teacher looks.
    assert len(bubbles(chat.say(TEACHER_CHEN, "待認證"))) == 4
    clock.set(at(22, 10, 0))
    submit_item(db, school, clock, "Us10101", "101-數學")
    clock.set(at(22, 16, 0))
    assert tick(chat)["certifier_pushes"] == 1  # a week on: only what is still unseen
    got = chat.new_messages(TEACHER_CHEN)
    assert "您有 5 件課程學習成果待認證（其中 1 件是新的）" in texts(got)
    chen = school.staff["T003"]
    assert pushes(db) == [(chen, "2026-10-15"), (chen, "2026-10-22")]
    assert line.pushes_counted() == 2


def test_items_seen_in_the_list_are_not_pushed_again(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    submit_item(db, school, clock, "Us10101", "101-數學")
    chat.say(TEACHER_CHEN, "待認證")
    clock.set(at(15, 16, 0))
    assert tick(chat)["certifier_pushes"] == 0
    assert line.pushes_counted() == 0


def test_a_pushed_card_works_like_a_listed_one(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    item = submit_item(db, school, clock, "Us10104", "101-數學")
    clock.set(at(15, 16, 0))
    tick(chat)
    pushed = chat.new_messages(TEACHER_CHEN)
    said = texts(chat.tap(TEACHER_CHEN, data_of(bubble_of(pushed, "林雅琪"), "通過")))
    assert "已通過" in said
    assert outcome(db, item).status == CERTIFIED


def test_more_than_a_page_ends_with_how_many_more(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    for n in range(15):
        submit_item(db, school, clock, f"Us101{n % 6 + 1:02d}", "101-數學", f"作品 {n}")
    clock.set(at(15, 16, 0))
    tick(chat)
    pushed = chat.new_messages(TEACHER_CHEN)
    assert_fits(pushed)
    cards = bubbles(pushed)
    assert len(cards) == 12
    last = texts([{"type": "flex", "altText": "", "contents": cards[-1]}])
    assert "還有 4 件待認證" in last
    got = chat.tap(TEACHER_CHEN, data_of(cards[-1], "下一頁"))
    assert got[-1]["kind"] == "reply" and len(bubbles(got)) == 4


def test_nobody_on_line_means_no_push_and_no_error(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    submit_item(db, school, clock, "Us10101", "101-數學")
    with db.transaction() as s:
        account = s.scalars(
            select(LineAccount).where(LineAccount.line_user_id == TEACHER_CHEN)
        ).one()
        account.followed = False  # blocked the bot
    clock.set(at(15, 16, 0))
    assert tick(chat)["certifier_pushes"] == 0
    assert line.pushes_counted() == 0


def test_two_ticks_at_once_push_once(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    from jobs import certification as job

    submit_item(db, school, clock, "Us10101", "101-數學")
    submit_item(db, school, clock, "Us10102", "101-國語文")
    clock.set(at(15, 16, 0))
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def run() -> None:
        with chat.app.app_context():
            barrier.wait(5)
            sent.append(job.push_certifiers(chat.svc, clock.now()))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sum(sent) == 2
    tick(chat)
    assert line.pushes_counted() == 2
    assert len(pushes(db)) == 2


def test_immediate_cadence_pushes_as_items_arrive_outside_quiet_hours(
    chat_with: Callable[[SchoolRules], Chat], db: Any, school: School, clock: Any, line: Any
) -> None:
    talk = chat_with(rules_with(('push = "16:00"', 'push = "immediate"')))
    submit_item(db, school, clock, "Us10101", "101-數學")
    assert tick(talk)["certifier_pushes"] == 1
    assert tick(talk)["certifier_pushes"] == 0
    clock.set(at(15, 11, 0))
    submit_item(db, school, clock, "Us10102", "101-數學")
    assert tick(talk)["certifier_pushes"] == 1
    clock.set(at(15, 23, 0))
    submit_item(db, school, clock, "Us10103", "101-數學")
    assert tick(talk)["certifier_pushes"] == 0  # quiet hours
    clock.set(at(16, 7, 0))
    assert tick(talk)["certifier_pushes"] == 1
    assert line.pushes_counted() == 3  # the price of immediacy: one per arrival batch


# --- the students' approval digest ------------------------------------------------------------


def test_next_reply_mode_never_pushes_approvals(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    submit_item(db, school, clock, "Us10102", "101-數學")
    chat.tap(TEACHER_CHEN, data_of(chat.say(TEACHER_CHEN, "待認證"), "通過"))
    clock.set(at(16, 9, 0))
    assert tick(chat)["approval_digests"] == 0
    assert line.messages_for("Us10102") == []


def test_daily_digest_tells_each_student_once_a_day(
    chat_with: Callable[[SchoolRules], Chat], db: Any, school: School, clock: Any, line: Any
) -> None:
    talk = chat_with(
        rules_with(('approval_notice = "next_reply"', 'approval_notice = "daily_digest"'))
    )
    submit_item(db, school, clock, "Us10102", "101-數學")
    submit_item(db, school, clock, "Us10103", "101-數學")
    cards = talk.say(TEACHER_CHEN, "待認證")
    talk.tap(TEACHER_CHEN, data_of(bubble_of(cards, "陳怡君"), "通過"))
    talk.tap(TEACHER_CHEN, data_of(bubble_of(cards, "張家豪"), "通過"))
    # 張家豪 talks to the bot first: told in the reply, for free.
    assert "已通過認證" in texts(talk.say("Us10103", "說明"))
    clock.set(at(15, 10, 30))
    assert tick(talk)["approval_digests"] == 0  # decided after today's 09:00: tomorrow
    clock.set(at(16, 8, 59))
    assert tick(talk)["approval_digests"] == 0
    clock.set(at(16, 9, 0))
    assert tick(talk)["approval_digests"] == 1
    got = talk.new_messages("Us10102")
    assert [msg["kind"] for msg in got] == ["push"]
    assert "已通過認證：「數學」" in texts(got)
    assert tick(talk)["approval_digests"] == 0
    assert talk.new_messages("Us10103") == []
    assert line.pushes_counted() == 1


def test_staff_see_what_each_cadence_would_cost(
    chat: Any, app: Any, db: Any, school: School, clock: Any
) -> None:
    submit_item(db, school, clock, "Us10101", "101-國語文")  # 王美玲 10:00
    submit_item(db, school, clock, "Us10101", "101-數學")  # 陳建宏 10:00
    clock.set(at(15, 11, 0))
    submit_item(db, school, clock, "Us10102", "101-數學")  # 11:00: same digest, another push
    clock.set(at(15, 17, 0))
    submit_item(db, school, clock, "Us10103", "101-數學")  # after 16:00: tomorrow's digest
    cards = chat.say(TEACHER_CHEN, "待認證")
    chat.tap(TEACHER_CHEN, data_of(bubble_of(cards, "李小明"), "退回"))
    chat.say(TEACHER_CHEN, "科目不符")
    result = app.test_cli_runner().invoke(args=["certify", "cost", "--days", "7"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert (
        "送出 4 件，認證決定 1 件（退回 1 件）。目前設定：每 7 日 16:00 彙整推播（有新項目才推）。"
        in lines[0]
    )
    assert "每日彙整推播：約 4 則（含退回通知 1 則）" in lines[1]
    assert "立即推播：    約 5 則" in lines[2]
    assert "逐件推播：    5 則" in lines[3]
