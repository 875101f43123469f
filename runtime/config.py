"""Settings from the environment, checked once at start-up: the only module that reads it."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dotenv

from runtime.keys import weakness

DEFAULT_INSTANCE_DIR = Path("instance")
DEFAULT_QUOTA = 3000
MB = 1024 * 1024
MAX_WEBHOOK_BODY = 1024 * 1024
DEFAULT_LINE_TIMEOUT_SECONDS = 10.0
# The nightly backup (jobs/lifecycle.py): off unless BACKUP_DIR is set.
DEFAULT_BACKUP_HOUR = 2
DEFAULT_BACKUP_KEEP = 14
# Embedded mode (no REDIS_URL): threads that answer chat events, and that fetch and fit files.
# One event thread by default: SQLite takes one writer at a time (answers go out on the sending
# threads meanwhile, LINE_SEND_THREADS). Raise it on PostgreSQL only.
DEFAULT_EMBEDDED_EVENT_THREADS = 1
DEFAULT_EMBEDDED_MEDIA_THREADS = 1
# Each process that answers events (a worker, a web process, the embedded mode's) sends answers
# to LINE on this many threads, so the next person's event does not wait while LINE answers the
# last one (0: send inside the job). A send waits about one round trip to LINE, so at a deadline
# night's 50 events/s some five to eight are in flight at once across the processes.
DEFAULT_LINE_SEND_THREADS = 16
# With Redis, each web process answers chat events on this many threads of its own, right after
# storing them (0: every event goes through Redis to a worker). One is the default: handling an
# event is mostly Python, so a second thread in the same process waits for the first and makes
# each answer slower. Events beyond WEB_EVENT_BACKLOG waiting in one web process go to the
# workers instead.
DEFAULT_WEB_EVENT_THREADS = 1
DEFAULT_WEB_EVENT_BACKLOG = 8


class ConfigError(Exception):
    """A setting is missing or malformed; str() is one line a person can act on."""


@dataclass(frozen=True)
class Settings:
    line_channel_secret: str
    line_channel_access_token: str
    secret_key: str
    database_url: str
    line_api_base_url: str | None = None
    redis_url: str | None = None
    storage_dir: Path = DEFAULT_INSTANCE_DIR / "files"
    public_base_url: str = "http://localhost:8000"
    school_config: Path | None = None
    line_monthly_quota: int = DEFAULT_QUOTA
    # The official account's basic ID (@123abcde): binding slips carry its add-friend QR code.
    line_basic_id: str | None = None
    line_timeout_seconds: float = DEFAULT_LINE_TIMEOUT_SECONDS
    backup_dir: Path | None = None
    backup_hour: int = DEFAULT_BACKUP_HOUR
    backup_keep: int = DEFAULT_BACKUP_KEEP
    # A font that draws Traditional Chinese for the rich menus (PORTFOLIO_CJK_FONT).
    cjk_font: Path | None = None
    embedded_event_threads: int = DEFAULT_EMBEDDED_EVENT_THREADS
    embedded_media_threads: int = DEFAULT_EMBEDDED_MEDIA_THREADS
    line_send_threads: int = DEFAULT_LINE_SEND_THREADS
    web_event_threads: int = DEFAULT_WEB_EVENT_THREADS
    web_event_backlog: int = DEFAULT_WEB_EVENT_BACKLOG
    # Bytes one student may send the bot in a Taipei day (refused files count too).
    upload_bytes_per_day: int = 200 * MB
    # Wrong binding codes tried school-wide in an hour before binding pauses and 資媒組 is told.
    bind_tries_per_hour: int = 200
    # The web front (bot/asgi.py): a request body must be complete within this many seconds,
    # at most this many bytes; the Flask app runs on this many threads per process.
    web_body_timeout_seconds: float = 10.0
    web_max_body_bytes: int = 16 * MB
    web_threads: int = 8
    # The local demo school (`portfolio demo`): its published keys are allowed there only.
    demo: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def _require(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: see the configuration table in README.md")
    return value


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in schemes or not (parsed.netloc or parsed.path):
        raise ConfigError(
            f"{name} must be a URL starting with {' or '.join(s + '://' for s in schemes)}"
        )
    return value.rstrip("/")


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, e.g. {default}")
    return value


def load_env_files(env_file: str | os.PathLike[str] | None = None) -> None:
    """Settings from env_file, then from .env in the working folder, into this process's
    environment: variables already set win over both, and the named file wins over .env."""
    if env_file:
        dotenv.load_dotenv(env_file, override=False, encoding="utf-8")
    default = Path.cwd() / ".env"
    if default.is_file():
        dotenv.load_dotenv(default, override=False, encoding="utf-8")


def environment() -> dict[str, str]:
    """A copy of this process's environment, e.g. for a child process that needs it whole."""
    return dict(os.environ)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting; raises ConfigError with one clear line."""
    env = os.environ if env is None else env
    secret = _require(env, "LINE_CHANNEL_SECRET")
    token = _require(env, "LINE_CHANNEL_ACCESS_TOKEN")
    secret_key = _require(env, "SECRET_KEY")
    if len(secret_key) < 16:
        raise ConfigError("SECRET_KEY is too short: use at least 16 random characters")
    demo = env.get("PORTFOLIO_DEMO", "").strip().lower() in ("1", "true", "yes")
    if not demo:
        problem = weakness(secret_key)
        if problem:
            raise ConfigError(problem)

    database_url = env.get("DATABASE_URL", "").strip()
    if database_url:
        _url(
            "DATABASE_URL", database_url, ("postgresql", "postgres", "postgresql+psycopg", "sqlite")
        )
    else:
        database_url = f"sqlite:///{(DEFAULT_INSTANCE_DIR / 'portfolio.sqlite').resolve()}"

    base = env.get("LINE_API_BASE_URL", "").strip() or None
    if base:
        base = _url("LINE_API_BASE_URL", base, ("http", "https"))
    redis_url = env.get("REDIS_URL", "").strip() or None
    if redis_url:
        redis_url = _url("REDIS_URL", redis_url, ("redis", "rediss", "unix"))
    public = env.get("PUBLIC_BASE_URL", "").strip() or "http://localhost:8000"
    public = _url("PUBLIC_BASE_URL", public, ("http", "https"))

    school_config = env.get("SCHOOL_CONFIG", "").strip() or None
    school_path = Path(school_config) if school_config else None
    if school_path is not None and not school_path.is_file():
        raise ConfigError(f"SCHOOL_CONFIG points to {school_path}, which is not a readable file")

    quota_raw = env.get("LINE_MONTHLY_QUOTA", "").strip()
    try:
        quota = int(quota_raw) if quota_raw else DEFAULT_QUOTA
        if quota < 0:
            raise ValueError
    except ValueError:
        raise ConfigError(
            "LINE_MONTHLY_QUOTA must be a whole number of messages, e.g. 3000"
        ) from None

    storage_dir = Path(env.get("STORAGE_DIR", "").strip() or DEFAULT_INSTANCE_DIR / "files")
    body_timeout_raw = env.get("WEB_BODY_TIMEOUT_SECONDS", "").strip()
    try:
        body_timeout = float(body_timeout_raw) if body_timeout_raw else 10.0
        if not 0 < body_timeout <= 600:
            raise ValueError
    except ValueError:
        raise ConfigError("WEB_BODY_TIMEOUT_SECONDS must be a number of seconds, e.g. 10") from None
    basic_id = env.get("LINE_BASIC_ID", "").strip() or None
    if basic_id is not None:
        basic_id = "@" + basic_id.lstrip("@")
        if not re.fullmatch(r"@[0-9A-Za-z._-]{3,30}", basic_id):
            raise ConfigError(
                "LINE_BASIC_ID must be the official account's basic ID, e.g. @123abcde"
            )
    backup_raw = env.get("BACKUP_DIR", "").strip()
    font_raw = env.get("PORTFOLIO_CJK_FONT", "").strip()
    return Settings(
        line_channel_secret=secret,
        line_channel_access_token=token,
        secret_key=secret_key,
        database_url=database_url,
        line_api_base_url=base,
        redis_url=redis_url,
        storage_dir=storage_dir,
        public_base_url=public,
        school_config=school_path,
        line_monthly_quota=quota,
        line_basic_id=basic_id,
        demo=demo,
        web_body_timeout_seconds=body_timeout,
        upload_bytes_per_day=_whole(env, "UPLOAD_MB_PER_DAY", 200, 1, 100_000) * MB,
        bind_tries_per_hour=_whole(env, "BIND_TRIES_PER_HOUR", 200, 1, 1_000_000),
        backup_dir=Path(backup_raw) if backup_raw else None,
        backup_hour=_whole(env, "BACKUP_HOUR", DEFAULT_BACKUP_HOUR, 0, 23),
        backup_keep=_whole(env, "BACKUP_KEEP", DEFAULT_BACKUP_KEEP, 1, 3650),
        cjk_font=Path(font_raw).expanduser() if font_raw else None,
        embedded_event_threads=_whole(
            env, "EMBEDDED_EVENT_THREADS", DEFAULT_EMBEDDED_EVENT_THREADS, 1, 32
        ),
        embedded_media_threads=_whole(
            env, "EMBEDDED_MEDIA_THREADS", DEFAULT_EMBEDDED_MEDIA_THREADS, 1, 8
        ),
        line_send_threads=_whole(env, "LINE_SEND_THREADS", DEFAULT_LINE_SEND_THREADS, 0, 32),
        web_event_threads=_whole(env, "WEB_EVENT_THREADS", DEFAULT_WEB_EVENT_THREADS, 0, 32),
        web_event_backlog=_whole(env, "WEB_EVENT_BACKLOG", DEFAULT_WEB_EVENT_BACKLOG, 1, 10_000),
    )
