"""Start-up configuration: clear one-line errors, and the embedded default (SQLite + a thread)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runtime.config import ConfigError, load_settings

GOOD = {
    "LINE_CHANNEL_SECRET": "s" * 32,
    "LINE_CHANNEL_ACCESS_TOKEN": "token",
    "SECRET_KEY": secrets.token_urlsafe(32),
}


def test_defaults_are_embedded() -> None:
    settings = load_settings(GOOD)
    assert settings.database_url.startswith("sqlite:///") and "instance" in settings.database_url
    assert settings.redis_url is None


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"LINE_CHANNEL_SECRET": ""}, "LINE_CHANNEL_SECRET is not set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too short"),
        ({"SECRET_KEY": "aaaaaaaaaaaaaaaa"}, "SECRET_KEY is too guessable"),
        ({"SECRET_KEY": "k" * 32}, "SECRET_KEY is too guessable"),
        ({"SECRET_KEY": "abcdefghijklmnopqrstuvwxyz012345"}, "SECRET_KEY is too guessable"),
        ({"SECRET_KEY": "demo-secret-key-not-for-production"}, "published with this project"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL must be a URL"),
        ({"UPLOAD_MB_PER_DAY": "lots"}, "UPLOAD_MB_PER_DAY must be a whole number"),
        ({"BIND_TRIES_PER_HOUR": "0"}, "BIND_TRIES_PER_HOUR must be a whole number"),
        ({"WEB_BODY_TIMEOUT_SECONDS": "x"}, "WEB_BODY_TIMEOUT_SECONDS must be a number"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL must be a URL"),
        ({"LINE_MONTHLY_QUOTA": "lots"}, "LINE_MONTHLY_QUOTA must be a whole number"),
        ({"SCHOOL_CONFIG": "/nonexistent/rules.toml"}, "SCHOOL_CONFIG points to"),
        ({"LINE_API_BASE_URL": "localhost:9000"}, "LINE_API_BASE_URL must be a URL"),
    ],
)
def test_bad_settings_say_what_is_wrong(change: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({**GOOD, **change})
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_the_demo_key_works_in_the_demo_only_and_secret_key_prints_a_good_key() -> None:
    from click.testing import CliRunner

    from bot.cli import main

    demo = {**GOOD, "SECRET_KEY": "demo-secret-key-not-for-production", "PORTFOLIO_DEMO": "1"}
    assert load_settings(demo).demo is True
    printed = {CliRunner().invoke(main, ["secret-key"]).output.strip() for _ in range(3)}
    assert len(printed) == 3
    for key in printed:
        assert len(key) >= 32
        assert load_settings({**GOOD, "SECRET_KEY": key}).secret_key == key


def test_production_start_with_a_weak_key_prints_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        **GOOD,
        "SECRET_KEY": "aaaaaaaaaaaaaaaa",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
    }
    env.pop("PORTFOLIO_DEMO", None)
    result = subprocess.run(
        [sys.executable, "-c", "from bot import create_app; create_app()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        timeout=60,
    )
    assert result.returncode == 2
    assert "SECRET_KEY is too guessable" in result.stderr and "Traceback" not in result.stderr


def test_startup_with_a_missing_setting_prints_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "SECRET_KEY"))}
    result = subprocess.run(
        [sys.executable, "-c", "from bot import create_app; create_app()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "LINE_CHANNEL_SECRET is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_rules_file_stops_startup_with_its_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[school]\nname = "x"\ncode = \n', encoding="utf-8")
    env = {
        **os.environ,
        **GOOD,
        "SCHOOL_CONFIG": str(rules),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", "from bot import create_app; create_app()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        timeout=60,
    )
    assert result.returncode == 2
    assert f"{rules}:3" in result.stderr and "Traceback" not in result.stderr


def test_embedded_default_runs_jobs_on_a_background_thread(
    sqlite_db: Any, line: Any, _emulator: Any, clock: Any, tmp_path: Path
) -> None:
    from bot import create_app
    from dev.emulator import events as ev
    from runtime.queue import ThreadJobQueue
    from tests.conftest import CHANNEL_SECRET, make_settings

    settings = make_settings(
        sqlite_db.url, _emulator.base_url, tmp_path, _emulator.channel_access_token
    )
    app = create_app(settings, db=sqlite_db, clock=clock, sleep=lambda s: None)
    queue = app.extensions["portfolio"].queue
    assert isinstance(queue, ThreadJobQueue)
    body = ev.body([ev.follow_event("Uembedded", platform=line)])
    response = app.test_client().post(
        "/callback", data=body, headers={"X-Line-Signature": ev.sign(body, CHANNEL_SECRET)}
    )
    assert response.status_code == 200
    queue.join()
    # With no rq scheduler, the serving process runs the sweep and the tick itself.
    assert queue._periodic == {"jobs.inbox.sweep", "jobs.tick.tick"}
    queue.stop()
    assert "綁定碼" in line.messages_for("Uembedded")[0]["text"]


def test_models_and_migrations_agree(pg_database: Any, sqlite_db: Any) -> None:
    from storage import migrate

    assert migrate.drift(pg_database.engine) == []
    assert migrate.drift(sqlite_db.engine) == []


def test_a_command_before_migrations_says_what_to_do(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bot.cli import main

    env = {
        **GOOD,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}",
        "STORAGE_DIR": str(tmp_path / "files"),
    }
    result = CliRunner().invoke(main, ["inbox", "dead"], env=env)
    assert result.exit_code != 0
    assert "portfolio db upgrade" in result.output and "Traceback" not in result.output
