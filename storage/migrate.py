"""Runs Alembic migrations programmatically: every database, tests included, is built by them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

import storage.models  # noqa: F401
from storage.db import Base, normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def revision(url: str, message: str, rev_id: str | None = None) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=rev_id)


def drift(engine: Engine) -> list[object]:
    """Differences between the models and a migrated database; empty when they agree."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


@contextmanager
def throwaway_postgres(
    admin_url: str, prefix: str = "portfolio_tmp", migrated: bool = True
) -> Iterator[str]:
    """A new PostgreSQL database (built by the migrations unless migrated is false), dropped
    afterwards: for tests and benches."""

    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = normalise_url(admin_url).rsplit("/", 1)[0] + f"/{name}"
    try:
        if migrated:
            upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
