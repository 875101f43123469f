"""Test helpers: a person chatting with the bot through the webhook and the local LINE platform."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dev.emulator import events as ev


class Chat:
    """Sends signed webhook bodies to the app, runs the queued jobs, reads what LINE delivered."""

    def __init__(self, app: Any, platform: Any, clock: Any, secret: str) -> None:
        self.app = app
        self.platform = platform
        self.clock = clock
        self.secret = secret
        self.client = app.test_client()
        self.seen: dict[str, int] = {}

    @property
    def svc(self) -> Any:
        return self.app.extensions["portfolio"]

    def post(self, events: list[dict[str, Any]], run: bool = True) -> Any:
        body = ev.body(events)
        response = self.client.post(
            "/callback",
            data=body,
            headers={
                "X-Line-Signature": ev.sign(body, self.secret),
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == 200, response.data
        if run:
            self.run_jobs()
        return response

    def run_jobs(self) -> int:
        return self.svc.queue.run_all()

    def _tick(self) -> None:
        # Events of one user arrive in order; a millisecond apart keeps their timestamps distinct.
        self.clock.advance(timedelta(milliseconds=5))

    def say(self, user: str, words: str) -> list[dict[str, Any]]:
        self._tick()
        self.post([ev.text_event(user, words, platform=self.platform)])
        return self.new_messages(user)

    def tap(
        self, user: str, data: str, params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        self._tick()
        self.post([ev.postback_event(user, data, params, platform=self.platform)])
        return self.new_messages(user)

    def follow(self, user: str) -> list[dict[str, Any]]:
        self._tick()
        self.post([ev.follow_event(user, platform=self.platform)])
        return self.new_messages(user)

    def new_messages(self, user: str) -> list[dict[str, Any]]:
        everything = self.platform.messages_for(user)
        start = self.seen.get(user, 0)
        self.seen[user] = len(everything)
        return everything[start:]

    @staticmethod
    def texts(messages: list[dict[str, Any]]) -> str:
        """Everything a person would read in these messages, joined, for assertions."""
        out: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for key in ("text", "altText", "label"):
                    if isinstance(node.get(key), str):
                        out.append(node[key])
                for value in node.values():
                    if isinstance(value, (dict, list)):
                        walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(messages)
        return "\n".join(out)
