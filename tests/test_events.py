"""Trainings and briefings (rule 六): notice, RSVP, day-before reminder, counts, yearly check."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from school import school_events
from storage.clock import FrozenClock
from storage.models.line import LineAccount
from storage.models.schedule import EventRsvp, SchoolEvent
from storage.models.school import Guardian, GuardianLink
from tests.school import CREATED, PARENT, REGISTRAR, School
from tests.support import Chat
from tests.test_reminders import COUNSELLING, add_offices, taipei, tick

PARENT_2 = "Upar2"  # a guardian of Us10201 (class 102)


def add_second_parent(db: Any, school: School) -> None:
    with db.transaction() as session:
        parent = Guardian(name="劉媽媽")
        session.add(parent)
        session.flush()
        session.add(GuardianLink(guardian_id=parent.id, student_id=school.students["Us10201"]))
        session.add(
            LineAccount(
                line_user_id=PARENT_2, guardian_id=parent.id, created_at=CREATED, bound_at=CREATED
            )
        )


def create_briefing(db: Any, clock: FrozenClock, **audience: Any) -> int:
    with db.transaction() as session:
        event = school_events.create_event(
            session,
            kind="parent_briefing",
            title="高一親師說明會",
            starts_at=taipei(2026, 11, 7, 9, 30),
            place="大禮堂",
            audience=audience or {"guardians": True},
            academic_year=115,
            now=clock.now(),
        )
        return event.id


def card_actions(message: dict[str, Any]) -> list[str]:
    bubble = message["contents"]
    bubbles = bubble["contents"] if bubble["type"] == "carousel" else [bubble]
    return [b["action"]["data"] for bub in bubbles for b in bub["footer"]["contents"]]


def test_a_briefing_from_notice_to_counts(
    app: Any, chat: Chat, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    add_offices(db, school)
    add_second_parent(db, school)
    event_id = create_briefing(db, clock)

    tick(app)  # the notice goes to the guardians only, with 參加 / 不克參加
    [notice] = chat.new_messages(PARENT)
    assert "親師說明會" in notice["altText"] and "2026/11/7（六）09:30" in notice["altText"]
    assert card_actions(notice) == [f"event:rsvp:{event_id}:yes", f"event:rsvp:{event_id}:no"]
    assert len(chat.new_messages(PARENT_2)) == 1
    assert line.messages_for("Us10101") == [] and line.messages_for("Utwang") == []

    reply = chat.tap(PARENT, f"event:rsvp:{event_id}:yes")
    assert "已登記參加「高一親師說明會」" in Chat.texts(reply)
    assert reply[0]["kind"] == "reply"  # answering costs nothing
    assert "不克參加" in Chat.texts(chat.tap(PARENT_2, f"event:rsvp:{event_id}:no"))

    # 說明會 from the menu shows the event and the answer given.
    shown = chat.tap(PARENT, "menu:briefing")
    assert "您已回覆：參加" in Chat.texts(shown)

    # A second tick the same day sends nothing again.
    clock.advance(hours=3)
    tick(app)
    assert chat.new_messages(PARENT) == [] and chat.new_messages(PARENT_2) == []

    # The day before at the send time: those who said yes are reminded; the offices get counts.
    clock.set(taipei(2026, 11, 6, 9, 0))
    tick(app)
    [reminder] = chat.new_messages(PARENT)
    assert "明天" in reminder["text"] and "大禮堂" in reminder["text"]
    assert chat.new_messages(PARENT_2) == []
    for office in (REGISTRAR, COUNSELLING):
        counts = [m for m in line.messages_for(office) if "回覆統計" in m.get("text", "")]
        assert len(counts) == 1
        assert "參加 1 人、不克參加 1 人、未回覆 0 人（共通知 2 人）" in counts[0]["text"]
    clock.advance(hours=1)
    tick(app)
    assert chat.new_messages(PARENT) == []

    # Once it has started, answers are closed.
    clock.set(taipei(2026, 11, 7, 10, 0))
    assert "已經開始" in Chat.texts(chat.tap(PARENT_2, f"event:rsvp:{event_id}:yes"))
    with db.session() as session:
        answers = {r.recipient: r.attending for r in session.scalars(select(EventRsvp))}
    assert sorted(answers.values()) == [False, True]


def test_a_changed_answer_replaces_the_first(
    app: Any, chat: Chat, db: Any, school: School, clock: FrozenClock
) -> None:
    event_id = create_briefing(db, clock)
    chat.tap(PARENT, f"event:rsvp:{event_id}:yes")
    chat.tap(PARENT, f"event:rsvp:{event_id}:no")
    with db.session() as session:
        [rsvp] = session.scalars(select(EventRsvp)).all()
        event = session.get(SchoolEvent, event_id)
        assert rsvp.attending is False
        counts = school_events.rsvp_counts(session, event)
    assert (counts.invited, counts.attending, counts.declined) == (1, 0, 1)


def test_rsvp_taps_are_checked_on_the_server(
    app: Any, chat: Chat, db: Any, school: School, clock: FrozenClock
) -> None:
    event_id = create_briefing(db, clock)
    # A student is not invited to a parents' briefing, whatever the tap says.
    assert "不在邀請名單" in Chat.texts(chat.tap("Us10102", f"event:rsvp:{event_id}:yes"))
    for crafted in (
        f"event:rsvp:{event_id}:maybe",
        "event:rsvp:999:yes",
        "event:rsvp:x:yes",
        "event:drop:1",
    ):
        assert "按鈕已經失效" in Chat.texts(chat.tap(PARENT, crafted)), crafted
    with db.session() as session:
        assert session.scalars(select(EventRsvp)).all() == []


def test_a_training_for_one_class_reaches_only_its_students(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    with db.transaction() as session:
        school_events.create_event(
            session,
            kind="student_training",
            title="學習歷程系統操作",
            starts_at=taipei(2026, 10, 20, 13, 10),
            place="電腦教室",
            audience={"students": True, "classes": ["102"]},
            academic_year=115,
            now=clock.now(),
        )
    tick(app)
    assert len(line.messages_for("Us10201")) == 1
    assert line.messages_for("Us10101") == [] and line.messages_for(PARENT) == []


def test_an_event_created_the_day_before_gets_no_late_reminder(
    app: Any, chat: Chat, db: Any, school: School, clock: FrozenClock
) -> None:
    clock.set(taipei(2026, 11, 6, 10, 0))
    event_id = create_briefing(db, clock)
    tick(app)
    chat.new_messages(PARENT)
    chat.tap(PARENT, f"event:rsvp:{event_id}:yes")
    clock.advance(hours=2)
    tick(app)
    assert chat.new_messages(PARENT) == []


def test_the_yearly_check_reminds_the_office_only_when_nothing_is_planned(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    add_offices(db, school)
    with db.transaction() as session:
        school_events.create_event(
            session,
            kind="student_training",
            title="學習歷程系統操作",
            starts_at=taipei(2026, 10, 28, 13, 10),
            place="電腦教室",
            audience={"students": True},
            academic_year=115,
            now=clock.now(),
        )
    clock.set(taipei(2026, 10, 17, 9, 0))  # two weeks before the training is due
    tick(app)
    assert not any("學生學習歷程訓練" in m.get("altText", "") for m in line.messages_for(REGISTRAR))
    clock.set(taipei(2026, 11, 16, 9, 0))  # the teacher workshop: none planned
    tick(app)
    [missing] = [m for m in line.messages_for(REGISTRAR) if "教師學習歷程研習" in m["altText"]]
    assert "11/30" in missing["altText"] or "2026/11/30" in missing["altText"]
    clock.set(taipei(2026, 12, 1, 9, 0))
    tick(app)
    overdue = [m for m in line.messages_for(REGISTRAR) if "至今仍未建立" in m.get("altText", "")]
    assert len(overdue) == 1
    # Parent briefings belong to 輔導室 and 註冊組 together.
    clock.set(taipei(2026, 12, 17, 9, 0))
    tick(app)
    assert any("親師說明會" in m.get("altText", "") for m in line.messages_for(COUNSELLING))


def test_briefing_menu_with_nothing_planned(chat: Chat, school: School) -> None:
    assert "目前沒有近期的說明會" in Chat.texts(chat.tap(PARENT, "menu:briefing"))
    assert "目前沒有近期的說明會" in Chat.texts(chat.say(PARENT, "說明會"))


def test_staff_todo_and_notices(chat: Chat, school: School, clock: FrozenClock) -> None:
    clock.set(taipei(2026, 9, 25, 10, 0))
    todo = Chat.texts(chat.say(REGISTRAR, "待辦"))
    assert "接下來 14 天" in todo and "10/1" in todo and "學業成績" in todo
    assert "目前還沒有發出公告" in Chat.texts(chat.say(REGISTRAR, "公告"))
    assert "不適用於目前的身分" in Chat.texts(chat.say("Us10101", "待辦"))
