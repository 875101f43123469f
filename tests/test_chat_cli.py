"""`portfolio chat`: shows who you are, the rich menu as numbered choices, pushes as they arrive;
older cards' buttons stay usable; dates as people type them. `portfolio demo` honours PORT and
starts afresh with --reset."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import main
from dev import chat, demo


class FakeClient:
    """The platform side of ChatClient: what was sent, and messages waiting to be fetched."""

    def __init__(self, menu: list[dict[str, Any]] | None = None) -> None:
        self.user_id = "U" + "0" * 32
        self.actions: list[dict[str, Any]] = []
        self.menu = menu or []
        self.waiting: list[dict[str, Any]] = []
        self.sent: list[tuple[str, Any, Any]] = []
        self.lock = threading.Lock()

    def menu_actions(self) -> list[dict[str, Any]]:
        return self.menu

    def fetch(self) -> list[dict[str, Any]]:
        with self.lock:
            out, self.waiting = self.waiting, []
        return out

    def say(self, words: str) -> None:
        self.sent.append(("text", words, None))

    def postback(self, data: str, params: dict[str, Any] | None = None) -> None:
        self.sent.append(("postback", data, params))


MENU = [
    {"type": "postback", "label": "上傳", "data": "menu:upload"},
    {"type": "postback", "label": "我的歷程", "data": "menu:portfolio"},
]


def quick(label: str, data: str) -> dict[str, Any]:
    return {"type": "action", "action": {"type": "postback", "label": label, "data": data}}


def test_the_person_and_their_menu_are_shown_at_start() -> None:
    said: list[str] = []
    client = FakeClient(MENU)
    chat.run(
        client,
        echo=said.append,
        prompt=lambda: "/quit",  # type: ignore[arg-type]
        who=chat.person_label("115001"),
    )
    assert said[0].startswith("以 115001 李小明 的身分聊天")
    assert said[1] == "圖文選單：[1] 上傳  [2] 我的歷程"
    assert client.user_id not in "".join(said)
    assert chat.person_label("T001") == "T001 王美玲"


def test_a_push_is_shown_while_waiting_for_input() -> None:
    said: list[str] = []
    shown = threading.Event()
    client = FakeClient()

    def echo(words: str) -> None:
        said.append(words)
        if "（推播）" in words:
            shown.set()

    def prompt() -> str:
        with client.lock:
            client.waiting.append({"type": "text", "kind": "push", "text": "有一件待認證"})
        assert shown.wait(5), "the push was not shown while the prompt waited"
        return "/quit"

    chat.run(client, echo=echo, prompt=prompt)  # type: ignore[arg-type]
    assert "（推播）有一件待認證" in said


def test_older_cards_buttons_stay_usable() -> None:
    client = FakeClient()
    talk = chat.Conversation(client, echo=lambda words: None)  # type: ignore[arg-type]
    talk.show([{"type": "text", "text": "第一張", "quickReply": {"items": [quick("送出", "a")]}}])
    talk.show([{"type": "text", "text": "第二張", "quickReply": {"items": [quick("取消", "b")]}}])
    words, _ = chat.render(
        [{"type": "text", "text": "x", "quickReply": {"items": [quick("下一個", "c")]}}],
        client.actions,
    )
    assert "[3] 下一個" in words
    talk.handle("1")
    talk.handle("2")
    assert [s[1] for s in client.sent] == ["a", "b"]


@pytest.mark.parametrize("typed", ["2026-11-01", "2026/11/01", "民國 115/11/01"])
def test_date_answers_the_picker_as_people_type_it(typed: str) -> None:
    said: list[str] = []
    client = FakeClient()
    client.actions = [{"type": "datetimepicker", "label": "選日期", "data": "pick-date"}]
    talk = chat.Conversation(client, echo=said.append)  # type: ignore[arg-type]
    assert talk.handle(f"/date {typed}")
    assert client.sent == [("postback", "pick-date", {"date": "2026-11-01"})]


def test_a_wrong_date_is_explained_and_nothing_is_sent() -> None:
    said: list[str] = []
    client = FakeClient()
    client.actions = [{"type": "datetimepicker", "label": "選日期", "data": "pick-date"}]
    talk = chat.Conversation(client, echo=said.append)  # type: ignore[arg-type]
    assert not talk.handle("/date 2026-02-30")
    assert client.sent == [] and "沒有「2026-02-30」這一天" in said[0]


def test_help_documents_the_slash_commands() -> None:
    result = CliRunner().invoke(main, ["chat", "--help"])
    for word in ("/photo", "/file", "/date", "/quit"):
        assert word in result.output


def test_demo_port_comes_from_PORT_and_reset_keeps_the_virtualenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = next(p for p in demo.demo_command.params if p.name == "port")
    assert port.envvar == "PORT"
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".venv").mkdir()
    (tmp_path / "instance" / "demo-files").mkdir(parents=True)
    (tmp_path / "instance" / "demo.sqlite").write_bytes(b"x")
    demo.reset_demo()
    assert not (tmp_path / "instance" / "demo.sqlite").exists()
    assert not (tmp_path / "instance" / "demo-files").exists()
    assert (tmp_path / ".venv").is_dir()


def test_demo_points_staff_commands_at_the_demo_school(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "instance").mkdir()
    env = demo.demo_env(8123, "http://127.0.0.1:9999")
    path = demo.write_env_file(env)
    assert "DATABASE_URL=sqlite:///" in path.read_text(encoding="utf-8")
    from catalogue import text

    line = text("cli.demo.staff_line", env_file=path)
    assert f"--env-file {path}" in line and "\n" not in line
