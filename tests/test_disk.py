"""Disk exhaustion: refused bytes go at once, leftovers are swept on schedule, a daily cap holds."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from jobs import tick
from storage.models.portfolio import FileRecord
from storage.models.security import UploadUsage
from tests.support import Chat
from tests.test_upload import STUDENT, jpeg_bytes, send_file, send_photos, start_upload

HOUR = 3600


def _zip(size: int) -> bytes:
    return b"PK\x03\x04" + os.urandom(size - 4)


def _stored(chat: Chat) -> set[str]:
    return set(chat.svc.files.iter_all())


def test_refused_bytes_are_deleted_at_once(chat: Chat, school: Any, db: Any) -> None:
    start_upload(chat)
    data = _zip(3 * 1024 * 1024)
    said = Chat.texts(send_file(chat, STUDENT, data, "作業.zip", "application/zip"))
    assert "這個檔案是 zip" in said
    assert hashlib.sha256(data).hexdigest() not in _stored(chat)
    assert list((chat.svc.files.root / "tmp").iterdir()) == []


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_the_scheduled_tick_sweeps_leftovers_and_unreferenced_files(
    chat: Chat, school: Any, db: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    assert "jobs.files.run" in tick.PARTS  # what rq's scheduler and the embedded mode both run
    store = chat.svc.files
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))

    # A worker killed mid-download and mid-fit.
    dead_download = store.root / "tmp" / "incoming-killed"
    dead_download.write_bytes(b"x" * 1000)
    _age(dead_download, 2 * HOUR)
    live_download = store.root / "tmp" / "incoming-live"
    live_download.write_bytes(b"y" * 1000)
    dead_fit = system_temp / "intake-killed"
    dead_fit.mkdir()
    (dead_fit / "fitted.pdf").write_bytes(b"%PDF")
    _age(dead_fit, 2 * HOUR)
    live_fit = system_temp / "intake-live"
    live_fit.mkdir()

    # Stored bytes: one a row names, one nobody names (old), one nobody names yet (new).
    start_upload(chat)
    send_photos(chat, STUDENT, [jpeg_bytes("kept")], together=False)
    with db.session() as s:
        [named] = s.scalars(select(FileRecord.sha256)).all()
    orphan = store.put_stream([b"%PDF-1.4 refused long ago"]).sha256
    fresh = store.put_stream([b"%PDF-1.4 arriving right now"]).sha256
    for digest in (named, orphan):
        _age(store.path(digest), 3 * 24 * HOUR)

    with chat.app.app_context():
        counts = tick.run_parts(chat.svc)["jobs.files"]
    assert counts["temp"] == 1 and counts["system_temp"] == 1 and counts["orphans"] == 1
    assert not dead_download.exists() and live_download.exists()
    assert not dead_fit.exists() and live_fit.exists()
    assert _stored(chat) == {named, fresh}


def test_a_daily_cap_per_student(chat: Chat, school: Any, db: Any) -> None:
    svc = chat.svc
    svc.settings = svc.settings.with_changes(upload_bytes_per_day=5 * 1024 * 1024)
    start_upload(chat)
    first = _zip(3 * 1024 * 1024)
    assert "這個檔案是 zip" in Chat.texts(send_file(chat, STUDENT, first, "a.zip", "x/y"))
    second = _zip(3 * 1024 * 1024)
    said = Chat.texts(send_file(chat, STUDENT, second, "b.zip", "x/y"))
    assert "已達上限" in said and "5 MB" in said
    third = jpeg_bytes("small")
    said = Chat.texts(send_photos(chat, STUDENT, [third], together=False))
    assert "已達上限" in said
    assert _stored(chat) == set()
    assert list((svc.files.root / "tmp").iterdir()) == []
    with db.session() as s:
        [usage] = s.scalars(select(UploadUsage)).all()
    assert usage.who == f"student:{school.students[STUDENT]}"
    assert usage.bytes >= 5 * 1024 * 1024
    # Another student is not affected.
    start_upload(chat, "Us10102")
    said = Chat.texts(send_photos(chat, "Us10102", [jpeg_bytes("ok")], together=False))
    assert "已達上限" not in said
