"""Backups: a snapshot of the database and every file, checked and restored row for row."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from school import backup
from storage.clock import TAIPEI
from storage.db import Base, Database
from storage.files import LocalFileStore
from storage.models.lifecycle import LifecycleRun
from storage.models.portfolio import FileRecord
from storage.models.school import Staff
from tests.conftest import PG_ADMIN_URL, make_settings
from tests.school import REGISTRAR, School, seed_school
from tests.test_lifecycle import (
    PDF,
    cli,
    deliver,
    make_outcome,
    make_performance,
    ok,
    svc_of,
    texts_for,
)

# --- helpers ------------------------------------------------------------------------------------


def everything(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the migration revision), in primary-key order."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with database.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            found[table.name] = [tuple(row) for row in conn.execute(query)]
        found["alembic_version"] = [
            tuple(r) for r in conn.execute(text("SELECT version_num FROM alembic_version"))
        ]
    return found


def store_bytes(store: LocalFileStore) -> dict[str, bytes]:
    result = {}
    for digest in store.iter_all():
        with store.open(digest) as handle:
            result[digest] = handle.read()
    return result


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    """An empty PostgreSQL database (no tables), dropped afterwards."""
    from storage import migrate

    with migrate.throwaway_postgres(PG_ADMIN_URL, "portfolio_restore", migrated=False) as url:
        yield url


def fill(app: Any, db: Any, school: School, clock: Any) -> None:
    make_outcome(app, db, school, clock, "Us10101", "101-國語文")
    make_outcome(app, db, school, clock, "Us10102", "101-數學", status="pending")
    make_performance(app, db, school, clock, "Us10201")
    # An orphan in the store (bytes no row names) is backed up as well: "every stored file".
    svc_of(app).files.put_stream([PDF + b"orphan"])


# --- PostgreSQL ---------------------------------------------------------------------------------


def test_postgres_backup_restores_every_row_and_file(
    app: Any, db: Any, school: School, clock: Any, tmp_path: Path, fresh_pg: str
) -> None:
    fill(app, db, school, clock)
    files = svc_of(app).files
    made = backup.create_backup(db, files, tmp_path / "backups", clock.now())
    assert made.path.name == "portfolio-backup-20261015T020000Z"
    assert made.backend == "postgresql" and made.files == 4 and made.missing == []
    assert made.tables["students"] == 9 and made.tables["course_outcomes"] == 2
    check = backup.verify_backup(made.path)
    assert check.ok, check.problems
    assert oct(made.path.stat().st_mode & 0o777) == "0o700"

    target = Database(fresh_pg)
    restored_store = LocalFileStore(tmp_path / "restored-files")
    try:
        result = backup.restore_backup(made.path, target, restored_store)
        assert result.mismatched == {} and result.files == 4
        assert everything(target) == everything(db)
        assert store_bytes(restored_store) == store_bytes(files)
        # Sequences came along: a new row does not collide with a restored one.
        with target.transaction() as s:
            s.add(Staff(staff_no="N001", name="新同仁"))
        with target.session() as s:
            assert s.scalars(select(Staff.id).where(Staff.staff_no == "N001")).one() > max(
                school.staff.values()
            )
        again = cli_restore_refused(made.path, target, LocalFileStore(tmp_path / "empty"))
        assert "資料庫不是空的" in again
    finally:
        target.dispose()


def cli_restore_refused(path: Path, db: Database, store: LocalFileStore) -> str:
    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(path, db, store)
    return str(refused.value)


def test_restore_refuses_a_database_or_store_that_is_not_empty(
    app: Any, db: Any, school: School, clock: Any, tmp_path: Path, fresh_pg: str
) -> None:
    fill(app, db, school, clock)
    out = ok(app, "backup", "create", "--out", str(tmp_path / "b"))
    assert "備份完成" in out and "檔案 4 個" in out
    path = next((tmp_path / "b").iterdir())
    # Into the running database: refused, one clear line, nothing touched.
    before = everything(db)
    refused = cli(app, "backup", "restore", str(path))
    assert refused.exit_code == 1 and "資料庫不是空的" in refused.stderr
    assert "Traceback" not in refused.output
    assert everything(db) == before
    # An empty database but a store with files in it: refused too.
    target = Database(fresh_pg)
    try:
        message = cli_restore_refused(path, target, svc_of(app).files)
        assert "STORAGE_DIR" in message and "已經有檔案" in message
        assert backup.database_tables(target) == []
    finally:
        target.dispose()


def test_verify_finds_damage(app: Any, db: Any, school: School, clock: Any, tmp_path: Path) -> None:
    fill(app, db, school, clock)
    made = backup.create_backup(db, svc_of(app).files, tmp_path, clock.now())
    out = ok(app, "backup", "verify", str(made.path))
    assert "備份完好" in out
    victim = next(p for p in (made.path / "files").rglob("*") if p.is_file())
    victim.write_bytes(b"bit rot")
    (made.path / "stray.txt").write_text("?")
    check = backup.verify_backup(made.path)
    assert not check.ok
    assert any("與 sha256 檢查碼不符" in p for p in check.problems)
    assert any("stray.txt 不在 SHA256SUMS" in p for p in check.problems)
    (made.path / "database.dump").unlink()
    assert any("缺少 database.dump" in p for p in backup.verify_backup(made.path).problems)
    failed = cli(app, "backup", "verify", str(made.path))
    assert failed.exit_code == 1 and "個問題" in failed.output
    assert not backup.verify_backup(tmp_path / "nothing-here").ok


def test_a_second_backup_links_the_files_of_the_first(
    app: Any, db: Any, school: School, clock: Any, tmp_path: Path
) -> None:
    fill(app, db, school, clock)
    first = backup.create_backup(db, svc_of(app).files, tmp_path, clock.now())
    clock.advance(days=1)
    make_outcome(app, db, school, clock, "Us10103", "101-英語文")
    second = backup.create_backup(db, svc_of(app).files, tmp_path, clock.now())
    assert (first.linked, second.files, second.linked) == (0, 5, 4)
    shared = next(p for p in (first.path / "files").rglob("*") if p.is_file())
    twin = second.path / shared.relative_to(first.path)
    assert os.stat(shared).st_ino == os.stat(twin).st_ino
    assert backup.verify_backup(second.path).ok
    assert backup.prune(tmp_path, keep=1) == [first.path]
    assert backup.verify_backup(second.path).ok  # the links outlive the first backup


# --- SQLite -------------------------------------------------------------------------------------


def test_sqlite_backup_restores_every_row_and_file_through_the_cli(
    sqlite_db: Any, tmp_path: Path, clock: Any
) -> None:
    from bot import create_app

    seed_school(sqlite_db)
    store = LocalFileStore(tmp_path / "files")
    stored = store.put_stream([PDF + b"sqlite"])
    with sqlite_db.transaction() as s:
        s.add(
            FileRecord(
                sha256=stored.sha256,
                size=stored.size,
                mime="application/pdf",
                kind="document",
                student_id=1,
                created_at=clock.now(),
            )
        )

    def app_for(url: str, files_dir: Path) -> Any:
        settings = make_settings(url, "http://127.0.0.1:9", files_dir.parent, "token")
        settings = settings.with_changes(storage_dir=files_dir)
        return create_app(
            settings, db=Database(url), queue="manual", clock=clock, sleep=lambda s: None
        )

    source = app_for(sqlite_db.url, tmp_path / "files")
    out = ok(source, "backup", "create", "--out", str(tmp_path / "backups"))
    assert "備份完成" in out
    path = next((tmp_path / "backups").iterdir())
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["backend"] == "sqlite" and manifest["database"]["tables"]["students"] == 9
    assert ok(source, "backup", "verify", str(path)).startswith("備份完好")

    target_url = f"sqlite:///{tmp_path / 'restored' / 'portfolio.sqlite'}"
    target = app_for(target_url, tmp_path / "restored" / "files")
    out = ok(target, "backup", "restore", str(path))
    assert "已還原" in out and "檔案 1 個" in out and "db upgrade" in out
    restored_db = svc_of(target).db
    assert everything(restored_db) == everything(sqlite_db)
    assert store_bytes(svc_of(target).files) == store_bytes(store)
    again = cli(target, "backup", "restore", str(path))
    assert again.exit_code == 1 and "資料庫不是空的" in again.stderr
    # A SQLite backup does not go into PostgreSQL (nor the other way round).
    with pytest.raises(backup.BackupError, match="sqlite 的備份"):
        backup.restore_backup(path, Database(PG_ADMIN_URL), LocalFileStore(tmp_path / "x"))


# --- the nightly schedule -----------------------------------------------------------------------


def test_nightly_backup_runs_once_a_night_at_the_configured_hour(
    app: Any, db: Any, school: School, clock: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from jobs import lifecycle as job

    svc = svc_of(app)
    nightly = tmp_path / "nightly"
    assert "backup_enqueued" not in job.run(svc)  # BACKUP_DIR unset: no backups
    svc.settings = svc.settings.with_changes(backup_dir=nightly, backup_hour=3, backup_keep=1)
    fill(app, db, school, clock)

    clock.set(datetime(2026, 10, 16, 2, 55, tzinfo=TAIPEI))
    assert "backup_enqueued" not in job.run(svc)
    clock.set(datetime(2026, 10, 16, 3, 0, tzinfo=TAIPEI))
    assert job.run(svc)["backup_enqueued"] == 1
    assert "backup_enqueued" not in job.run(svc)  # claimed for the night
    assert svc.queue.run_all() == 1
    made = sorted(nightly.iterdir())
    assert len(made) == 1 and backup.verify_backup(made[0]).ok
    with db.session() as s:
        run = s.scalars(select(LifecycleRun).where(LifecycleRun.kind == "backup")).one()
        assert run.finished_at is not None and run.error is None
        assert run.detail["files"] == 4 and run.detail["path"] == str(made[0])

    clock.set(datetime(2026, 10, 17, 3, 10, tzinfo=TAIPEI))
    assert job.run(svc)["backup_enqueued"] == 1
    svc.queue.run_all()
    kept = sorted(nightly.iterdir())
    assert len(kept) == 1 and kept[0] != made[0]  # BACKUP_KEEP=1


def test_a_failed_backup_is_told_to_the_registrar(
    app: Any, db: Any, school: School, clock: Any, tmp_path: Path, monkeypatch: Any, line: Any
) -> None:
    from jobs import lifecycle as job

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    svc = svc_of(app)
    svc.settings = svc.settings.with_changes(backup_dir=blocker)
    assert job.run(svc)["backup_enqueued"] == 1
    deliver(app)
    with db.session() as s:
        run = s.scalars(select(LifecycleRun).where(LifecycleRun.kind == "backup")).one()
        assert run.error and run.finished_at is not None
    said = texts_for(line, REGISTRAR)
    assert "自動備份沒有完成" in said and "portfolio backup create" in said


def test_backup_create_needs_a_directory(app: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("BACKUP_DIR", raising=False)
    result = cli(app, "backup", "create")
    assert result.exit_code == 1 and "BACKUP_DIR" in result.stderr


def test_libpq_dsn_keeps_the_password_out_of_the_arguments() -> None:
    dsn, env = backup.libpq_dsn("postgresql+psycopg://u:s3cret@db.example:5433/portfolio")
    assert dsn == "postgresql://u@db.example:5433/portfolio" and env["PGPASSWORD"] == "s3cret"
