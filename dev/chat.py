"""`portfolio chat`: a terminal LINE chat with the bot, through the local LINE platform.

Type text to send it. `/photo PATH` and `/file PATH` send content; a number picks a menu choice,
a button or a quick reply (older cards' numbers stay valid); `/date 2026-11-01` answers the
latest date picker; `/quit` leaves. What the bot pushes appears as it arrives.
"""

from __future__ import annotations

import json
import mimetypes
import threading
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bot.cli_base import StaffError
from catalogue import text
from dev.demo import DEMO_SECRET, DEMO_TOKEN, STAFF, STUDENTS
from dev.emulator import events as ev
from runtime.config import environment
from school.dates import DateFormatError, parse_date


class ChatClient:
    def __init__(
        self, webhook_url: str, emulator_url: str, secret: str, token: str, user_id: str
    ) -> None:
        self.webhook_url = webhook_url
        self.emulator_url = emulator_url.rstrip("/")
        self.secret = secret
        self.token = token
        self.user_id = user_id
        self.seen = 0
        self.actions: list[dict[str, Any]] = []

    def _call(
        self, method: str, path: str, data: bytes | None = None, ctype: str = "application/json"
    ) -> Any:
        request = urllib.request.Request(
            self.emulator_url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": ctype},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def _token(self) -> str:
        return str(self._call("POST", f"/_emulator/users/{self.user_id}/reply-token")["replyToken"])

    def send(self, event: dict[str, Any]) -> int:
        return ev.deliver(self.webhook_url, [event], self.secret)

    def say(self, words: str) -> int:
        return self.send(ev.text_event(self.user_id, words, reply_token=self._token()))

    def postback(self, data: str, params: dict[str, Any] | None = None) -> int:
        return self.send(ev.postback_event(self.user_id, data, params, reply_token=self._token()))

    def content(self, path: Path, photo: bool) -> int:
        message_id = ev.new_message_id()
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._call("POST", f"/_emulator/content/{message_id}", path.read_bytes(), ctype)
        if photo:
            event = ev.image_event(self.user_id, message_id, reply_token=self._token())
        else:
            event = ev.file_event(
                self.user_id, message_id, path.name, path.stat().st_size, reply_token=self._token()
            )
        return self.send(event)

    def menu_actions(self) -> list[dict[str, Any]]:
        """The actions of the rich menu linked to this person, in the menu's order."""
        try:
            linked = self._call("GET", f"/v2/bot/user/{self.user_id}/richmenu")["richMenuId"]
            menu = self._call("GET", f"/v2/bot/richmenu/{linked}")
        except (OSError, ValueError, KeyError):
            return []
        return [area["action"] for area in menu.get("areas", []) if "action" in area]

    def fetch(self) -> list[dict[str, Any]]:
        result = self._call("GET", f"/_emulator/users/{self.user_id}/messages?since={self.seen}")
        self.seen = int(result["count"])
        return list(result["messages"])


def render(
    messages: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Messages as readable text, every button numbered after those already shown (older cards'
    buttons stay usable); returns (text, all actions by number)."""
    lines: list[str] = []
    actions = list(actions or [])

    def button(action: dict[str, Any]) -> str:
        actions.append(action)
        return f"  [{len(actions)}] {action.get('label', '')}"

    def walk_flex(node: Any, depth: int = 0) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text" and isinstance(node.get("text"), str):
                lines.append("  " * depth + node["text"])
            if node.get("type") == "button" and isinstance(node.get("action"), dict):
                lines.append(button(node["action"]))
            for key in ("header", "hero", "body", "footer", "contents"):
                if key in node:
                    walk_flex(node[key], depth)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, dict) and item.get("type") == "bubble" and len(node) > 1:
                    lines.append(f"— {index + 1} —")
                walk_flex(item, depth)

    for message in messages:
        kind = message.get("type")
        tag = text("cli.chat.push") if message.get("kind") in ("push", "multicast") else ""
        if kind == "text":
            lines.append(tag + message["text"])
        elif kind == "template":
            template = message["template"]
            if template.get("title"):
                lines.append(tag + template["title"])
            lines.append(template.get("text", message.get("altText", "")))
            for action in template.get("actions", []):
                lines.append(button(action))
        elif kind == "flex":
            lines.append(tag + f"〔{message.get('altText', '')}〕")
            walk_flex(message.get("contents"))
        else:
            lines.append(tag + f"〔{kind}〕")
        for item in (message.get("quickReply") or {}).get("items", []):
            lines.append(button(item["action"]))
    return "\n".join(lines), actions


def person_label(person: str) -> str:
    """Who a demo person is, as staff would say it: `115001 李小明`."""
    for number, name, *_ in (*STUDENTS, *STAFF):
        if number == person:
            return f"{number} {name}"
    if person == "parent":
        return text("cli.chat.parent")
    return person


class Conversation:
    """The terminal side: shows what the bot sends as it arrives, and turns input into events."""

    def __init__(self, client: ChatClient, echo: Callable[[str], None] = click.echo) -> None:
        self.client = client
        self.echo = echo
        self.lock = threading.Lock()
        self.arrived = threading.Event()

    def show(self, messages: list[dict[str, Any]]) -> None:
        with self.lock:
            words, self.client.actions = render(messages, self.client.actions)
        self.echo(words)
        self.arrived.set()

    def poll_once(self) -> None:
        messages = self.client.fetch()
        if messages:
            self.show(messages)

    def watch(self, stop: threading.Event, every: float = 0.5) -> None:
        """Pushes appear as they arrive, without waiting for input."""
        while not stop.wait(every):
            try:
                self.poll_once()
            except OSError:
                continue

    def show_menu(self) -> None:
        menu = self.client.menu_actions()
        if not menu:
            return
        with self.lock:
            start = len(self.client.actions)
            self.client.actions = [*self.client.actions, *menu]
        choices = "  ".join(
            f"[{start + n}] {a.get('label', '')}" for n, a in enumerate(menu, start=1)
        )
        self.echo(text("cli.chat.menu", choices=choices))

    def handle(self, line: str) -> bool:
        """Send what one input line means; False when nothing was sent."""
        client = self.client
        if line.startswith(("/photo ", "/file ")):
            cmd, _, raw = line.partition(" ")
            path = Path(raw.strip()).expanduser()
            if not path.is_file():
                self.echo(text("cli.chat.no_file", path=path))
                return False
            client.content(path, photo=cmd == "/photo")
            return True
        if line.startswith("/date "):
            picker = next(
                (a for a in reversed(client.actions) if a.get("type") == "datetimepicker"), None
            )
            if picker is None:
                self.echo(text("cli.chat.no_picker"))
                return False
            try:
                day = parse_date(line.split(" ", 1)[1])
            except DateFormatError as exc:
                self.echo(text(f"cli.error.date.{exc.reason}", value=exc.raw.strip()))
                return False
            client.postback(picker["data"], {"date": day.isoformat()})
            return True
        if line.isdigit() and 1 <= int(line) <= len(client.actions):
            action = client.actions[int(line) - 1]
            kind = action.get("type")
            if kind == "postback":
                client.postback(action["data"])
            elif kind == "message":
                client.say(action["text"])
            elif kind == "uri":
                self.echo(text("cli.chat.open_link", uri=action["uri"]))
                return False
            elif kind == "datetimepicker":
                self.echo(text("cli.chat.use_date"))
                return False
            else:
                self.echo(text("cli.chat.unsupported", kind=kind))
                return False
            return True
        client.say(line)
        return True


def run(
    client: ChatClient,
    echo: Callable[[str], None] = click.echo,
    prompt: Callable[[], str] | None = None,
    who: str | None = None,
    wait_seconds: float = 10.0,
) -> None:
    ask = prompt or (lambda: click.prompt("你", prompt_suffix="> ", default="", show_default=False))
    talk = Conversation(client, echo)
    echo(text("cli.chat.intro", who=who or client.user_id))
    talk.show_menu()
    stop = threading.Event()
    watcher = threading.Thread(target=talk.watch, args=(stop,), daemon=True)
    watcher.start()
    try:
        while True:
            try:
                line = str(ask()).strip()
            except (EOFError, click.Abort):
                return
            if not line:
                continue
            if line in ("/quit", "/exit"):
                return
            talk.arrived.clear()
            if talk.handle(line) and not talk.arrived.wait(wait_seconds):
                echo(text("cli.chat.no_answer"))
    finally:
        stop.set()
        watcher.join(timeout=2)


@click.command("chat", help=text("cli.added.chat.help"))
@click.option("--as", "person", required=True, help=text("cli.chat.opt.as"))
@click.option("--webhook", help=text("cli.chat.opt.webhook"))
@click.option(
    "--emulator",
    default="http://127.0.0.1:8090",
    show_default=True,
    help=text("cli.chat.opt.emulator"),
)
@click.option(
    "--secret",
    envvar="LINE_CHANNEL_SECRET",
    default=DEMO_SECRET,
    show_default=False,
    help=text("cli.chat.opt.secret"),
)
@click.option(
    "--token",
    envvar="LINE_CHANNEL_ACCESS_TOKEN",
    default=DEMO_TOKEN,
    show_default=False,
    help=text("cli.chat.opt.token"),
)
def chat_command(person: str, webhook: str | None, emulator: str, secret: str, token: str) -> None:
    webhook = webhook or f"http://127.0.0.1:{environment().get('PORT') or 8000}/callback"
    user_id = person if person.startswith("U") and len(person) > 20 else ev.user_id_for(person)
    client = ChatClient(webhook, emulator, secret, token, user_id)
    try:
        client.fetch()
    except OSError:
        raise StaffError(text("cli.chat.no_platform", url=emulator)) from None
    run(client, who=person_label(person))
