"""The test school seeds and its accounts are recognised by role."""

from __future__ import annotations

from typing import Any

from tests.school import PARENT, REGISTRAR, STUDENTS_101, TEACHER_WANG


def test_seeded_roles_answer_help(chat: Any, school: Any) -> None:
    assert "上傳" in chat.texts(chat.say(STUDENTS_101[0], "說明"))
    assert "班級進度" in chat.texts(chat.say(TEACHER_WANG, "說明"))
    assert "孩子進度" in chat.texts(chat.say(PARENT, "說明"))
    assert "待辦" in chat.texts(chat.say(REGISTRAR, "說明"))


def test_a_sticker_gets_a_friendly_pointer_not_a_file_message(
    chat: Any, school: Any, line: Any
) -> None:
    from dev.emulator import events as ev

    event = ev.text_event(STUDENTS_101[1], "x", platform=line)
    event["message"] = {"id": "1", "type": "sticker", "packageId": "446", "stickerId": "1988"}
    chat.post([event])
    said = chat.texts(chat.new_messages(STUDENTS_101[1]))
    assert "我不太懂" in said and "收到檔案" not in said
