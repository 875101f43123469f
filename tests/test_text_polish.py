"""Every catalogue text reads cleanly: no doubled punctuation, no stray space before 老師, one
form of address for students."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

CATALOGUE = Path(__file__).resolve().parents[1] / "catalogue" / "zh_TW"


def every_text() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(CATALOGUE.glob("*.toml")):
        with path.open("rb") as handle:
            for key, value in tomllib.load(handle).items():
                found.append((path.name, key, value))
    return found


TEXTS = every_text()
# Two sentence or clause ends in a row, also across a closing bracket: 。。 ，。 （…。）。
DOUBLED = re.compile(r"[。，、；：！？][）」』]*[。，、；：！？]")
# A name and its title belong together: 王美玲老師, {name}老師, not 王美玲 老師.
SPACE_BEFORE_TITLE = re.compile(r"[\S] +老師")


def offenders(pattern: re.Pattern[str]) -> list[str]:
    return [f"{file}: {key} = {value!r}" for file, key, value in TEXTS if pattern.search(value)]


def test_the_walk_sees_the_catalogue() -> None:
    assert len(TEXTS) > 500


def test_no_doubled_punctuation() -> None:
    assert offenders(DOUBLED) == []


def test_no_space_before_laoshi() -> None:
    assert offenders(SPACE_BEFORE_TITLE) == []


@pytest.mark.parametrize("sample", ["說明。）。", "好。。", "王美玲 老師", "{name} 老師"])
def test_the_checks_catch_what_they_should(sample: str) -> None:
    assert DOUBLED.search(sample) or SPACE_BEFORE_TITLE.search(sample)


def test_a_filled_in_sentence_does_not_double_the_punctuation() -> None:
    from catalogue import TEXTS, text

    doubled = []
    for key, template in TEXTS.items():
        names = set(re.findall(r"{(\w+)}", template))
        if not names or re.search(r"{\w+[.:!\[]", template):
            continue
        filled = text(key, **{name: "請看說明。" for name in names})
        if DOUBLED.search(filled):
            doubled.append(f"{key}: {filled}")
    assert doubled == []


# Texts students read (alone or with others): they are addressed as 你, never 您.
STUDENT_FACING = (
    "upload.",
    "performance.",
    "portfolio.",
    "general.",
    "bind.",
    "desk.",
    "schedule.event.",
    "certify.student.",
    "media.",
    "pick.",
    "receipt.",
)
ADULTS_ONLY = ("bind.ok_guardian", "guardian.")


def test_students_are_addressed_one_way() -> None:
    formal = [
        f"{file}: {key}"
        for file, key, value in TEXTS
        if key.startswith(STUDENT_FACING) and not key.startswith(ADULTS_ONLY) and "您" in value
    ]
    assert formal == []


def _quick_labels(messages: list[dict]) -> list[str]:
    return [
        item["action"]["label"]
        for message in messages
        for item in (message.get("quickReply") or {}).get("items", [])
    ]


def test_fallback_quick_replies_offer_only_what_the_person_can_use(
    chat: object, school: object
) -> None:
    from tests.school import PARENT, STUDENTS_101

    student = _quick_labels(chat.say(STUDENTS_101[0], "嗯嗯"))  # type: ignore[attr-defined]
    assert "上傳" in student and "說明" in student
    # A grade-1 student writes no 自傳 and is not invited to 說明會 by this menu.
    assert "說明會" not in student and "自傳" not in student
    parent = _quick_labels(chat.say(PARENT, "嗯嗯"))  # type: ignore[attr-defined]
    assert "說明會" in parent
