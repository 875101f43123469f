"""Engine, sessions and the declarative base; the caller owns the session and its transaction."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# Named constraints so Alembic can see (and later drop) every one of them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime on every backend: SQLite hands back naive values, so we restore UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSON that becomes JSONB on PostgreSQL.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType, datetime: UtcDateTime}


def normalise_url(url: str) -> str:
    """Accept the URLs hosting platforms hand out and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: it costs a round trip on every request; a connection the server dropped
    # fails one request (LINE redelivers) and is replaced.
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 10)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """An engine and its session factory, made once per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session

    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    def dispose(self) -> None:
        self.engine.dispose()


def advisory_key(name: str) -> int:
    """A signed 64-bit key for pg_advisory locks, stable across processes."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def lock_named(session: Session, name: str) -> None:
    """Serialise work on one name until the transaction ends.

    PostgreSQL takes a transaction-scoped advisory lock. SQLite is the embedded mode's database,
    used by one process whose job threads run side by side: a lock per name in this process,
    released when the session's transaction ends, does the same there.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(name)})
        return
    held: dict[str, threading.Lock] = session.info.setdefault(_HELD, {})
    if name in held:
        return
    with _named_guard:
        lock = _named_locks.setdefault(name, threading.Lock())
    lock.acquire()
    held[name] = lock
    if not event.contains(session, "after_transaction_end", _release_named):
        event.listen(session, "after_transaction_end", _release_named)


def try_lock_named(session: Session, name: str) -> bool:
    """lock_named without waiting: False when someone else holds the name now."""
    if session.get_bind().dialect.name == "postgresql":
        return bool(
            session.execute(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": advisory_key(name)}
            ).scalar()
        )
    held: dict[str, threading.Lock] = session.info.setdefault(_HELD, {})
    if name in held:
        return True
    with _named_guard:
        lock = _named_locks.setdefault(name, threading.Lock())
    if not lock.acquire(blocking=False):
        return False
    held[name] = lock
    if not event.contains(session, "after_transaction_end", _release_named):
        event.listen(session, "after_transaction_end", _release_named)
    return True


_HELD = "portfolio_named_locks"
_named_locks: dict[str, threading.Lock] = {}
_named_guard = threading.Lock()


def _release_named(session: Session, transaction: Any) -> None:
    if transaction.parent is not None:  # a savepoint ended; the transaction goes on
        return
    for lock in session.info.pop(_HELD, {}).values():
        lock.release()
