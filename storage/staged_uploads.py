"""Import files waiting between their check and their confirm: each under a random token, with who
staged it and for which kind, until the confirm's job takes it (or it grows stale and is swept)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# The folder under the storage dir; the console stages files here and the job reads them.
FOLDER = "console-imports"
# A staged file older than this is swept at the next upload (the check is an hour old).
STAGED_FOR_SECONDS = 3600
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


@dataclass(frozen=True)
class Staged:
    token: str
    path: Path
    staff_id: int
    kind: str
    name: str  # the name it was uploaded under: shown and audited, never used as a path


class StagedUploads:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def stage(
        self, write: Callable[[Path], None], suffix: str, staff_id: int, kind: str, name: str
    ) -> Staged:
        """Keep a file (write saves it to the path given) for this staff member and kind."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sweep()
        token = secrets.token_urlsafe(24)
        path = self.folder / f"{token}{suffix}"
        write(path)
        meta = {"staff_id": staff_id, "kind": kind, "suffix": suffix, "name": name[:80]}
        (self.folder / f"{token}.json").write_text(json.dumps(meta))
        return Staged(token, path, staff_id, kind, name[:80])

    def find(self, token: str, staff_id: int, kind: str) -> Staged | None:
        """The staged file of this token, if this staff member staged it for this kind."""
        if not token or not set(token) <= _TOKEN_CHARS:
            return None
        meta_path = self.folder / f"{token}.json"
        if not meta_path.is_file():
            return None
        meta = json.loads(meta_path.read_text())
        if meta["staff_id"] != staff_id or meta["kind"] != kind:
            return None
        path = self.folder / f"{token}{meta['suffix']}"
        return Staged(token, path, staff_id, kind, meta["name"]) if path.is_file() else None

    def hold(self, staged: Staged) -> None:
        """Restart the file's hour when its job is queued, however long the queue is."""
        for path in self.folder.glob(f"{staged.token}*"):
            path.touch()

    def take(self, token: str, staff_id: int, kind: str, into: Path) -> Staged | None:
        """Move the staged file into a job's folder; of two jobs taking it only one gets it."""
        found = self.find(token, staff_id, kind)
        if found is None:
            return None
        into.mkdir(parents=True, exist_ok=True)
        taken = into / found.path.name
        try:
            found.path.rename(taken)  # atomic on one file system: the claim
        except FileNotFoundError:
            return None
        (self.folder / f"{token}.json").unlink(missing_ok=True)
        return Staged(token, taken, staff_id, kind, found.name)

    def remove(self, token: str) -> None:
        if not token or not set(token) <= _TOKEN_CHARS:
            return
        for path in self.folder.glob(f"{token}*"):
            path.unlink(missing_ok=True)

    def sweep(self) -> None:
        if not self.folder.is_dir():
            return
        cutoff = time.time() - STAGED_FOR_SECONDS
        for path in self.folder.iterdir():
            try:
                stale = path.stat().st_mtime < cutoff
            except FileNotFoundError:  # taken by a job meanwhile
                continue
            if stale:
                path.unlink(missing_ok=True)
