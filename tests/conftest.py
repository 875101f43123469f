"""Shared fixtures: real PostgreSQL and Redis, the local LINE platform, a hand-driven clock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from storage.clock import TAIPEI, FrozenClock

PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHANNEL_SECRET = "test-channel-secret-0123456789ab"
SECRET_KEY = "test-secret-key-0123456789abcdef"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# A school day in the first semester of 學年度 115, inside the upload window.
SCHOOL_DAY = datetime(2026, 10, 15, 10, 0, tzinfo=TAIPEI)


def _missing(what: str, why: str) -> None:
    message = f"{what} is not reachable ({why})"
    if IN_CI:
        pytest.fail(f"{message}: CI needs it; .ci/run starts it")
    pytest.skip(f"{message}: start it to run this test")


# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A throwaway database, built by the migrations, dropped at the end."""
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        _missing("PostgreSQL", type(exc).__name__)
    admin.dispose()
    from storage import migrate

    with migrate.throwaway_postgres(PG_ADMIN_URL, "portfolio_test") as url:
        yield url


@pytest.fixture(scope="session")
def pg_database(pg_url: str) -> Iterator[Any]:
    from storage.db import Database

    database = Database(pg_url)
    yield database
    database.dispose()


def _truncate(database: Any) -> None:
    from storage.db import Base

    tables = [t.name for t in Base.metadata.sorted_tables]
    with database.engine.begin() as conn:
        if database.is_postgres:
            conn.execute(
                text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def db(pg_database: Any) -> Iterator[Any]:
    """The PostgreSQL database, emptied before each test."""
    from storage import crypto

    crypto.configure(SECRET_KEY)
    _truncate(pg_database)
    yield pg_database


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Any]:
    """The embedded default: a SQLite file built by the same migrations."""
    from storage import crypto, migrate
    from storage.db import Database

    crypto.configure(SECRET_KEY)
    url = f"sqlite:///{tmp_path / 'portfolio.sqlite'}"
    migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


# --- Redis --------------------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real Redis, flushed before and after."""
    from redis import Redis

    client = Redis.from_url(REDIS_TEST_URL)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        _missing("Redis", type(exc).__name__)
    client.flushdb()
    yield REDIS_TEST_URL
    client.flushdb()
    client.close()


# --- time and the LINE platform -----------------------------------------------------------------


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(SCHOOL_DAY)


@pytest.fixture(scope="session")
def _emulator() -> Iterator[Any]:
    from dev.emulator.server import EmulatorServer

    server = EmulatorServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def line(_emulator: Any, clock: FrozenClock) -> Iterator[Any]:
    """The local LINE platform, reset and on the test's clock."""
    platform = _emulator.platform
    platform.reset()
    platform.clock = clock
    platform.quota = 100_000
    yield platform
    platform.release_all()
    platform.reset()


def make_settings(
    db_url: str, line_base_url: str, tmp_path: Path, token: str, **changes: Any
) -> Any:
    from runtime.config import Settings

    return Settings(
        line_channel_secret=CHANNEL_SECRET,
        line_channel_access_token=token,
        secret_key=SECRET_KEY,
        database_url=db_url,
        line_api_base_url=line_base_url,
        storage_dir=tmp_path / "files",
        public_base_url="https://portfolio.example.edu.tw",
        line_timeout_seconds=2.0,
        **changes,
    )


@pytest.fixture
def app(db: Any, line: Any, _emulator: Any, clock: FrozenClock, tmp_path: Path) -> Iterator[Any]:
    """The bot on PostgreSQL, jobs run by hand, LINE = the local platform."""
    from bot import create_app

    settings = make_settings(db.url, _emulator.base_url, tmp_path, _emulator.channel_access_token)
    application = create_app(settings, db=db, queue="manual", clock=clock, sleep=lambda s: None)
    yield application
    application.extensions["portfolio"].line.close()
    # Every message the test made must have fitted LINE's limits.
    from storage.models.line import OutboxMessage

    with db.session() as session:
        over = session.scalars(
            select(OutboxMessage.error).where(OutboxMessage.error.like("LINE limits:%"))
        ).all()
    assert not over, f"messages over LINE's limits: {over}"


@pytest.fixture
def chat(app: Any, line: Any, clock: FrozenClock) -> Any:
    from tests.support import Chat

    return Chat(app, line, clock, CHANNEL_SECRET)


@pytest.fixture
def school(db: Any) -> Any:
    """The small school of tests/school.py, every account bound."""
    from tests.school import seed_school

    return seed_school(db)
