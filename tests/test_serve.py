"""`make run` (`portfolio serve`) cannot half-start: the first failure is one line and nothing
starts; with Redis every Procfile process starts, and they stop together."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot import serve
from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOOD = {
    "LINE_CHANNEL_SECRET": "s" * 32,
    "LINE_CHANNEL_ACCESS_TOKEN": "token",
    "SECRET_KEY": secrets.token_urlsafe(32),
}


class FakeProcess:
    def __init__(self, args: list[str], env: dict[str, str], exits: int | None) -> None:
        self.args, self.env, self.code, self.signals = args, env, exits, []

    def poll(self) -> int | None:
        return self.code

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)
        self.code = -sig

    def wait(self, timeout: float | None = None) -> int | None:
        return self.code


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[FakeProcess]:
    started: list[FakeProcess] = []

    def spawn(args: list[str], env: dict[str, str]) -> FakeProcess:
        # The first process ends at once with status 3, as a crashed worker would.
        proc = FakeProcess(args, env, 3 if not started else None)
        started.append(proc)
        return proc

    monkeypatch.setattr(serve.subprocess, "Popen", spawn)
    monkeypatch.setattr(serve, "POLL_SECONDS", 0)
    monkeypatch.chdir(ROOT)
    return started


def run(env: dict[str, str]) -> Any:
    base = {k: None for k in ("REDIS_URL", "DATABASE_URL", "SCHOOL_CONFIG", "PORT")}
    return CliRunner().invoke(main, ["serve"], env={**base, **env})


def test_an_unreachable_database_stops_before_anything_starts(spawned: list[Any]) -> None:
    result = run({**GOOD, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "無法更新資料庫結構" in result.stderr
    assert spawned == []


def test_an_unreachable_redis_stops_before_anything_starts(
    spawned: list[Any], tmp_path: Path
) -> None:
    env = {
        **GOOD,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
        "REDIS_URL": "redis://127.0.0.1:1/0",
    }
    result = run(env)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "無法連線到 Redis" in result.stderr
    assert spawned == []


def test_a_missing_setting_is_one_line(spawned: list[Any]) -> None:
    result = run({**GOOD, "SECRET_KEY": None})
    assert result.exit_code == 1 and spawned == []
    assert (
        result.stderr == "尚未設定 SECRET_KEY：請在環境變數或 .env 設定（見 README「設定」表）。\n"
    )


def test_with_redis_every_procfile_process_starts_and_they_stop_together(
    spawned: list[Any], tmp_path: Path
) -> None:
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    env = {**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "REDIS_URL": redis_url}
    result = run(env)
    commands = [p.args[-1] for p in spawned]
    procfile = serve.read_procfile(ROOT / "Procfile")
    assert commands == [f"exec {c}" for name, c in procfile.items() if name != "release"]
    assert "gunicorn" in commands[0] and "--workers 2" in commands[0]
    assert any("rq worker" in c for c in commands) and any("rq cron" in c for c in commands)
    # The first one ended with status 3: the others were stopped, and so was the start.
    assert all(p.signals for p in spawned[1:])
    assert result.exit_code == 1
    assert "web 已結束（結束代碼 3）" in result.output
    assert (tmp_path / "x.sqlite").exists()  # migrated before anything started


def test_without_redis_one_web_process_serves_and_says_so(
    spawned: list[Any], tmp_path: Path
) -> None:
    result = run({**GOOD, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    assert [p.args[-1].split()[1] for p in spawned] == ["gunicorn"]
    assert "--workers 1" in spawned[0].args[-1]
    assert "只啟動 web 一個程序" in result.output


def test_without_credentials_the_demo_serves_on_PORT(
    spawned: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dev import demo

    seen: list[dict[str, Any]] = []
    monkeypatch.setattr(demo.demo_command, "callback", lambda **kw: seen.append(kw))
    result = run({"LINE_CHANNEL_SECRET": None, "PORT": "18123"})
    assert result.exit_code == 0, result.output
    assert seen == [{"port": 18123, "emulator_port": demo.EMULATOR_PORT, "reset": False}]
    assert spawned == []
