"""One contract for every conversation store: SQL on PostgreSQL, SQL on SQLite, Redis, and the
in-memory store the engine's own tests use."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from flows.store import (
    Conversation,
    ConversationStore,
    RedisConversationStore,
    SqlConversationStore,
)
from storage.clock import UTC
from tests.conftest import SCHOOL_DAY

NOW = SCHOOL_DAY.astimezone(UTC)
TTL = timedelta(minutes=30)
USER = "U" + "a" * 32
OTHER = "U" + "b" * 32


class MemoryConversationStore:
    """The contract in a dict, for tests of the engine alone."""

    def __init__(self) -> None:
        self.rows: dict[str, Conversation] = {}

    def load(self, line_user_id: str) -> Conversation | None:
        conv = self.rows.get(line_user_id)
        return copy.deepcopy(conv) if conv is not None else None

    def save(self, conv: Conversation, now: datetime, ttl: timedelta) -> None:
        conv.updated_at, conv.expires_at = now, now + ttl
        self.rows[conv.line_user_id] = copy.deepcopy(conv)

    def clear(self, line_user_id: str) -> None:
        self.rows.pop(line_user_id, None)


# Each kind gives `use`: a context manager yielding a store whose work is committed on exit,
# so every `with use() as store` sees only what earlier ones committed.
Use = Callable[[], Any]


def _sql(database: Any) -> Use:
    @contextmanager
    def use() -> Iterator[ConversationStore]:
        with database.transaction() as session:
            yield SqlConversationStore(session)

    return use


@pytest.fixture(params=["postgresql", "sqlite", "redis", "memory"])
def use(request: pytest.FixtureRequest) -> Iterator[Use]:
    if request.param == "postgresql":
        yield _sql(request.getfixturevalue("db"))
    elif request.param == "sqlite":
        yield _sql(request.getfixturevalue("sqlite_db"))
    elif request.param == "redis":
        from redis import Redis

        client = Redis.from_url(request.getfixturevalue("redis_url"))

        @contextmanager
        def use_redis() -> Iterator[ConversationStore]:
            yield RedisConversationStore(client)

        yield use_redis
        client.close()
    else:
        memory = MemoryConversationStore()

        @contextmanager
        def use_memory() -> Iterator[ConversationStore]:
            yield memory

        yield use_memory


def test_nobody_has_a_conversation_at_first(use: Use) -> None:
    with use() as store:
        assert store.load(USER) is None


def test_a_saved_conversation_comes_back_whole(use: Use) -> None:
    data = {"draft_id": 7, "picked": [1, 2], "note": "我的作品 ✓", "_history": ["a", "b"]}
    conv = Conversation(USER, "upload", "upload:files", copy.deepcopy(data))
    with use() as store:
        store.save(conv, NOW, TTL)
    assert (conv.updated_at, conv.expires_at) == (NOW, NOW + TTL)
    with use() as store:
        loaded = store.load(USER)
    assert loaded is not None
    assert (loaded.line_user_id, loaded.flow, loaded.state) == (USER, "upload", "upload:files")
    assert loaded.data == data
    assert loaded.history == ["a", "b"]
    assert loaded.updated_at == NOW and loaded.expires_at == NOW + TTL
    assert loaded.updated_at.utcoffset() == timedelta(0)


def test_saving_again_replaces_state_data_and_expiry(use: Use) -> None:
    with use() as store:
        store.save(Conversation(USER, "upload", "one", {"a": 1}), NOW, TTL)
    later = NOW + timedelta(minutes=5)
    with use() as store:
        store.save(Conversation(USER, "performance", "two", {"b": 2}), later, TTL)
    with use() as store:
        loaded = store.load(USER)
    assert loaded is not None
    assert (loaded.flow, loaded.state, loaded.data) == ("performance", "two", {"b": 2})
    assert loaded.expires_at == later + TTL


def test_a_loaded_conversation_is_a_copy_until_saved(use: Use) -> None:
    with use() as store:
        store.save(Conversation(USER, "upload", "one", {"items": [1]}), NOW, TTL)
    with use() as store:
        loaded = store.load(USER)
        assert loaded is not None
        loaded.data["items"].append(2)
        loaded.state = "two"
    with use() as store:
        again = store.load(USER)
    assert again is not None
    assert (again.state, again.data) == ("one", {"items": [1]})


def test_clearing_ends_a_conversation_and_clearing_nothing_is_fine(use: Use) -> None:
    with use() as store:
        store.save(Conversation(USER, "upload", "one", {}), NOW, TTL)
        store.save(Conversation(OTHER, "upload", "two", {}), NOW, TTL)
    with use() as store:
        store.clear(USER)
        store.clear("U" + "c" * 32)
    with use() as store:
        assert store.load(USER) is None
        other = store.load(OTHER)
    assert other is not None and other.state == "two"


def test_an_expired_conversation_is_kept_for_the_engine_to_offer_back(use: Use) -> None:
    """Expiry is the engine's decision (it offers a draft back), so the store still has it."""
    with use() as store:
        store.save(Conversation(USER, "upload", "one", {"draft_id": 3}), NOW, TTL)
    with use() as store:
        loaded = store.load(USER)
    assert loaded is not None
    assert not loaded.expired(NOW + TTL - timedelta(seconds=1))
    assert loaded.expired(NOW + TTL)
    assert loaded.data["draft_id"] == 3
