"""Bytes nobody needs: temporary files of writers that died, and stored files no row names.

A worker killed mid-download leaves `incoming-*` files in the store's temp folder and
`intake-*`/`fit-av-*` folders in the system's; a received file that was later refused, or a
PDF replaced by its fitted copy, leaves bytes no file row references. The periodic tick
(jobs/files.py) removes them: temporary files after an hour, unreferenced stored files after
a grace period long enough for any upload in progress to have recorded its row.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from storage.db import lock_named
from storage.files import FILES_LOCK, FileStore, NotStored
from storage.models.portfolio import FileRecord

TEMP_MAX_AGE = 3600.0
ORPHAN_GRACE = 24 * 3600.0
# Folders this product makes in the system's temp folder while fitting files.
SYSTEM_TEMP_PREFIXES = ("intake-", "fit-av-")


def sweep_system_temp(
    older_than: float = TEMP_MAX_AGE, now: float | None = None, folder: Path | None = None
) -> int:
    """Remove this product's leftover folders in the system temp folder; returns how many."""
    cutoff = (time.time() if now is None else now) - older_than
    base = folder or Path(tempfile.gettempdir())
    removed = 0
    for prefix in SYSTEM_TEMP_PREFIXES:
        for entry in base.glob(f"{prefix}*"):
            try:
                if entry.lstat().st_mtime >= cutoff:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
                removed += 1
            except FileNotFoundError:
                continue
    return removed


def sweep_orphans(
    session: Session, files: FileStore, grace: float = ORPHAN_GRACE, now: float | None = None
) -> int:
    """Delete stored files that no file row names and that are older than grace seconds."""
    lock_named(session, FILES_LOCK)
    cutoff = (time.time() if now is None else now) - grace
    named = set(session.scalars(select(FileRecord.sha256).distinct()))
    removed = 0
    for digest in list(files.iter_all()):
        if digest in named:
            continue
        try:
            if files.path(digest).stat().st_mtime >= cutoff:
                continue
        except (NotStored, FileNotFoundError):
            continue
        # A row may have been committed since the list was read.
        if session.scalar(select(exists().where(FileRecord.sha256 == digest))):
            continue
        if files.delete(digest):
            removed += 1
    return removed
