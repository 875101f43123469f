"""`portfolio chat`: a terminal LINE chat with the bot, through the local LINE platform.

Type text to send it. `/photo PATH` and `/file PATH` send content; a number picks a button or
quick reply from the last answer; `/date 2026-11-01` answers a date picker; `/quit` leaves.
"""

from __future__ import annotations

import json
import mimetypes
import sys
import urllib.request
from pathlib import Path
from typing import Any

import click

from dev.emulator import events as ev

DEMO_SECRET = "demo-channel-secret-000000000000"
DEMO_TOKEN = "demo-access-token"


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

    def fetch(self) -> list[dict[str, Any]]:
        result = self._call("GET", f"/_emulator/users/{self.user_id}/messages?since={self.seen}")
        self.seen = int(result["count"])
        return list(result["messages"])


def render(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Messages as readable text, with every button numbered; returns (text, actions by number)."""
    lines: list[str] = []
    actions: list[dict[str, Any]] = []

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
        tag = "（推播）" if message.get("kind") in ("push", "multicast") else ""
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


def run(client: ChatClient, echo: Any = click.echo, prompt: Any = None) -> None:
    ask = prompt or (lambda: click.prompt("你", prompt_suffix="> ", default="", show_default=False))
    echo(
        f"以 {client.user_id} 的身分聊天。輸入文字傳送；數字選按鈕；"
        "/photo 路徑、/file 路徑 傳檔；/quit 離開。"
    )
    while True:
        try:
            line = str(ask()).strip()
        except (EOFError, click.Abort):
            return
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return
        if line.startswith(("/photo ", "/file ")):
            cmd, _, raw = line.partition(" ")
            path = Path(raw.strip()).expanduser()
            if not path.is_file():
                echo(f"找不到檔案 {path}")
                continue
            client.content(path, photo=cmd == "/photo")
        elif line.startswith("/date ") and client.actions:
            picker = next((a for a in client.actions if a.get("type") == "datetimepicker"), None)
            if picker is None:
                echo("目前沒有日期選擇器")
                continue
            client.postback(picker["data"], {"date": line.split(" ", 1)[1].strip()})
        elif line.isdigit() and 1 <= int(line) <= len(client.actions):
            action = client.actions[int(line) - 1]
            if action.get("type") == "postback":
                client.postback(action["data"])
            elif action.get("type") == "message":
                client.say(action["text"])
            elif action.get("type") == "uri":
                echo(f"開啟連結：{action['uri']}")
                continue
            elif action.get("type") == "datetimepicker":
                echo("請輸入 /date YYYY-MM-DD")
                continue
            else:
                echo(f"（此按鈕類型 {action.get('type')} 在終端機無法操作）")
                continue
        else:
            client.say(line)
        # The bot answers from its worker; wait briefly for the reply to land.
        import time

        for _ in range(40):
            time.sleep(0.25)
            messages = client.fetch()
            if messages:
                text, client.actions = render(messages)
                echo(text)
                break
        else:
            echo("（沒有回應：機器人的工作程序是否在執行？）")


@click.command("chat")
@click.option(
    "--as",
    "person",
    required=True,
    help="Who you are: a 學號 or 教職員編號 of the demo school (or any LINE user id).",
)
@click.option("--webhook", default="http://127.0.0.1:8000/callback", show_default=True)
@click.option("--emulator", default="http://127.0.0.1:8090", show_default=True)
@click.option("--secret", envvar="LINE_CHANNEL_SECRET", default=DEMO_SECRET, show_default=False)
@click.option("--token", envvar="LINE_CHANNEL_ACCESS_TOKEN", default=DEMO_TOKEN, show_default=False)
def chat_command(person: str, webhook: str, emulator: str, secret: str, token: str) -> None:
    """Chat with the bot in this terminal, through the local LINE platform."""
    user_id = person if person.startswith("U") and len(person) > 20 else ev.user_id_for(person)
    client = ChatClient(webhook, emulator, secret, token, user_id)
    try:
        client.fetch()
    except OSError:
        click.echo(f"無法連線到本機 LINE 平台 {emulator}；請先執行 make run。", err=True)
        sys.exit(1)
    run(client)
