"""Content-addressed file storage: bytes in, a sha256 name out, behind a swappable interface."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, Protocol, runtime_checkable

from media.kinds import HEAD_BYTES, mime_of
from media.sniff import sniff_bytes

CHUNK_SIZE = 64 * 1024
TEMP_DIR_NAME = "tmp"
TEMP_PREFIX = "incoming-"
# A temp file this old belongs to a writer that died (a killed worker); sweep_temp removes it.
STALE_TEMP_SECONDS = 3600

_DIGEST = re.compile(r"[0-9a-f]{64}")
_FANOUT = re.compile(r"[0-9a-f]{2}")

# Taken by backups and by whatever removes bytes from the store (school/deletion.py), so a
# backup never copies a database that names a file whose bytes were removed meanwhile.
FILES_LOCK: Final = "lifecycle-files"


class TooLarge(Exception):
    """The stream went past max_bytes; size_so_far is how many bytes had arrived by then."""

    def __init__(self, size_so_far: int, max_bytes: int | None = None) -> None:
        super().__init__(f"stream exceeded {max_bytes} bytes (read {size_so_far})")
        self.size_so_far = size_so_far
        self.max_bytes = max_bytes


class InvalidDigest(ValueError):
    """Something other than 64 lowercase hex digits was offered as a file's name."""


class NotStored(FileNotFoundError):
    """No file with this digest is in the store."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    mime: str | None


@runtime_checkable
class FileStore(Protocol):
    """Where uploaded files live, named by the sha256 of their bytes.

    Only LocalFileStore exists today; an object store can replace it as long as it keeps this
    contract (tests/test_files.py runs the contract against every backend it lists).
    """

    def put_stream(self, chunks: Iterable[bytes], max_bytes: int | None = None) -> StoredFile:
        """Store the concatenated chunks without holding them all in memory."""
        ...

    def put_path(self, path: Path) -> StoredFile:
        """Store a copy of a local file (e.g. a converter's output)."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """The stored bytes for reading; the caller closes it."""
        ...

    def path(self, sha256: str) -> Path:
        """A local path to the stored bytes, for converters that need a file name."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> bool:
        """Remove the file; False when it was not there."""
        ...

    def size(self, sha256: str) -> int: ...

    def iter_all(self) -> Iterator[str]:
        """Every stored digest, in no particular order (for backups and sweeps)."""
        ...


def check_digest(sha256: str) -> str:
    """The digest itself if it is 64 lowercase hex digits, else InvalidDigest.

    This is the only thing that ever becomes part of a path, so a user-supplied name such as
    '../../etc/passwd' can never reach the file system.
    """
    if not isinstance(sha256, str) or not _DIGEST.fullmatch(sha256):
        raise InvalidDigest(repr(sha256)[:80])
    return sha256


def read_chunks(stream: BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """A binary file as a stream of chunks, for put_stream."""
    while chunk := stream.read(chunk_size):
        yield chunk


class LocalFileStore:
    """Files on local disk at <root>/ab/cd/<sha256>, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        # The temp directory sits inside root so the final rename never crosses file systems
        # and is therefore atomic: a reader sees either no file or the whole file.
        self._temp_dir = self.root / TEMP_DIR_NAME
        self._temp_dir.mkdir(parents=True, exist_ok=True)

    def _location(self, sha256: str) -> Path:
        digest = check_digest(sha256)
        return self.root / digest[:2] / digest[2:4] / digest

    def put_stream(self, chunks: Iterable[bytes], max_bytes: int | None = None) -> StoredFile:
        hasher = hashlib.sha256()
        head = bytearray()
        size = 0
        # mkstemp creates the file 0600: stored files are students' personal data.
        fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self._temp_dir)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as sink:
                for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge(size, max_bytes)
                    hasher.update(chunk)
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    sink.write(chunk)
                sink.flush()
                os.fsync(sink.fileno())
            digest = hasher.hexdigest()
            final = self._location(digest)
            if final.exists():
                # Same bytes are already stored: content addressing keeps one copy. Touch it so
                # the orphan sweep's grace period starts again for the row about to name it.
                temp.unlink()
                os.utime(final)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return StoredFile(sha256=digest, size=size, mime=mime_of(sniff_bytes(bytes(head))))

    def put_path(self, path: Path) -> StoredFile:
        with open(path, "rb") as source:
            return self.put_stream(read_chunks(source))

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self._location(sha256), "rb")
        except FileNotFoundError as exc:
            raise NotStored(sha256) from exc

    def path(self, sha256: str) -> Path:
        location = self._location(sha256)
        if not location.is_file():
            raise NotStored(sha256)
        return location

    def exists(self, sha256: str) -> bool:
        return self._location(sha256).is_file()

    def delete(self, sha256: str) -> bool:
        # Empty fan-out directories are left in place on purpose: removing one could race with a
        # put_stream that has just created it and is about to rename a file into it.
        try:
            self._location(sha256).unlink()
        except FileNotFoundError:
            return False
        return True

    def size(self, sha256: str) -> int:
        try:
            return self._location(sha256).stat().st_size
        except FileNotFoundError as exc:
            raise NotStored(sha256) from exc

    def iter_all(self) -> Iterator[str]:
        for first in sorted(self.root.iterdir()):
            if not (first.is_dir() and _FANOUT.fullmatch(first.name)):
                continue
            for second in sorted(first.iterdir()):
                if not (second.is_dir() and _FANOUT.fullmatch(second.name)):
                    continue
                for entry in sorted(second.iterdir()):
                    name = entry.name
                    if (
                        _DIGEST.fullmatch(name)
                        and name[:2] == first.name
                        and name[2:4] == second.name
                        and entry.is_file()
                    ):
                        yield name

    def sweep_temp(self, older_than: float = STALE_TEMP_SECONDS, now: float | None = None) -> int:
        """Remove temp files left by writers that died mid-upload; returns how many."""
        cutoff = (time.time() if now is None else now) - older_than
        removed = 0
        for entry in self._temp_dir.glob(f"{TEMP_PREFIX}*"):
            try:
                if entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
