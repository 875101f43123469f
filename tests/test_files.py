"""The file store's contract: content addressing, streaming under a cap, only digests as names."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.files import (
    FileStore,
    InvalidDigest,
    LocalFileStore,
    NotStored,
    StoredFile,
    TooLarge,
    check_digest,
)

# Every backend runs the same contract; an object store joins this list when it exists.
BACKENDS = ["local"]

PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> FileStore:
    if request.param == "local":
        return LocalFileStore(tmp_path / "files")
    raise AssertionError(request.param)


def pieces(data: bytes, size: int = 7) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def temp_files(store: FileStore) -> list[Path]:
    assert isinstance(store, LocalFileStore)
    return list((store.root / "tmp").iterdir())


def test_a_store_is_a_file_store(store: FileStore) -> None:
    assert isinstance(store, FileStore)


def test_the_name_is_the_sha256_of_the_bytes(store: FileStore) -> None:
    data = b"course outcome, version 1" * 100
    stored = store.put_stream(pieces(data))
    assert stored == StoredFile(sha256=hashlib.sha256(data).hexdigest(), size=len(data), mime=None)
    with store.open(stored.sha256) as read_back:
        assert read_back.read() == data
    assert store.exists(stored.sha256)
    assert store.size(stored.sha256) == len(data)


def test_same_bytes_are_stored_once(store: FileStore) -> None:
    data = os.urandom(10_000)
    first = store.put_stream(pieces(data, 1000))
    second = store.put_stream(pieces(data, 333))  # chunking must not matter
    assert first == second
    assert list(store.iter_all()) == [first.sha256]
    assert temp_files(store) == []


def test_local_layout_fans_out_by_digest(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    stored = store.put_stream([b"abc"])
    digest = stored.sha256
    assert store.path(digest) == tmp_path / digest[:2] / digest[2:4] / digest
    assert store.path(digest).read_bytes() == b"abc"


def test_stored_files_are_private_to_the_service(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    stored = store.put_stream([b"national id 12345"])
    assert stat.S_IMODE(store.path(stored.sha256).stat().st_mode) & 0o077 == 0


def test_streaming_stops_once_past_max_bytes(store: FileStore) -> None:
    consumed = 0

    def endless() -> Iterator[bytes]:
        nonlocal consumed
        while True:
            consumed += 1
            yield b"x" * 1000

    with pytest.raises(TooLarge) as caught:
        store.put_stream(endless(), max_bytes=5500)
    assert caught.value.size_so_far == 6000
    assert consumed == 6  # it stopped reading the source at once
    assert list(store.iter_all()) == []
    assert temp_files(store) == []


def test_exactly_max_bytes_is_accepted(store: FileStore) -> None:
    stored = store.put_stream(pieces(b"y" * 5000, 1000), max_bytes=5000)
    assert stored.size == 5000


def test_a_failing_source_leaves_nothing_behind(store: FileStore) -> None:
    def broken() -> Iterator[bytes]:
        yield b"partial download"
        raise ConnectionError("LINE content stream reset")

    with pytest.raises(ConnectionError):
        store.put_stream(broken())
    assert list(store.iter_all()) == []
    assert temp_files(store) == []


def test_empty_stream_is_a_file_too(store: FileStore) -> None:
    stored = store.put_stream([])
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert stored.size == 0


def test_mime_comes_from_the_bytes(store: FileStore) -> None:
    assert store.put_stream([PNG_HEAD]).mime == "image/png"
    assert store.put_stream([b"%PDF-1.7\n..."]).mime == "application/pdf"
    assert store.put_stream([b"plain words"]).mime is None


def test_put_path_copies_a_local_file(store: FileStore, tmp_path: Path) -> None:
    source = tmp_path / "converted.pdf"
    source.write_bytes(b"%PDF-1.4\n" + os.urandom(200_000))
    stored = store.put_path(source)
    assert stored.size == 200_009
    assert stored.mime == "application/pdf"
    assert store.path(stored.sha256).read_bytes() == source.read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "報告.pdf",
        "A" * 64,  # upper case is not the canonical form
        "g" * 64,
        "a" * 63,
        "a" * 65,
        "",
        "a" * 64 + "/..",
        "a" * 64 + "\n",
    ],
)
def test_only_digests_become_paths(store: FileStore, name: str) -> None:
    for operation in (store.open, store.path, store.exists, store.delete, store.size):
        with pytest.raises(InvalidDigest):
            operation(name)


def test_check_digest_accepts_a_digest() -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    assert check_digest(digest) == digest


def test_delete_and_missing_files(store: FileStore) -> None:
    stored = store.put_stream([b"to be removed"])
    assert store.delete(stored.sha256) is True
    assert store.delete(stored.sha256) is False
    assert not store.exists(stored.sha256)
    with pytest.raises(NotStored):
        store.open(stored.sha256)
    with pytest.raises(NotStored):
        store.path(stored.sha256)
    with pytest.raises(NotStored):
        store.size(stored.sha256)
    # A deleted file can come back when the same bytes arrive again.
    assert store.put_stream([b"to be removed"]).sha256 == stored.sha256
    assert store.exists(stored.sha256)


def test_iter_all_lists_only_stored_files(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    digests = {store.put_stream([bytes([n]) * 10]).sha256 for n in range(5)}
    (tmp_path / "README.txt").write_text("not a stored file")
    (tmp_path / "tmp" / "incoming-leftover").write_bytes(b"half")
    misplaced = hashlib.sha256(b"elsewhere").hexdigest()
    (tmp_path / "00" / "00").mkdir(parents=True, exist_ok=True)
    (tmp_path / "00" / "00" / misplaced).write_bytes(b"elsewhere")
    assert set(store.iter_all()) == digests


def test_sweep_temp_removes_only_stale_leftovers(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    stale = tmp_path / "tmp" / "incoming-dead-worker"
    fresh = tmp_path / "tmp" / "incoming-live-upload"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    now = 1_800_000_000.0
    os.utime(stale, (now - 7 * 3600, now - 7 * 3600))
    os.utime(fresh, (now - 60, now - 60))
    assert store.sweep_temp(now=now) == 1
    assert not stale.exists()
    assert fresh.exists()


def test_concurrent_uploads_of_the_same_file(store: FileStore) -> None:
    data = os.urandom(300_000)
    results: list[StoredFile] = []
    lock = threading.Lock()

    def upload() -> None:
        stored = store.put_stream(pieces(data, 4096))
        with lock:
            results.append(stored)

    workers = [threading.Thread(target=upload) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len({r.sha256 for r in results}) == 1
    assert list(store.iter_all()) == [results[0].sha256]
    with store.open(results[0].sha256) as read_back:
        assert read_back.read() == data
    assert temp_files(store) == []
