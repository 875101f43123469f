"""Backups (the library's duty in the seed): a consistent database snapshot, every file, checksums.

A backup is one directory, written under a temporary name and renamed when complete:

    portfolio-backup-20261015T180000Z/
      database.dump      pg_dump --format=custom (PostgreSQL) | database.sqlite (SQLite backup API)
      files/ab/cd/<sha256>   every stored file, named by its digest as in the live store
      manifest.json      format, time, backend, migration revision, rows per table, file count
      SHA256SUMS         "<sha256>  <path>" for every other file (sha256sum -c can check it)

Consistency: on PostgreSQL the dump runs on a snapshot exported from our own REPEATABLE READ
transaction, which also reads the file rows and holds the lock retention deletion takes before
removing bytes; so every file the dump names is copied. On SQLite the backup API copies one
consistent state and the file rows are read from the copy.

Nightly backups into the same directory hard-link the files an earlier backup there already
holds (stored files never change: their name is their content), so only new files are copied.

Restore goes into an EMPTY database and an EMPTY store only: a backup never overwrites data.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from catalogue import text as say
from storage.clock import UTC
from storage.db import Database, advisory_key
from storage.files import CHUNK_SIZE, FILES_LOCK, FileStore, check_digest

FORMAT: Final = "portfolio-backup/1"
PREFIX: Final = "portfolio-backup-"
PARTIAL_PREFIX: Final = ".partial-"
MANIFEST: Final = "manifest.json"
SUMS: Final = "SHA256SUMS"
FILES_DIR: Final = "files"
PG_DUMP_NAME: Final = "database.dump"
SQLITE_NAME: Final = "database.sqlite"
POSTGRESQL: Final = "postgresql"
SQLITE: Final = "sqlite"
DEFAULT_KEEP: Final = 14
STALE_PARTIAL_SECONDS: Final = 24 * 3600

_NAME = re.compile(rf"{PREFIX}\d{{8}}T\d{{6}}Z(-\d+)?")


class BackupError(Exception):
    """A backup cannot be made, checked or restored; str() is one line an operator can act on."""


@dataclass
class BackupResult:
    path: Path
    backend: str
    tables: dict[str, int]
    files: int
    bytes: int
    linked: int
    missing: list[str] = field(default_factory=list)


@dataclass
class Verification:
    path: Path
    problems: list[str]
    manifest: dict[str, Any] = field(default_factory=dict)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class RestoreResult:
    tables: dict[str, int]
    files: int
    mismatched: dict[str, tuple[int, int]]


# --- helpers -----------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def libpq_dsn(url: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy URL as a libpq connection string for pg_dump/pg_restore, with the password
    moved into the environment so it never shows in a process list."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(say("backup.not_installed", tool=args[0])) from None
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(
            say("backup.tool_failed", what=what, detail=detail[-1] if detail else done.returncode)
        )


def _sqlite_path(db: Database) -> Path:
    database = make_url(db.url).database
    if not database or database == ":memory:":
        raise BackupError(say("backup.in_memory"))
    return Path(database)


def _backend(db: Database) -> str:
    return POSTGRESQL if db.is_postgres else SQLITE


def _table_counts(conn: Any, names: list[str]) -> dict[str, int]:
    counts = {}
    for name in sorted(names):
        counts[name] = int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() or 0)
    return counts


def _user_tables(conn: Any) -> list[str]:
    return [t for t in inspect(conn).get_table_names() if not t.startswith("sqlite_")]


def _link_or_copy(source: Path, target: Path, link_from: list[Path], digest: str) -> bool:
    """Hard-link the digest from an earlier backup when one has it, else copy; True if linked."""
    target.parent.mkdir(parents=True, exist_ok=True)
    size = source.stat().st_size
    for earlier in link_from:
        candidate = earlier / FILES_DIR / digest[:2] / digest[2:4] / digest
        try:
            if candidate.is_file() and candidate.stat().st_size == size:
                os.link(candidate, target)
                return True
        except OSError:
            continue  # another file system, or links not allowed: copy instead
    shutil.copyfile(source, target)
    return False


def _earlier_backups(out_dir: Path) -> list[Path]:
    """Complete backups in out_dir, newest first."""
    if not out_dir.is_dir():
        return []
    found = [
        p
        for p in out_dir.iterdir()
        if p.is_dir() and _NAME.fullmatch(p.name) and (p / MANIFEST).is_file()
    ]
    return sorted(found, key=lambda p: p.name, reverse=True)


# --- create ------------------------------------------------------------------------------------


def create_backup(db: Database, files: FileStore, out_dir: Path, now: datetime) -> BackupResult:
    """Write one complete backup directory into out_dir; returns what went into it."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{PREFIX}{stamp}"
    n = 1
    while (out_dir / name).exists():
        n += 1
        name = f"{PREFIX}{stamp}-{n}"
    earlier = _earlier_backups(out_dir)[:3]
    work = out_dir / f"{PARTIAL_PREFIX}{name}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(mode=0o700)
    try:
        if db.is_postgres:
            result = _create_postgres(db, files, work, earlier)
        else:
            result = _create_sqlite(db, files, work, earlier)
        manifest = {
            "format": FORMAT,
            "created_at": now.astimezone(UTC).isoformat(),
            "backend": result.backend,
            "database": {
                "file": PG_DUMP_NAME if db.is_postgres else SQLITE_NAME,
                "alembic_revision": result.tables.pop("__revision__", None),
                "tables": result.tables,
            },
            "files": {"count": result.files, "bytes": result.bytes},
            "missing_files": result.missing,
        }
        (work / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        _write_sums(work)
        final = out_dir / name
        os.replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    result.path = final
    return result


def _copy_files(
    files: FileStore, work: Path, earlier: list[Path], referenced: set[str]
) -> tuple[int, int, int, list[str]]:
    count = size = linked = 0
    copied: set[str] = set()
    for digest in files.iter_all():
        source = files.path(digest)
        target = work / FILES_DIR / digest[:2] / digest[2:4] / digest
        if _link_or_copy(source, target, earlier, digest):
            linked += 1
        count += 1
        size += target.stat().st_size
        copied.add(digest)
    # Rows naming bytes the live store does not have: nothing to copy, but the operator must know.
    missing = sorted(referenced - copied)
    return count, size, linked, missing


def _create_postgres(
    db: Database, files: FileStore, work: Path, earlier: list[Path]
) -> BackupResult:
    dsn, env = libpq_dsn(db.url)
    with db.engine.connect() as raw:
        conn = raw.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # First statement: the snapshot starts here, and byte removal waits for us.
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(FILES_LOCK)})
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={work / PG_DUMP_NAME}",
                    "--no-password",
                    f"--dbname={dsn}",
                ],
                env,
                "pg_dump",
            )
            tables = _table_counts(conn, _user_tables(conn))
            tables["__revision__"] = _revision(conn)  # type: ignore[assignment]
            referenced = _referenced_digests(conn)
            count, size, linked, missing = _copy_files(files, work, earlier, referenced)
    return BackupResult(work, POSTGRESQL, tables, count, size, linked, missing)


def _create_sqlite(db: Database, files: FileStore, work: Path, earlier: list[Path]) -> BackupResult:
    target = work / SQLITE_NAME
    source = sqlite3.connect(_sqlite_path(db))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        # A standalone file: no -wal/-shm companions to forget.
        copy.execute("PRAGMA journal_mode=DELETE")
        copy.commit()
    finally:
        copy.close()
        source.close()
    snapshot = Database(f"sqlite:///{target}")
    try:
        with snapshot.engine.connect() as conn:
            tables = _table_counts(conn, _user_tables(conn))
            tables["__revision__"] = _revision(conn)  # type: ignore[assignment]
            referenced = _referenced_digests(conn)
    finally:
        snapshot.dispose()
    # The engine's connect hook switches the copy to WAL; make it one file again.
    with sqlite3.connect(target) as plain:
        plain.execute("PRAGMA journal_mode=DELETE")
    count, size, linked, missing = _copy_files(files, work, earlier, referenced)
    return BackupResult(work, SQLITE, tables, count, size, linked, missing)


def _revision(conn: Any) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - a database built without migrations has no such table
        return None


def _referenced_digests(conn: Any) -> set[str]:
    if "files" not in _user_tables(conn):
        return set()
    return {row[0] for row in conn.execute(text("SELECT DISTINCT sha256 FROM files"))}


def _walk(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path


def _write_sums(work: Path) -> None:
    lines = []
    for path in _walk(work):
        rel = path.relative_to(work).as_posix()
        if rel == SUMS:
            continue
        lines.append(f"{sha256_of(path)}  {rel}\n")
    (work / SUMS).write_text("".join(lines), encoding="utf-8")


# --- verify ------------------------------------------------------------------------------------


def verify_backup(path: Path) -> Verification:
    """Check every checksum, the manifest and the database file; problems are one line each."""
    check = Verification(path, [])
    if not path.is_dir():
        check.problems.append(say("backup.problem.not_dir", path=path))
        return check
    sums_path = path / SUMS
    if not sums_path.is_file() or not (path / MANIFEST).is_file():
        check.problems.append(
            say("backup.problem.incomplete", path=path, sums=SUMS, manifest=MANIFEST)
        )
        return check
    listed: dict[str, str] = {}
    for number, line in enumerate(sums_path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, rel = line.partition("  ")
        if (
            not sep
            or not re.fullmatch(r"[0-9a-f]{64}", digest)
            or rel.startswith("/")
            or ".." in Path(rel).parts
        ):
            check.problems.append(say("backup.problem.malformed", sums=SUMS, number=number))
            continue
        listed[rel] = digest
    for rel, digest in listed.items():
        target = path / rel
        if not target.is_file():
            check.problems.append(say("backup.problem.missing", rel=rel))
            continue
        actual = sha256_of(target)
        check.checked += 1
        if actual != digest:
            check.problems.append(say("backup.problem.checksum", rel=rel))
        elif rel.startswith(f"{FILES_DIR}/") and Path(rel).name != actual:
            check.problems.append(say("backup.problem.misnamed", rel=rel))
    for extra in _walk(path):
        rel = extra.relative_to(path).as_posix()
        if rel != SUMS and rel not in listed:
            check.problems.append(say("backup.problem.unlisted", rel=rel, sums=SUMS))
    try:
        check.manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except ValueError:
        check.problems.append(say("backup.problem.bad_json", manifest=MANIFEST))
        return check
    if check.manifest.get("format") != FORMAT:
        check.problems.append(say("backup.problem.format", manifest=MANIFEST, format=FORMAT))
        return check
    stored = sum(1 for rel in listed if rel.startswith(f"{FILES_DIR}/"))
    expected = int(check.manifest.get("files", {}).get("count", -1))
    if stored != expected:
        check.problems.append(
            say(
                "backup.problem.count",
                manifest=MANIFEST,
                expected=expected,
                sums=SUMS,
                stored=stored,
            )
        )
    database = check.manifest.get("database", {}).get("file", "")
    if database not in listed:
        check.problems.append(say("backup.problem.no_database", file=database or "?"))
    elif not check.problems:
        _check_database_file(path / database, check)
    return check


def _check_database_file(target: Path, check: Verification) -> None:
    if check.manifest.get("backend") == POSTGRESQL:
        try:
            _run(["pg_restore", "--list", str(target)], dict(os.environ), "pg_restore --list")
        except BackupError as exc:
            check.problems.append(str(exc))
        return
    try:
        with sqlite3.connect(f"file:{target}?mode=ro", uri=True) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()
        if not result or result[0] != "ok":
            check.problems.append(say("backup.problem.integrity", file=target.name))
    except sqlite3.Error as exc:
        check.problems.append(f"{target.name}: {exc}")


# --- restore -----------------------------------------------------------------------------------


def database_tables(db: Database) -> list[str]:
    """Tables already in the database; a restore needs none."""
    with db.engine.connect() as conn:
        return _user_tables(conn)


def store_is_empty(files: FileStore) -> bool:
    return next(iter(files.iter_all()), None) is None


def restore_backup(path: Path, db: Database, files: FileStore) -> RestoreResult:
    """Restore a verified backup into an empty database and an empty store."""
    check = verify_backup(path)
    if not check.ok:
        raise BackupError(say("backup.does_not_verify", problem=check.problems[0]))
    manifest = check.manifest
    backend = manifest.get("backend")
    if backend != _backend(db):
        raise BackupError(say("backup.wrong_backend", backend=backend, here=_backend(db)))
    existing = database_tables(db)
    if existing:
        raise BackupError(
            say("backup.database_not_empty", count=len(existing), example=sorted(existing)[0])
        )
    if not store_is_empty(files):
        raise BackupError(say("backup.store_not_empty"))
    database_file = path / manifest["database"]["file"]
    if backend == POSTGRESQL:
        dsn, env = libpq_dsn(db.url)
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--no-password",
                f"--dbname={dsn}",
                str(database_file),
            ],
            env,
            "pg_restore",
        )
    else:
        target = _sqlite_path(db)
        db.dispose()
        source = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
        sink = sqlite3.connect(target)
        try:
            source.backup(sink)
        finally:
            sink.close()
            source.close()
    restored = 0
    for blob in sorted((path / FILES_DIR).rglob("*")) if (path / FILES_DIR).is_dir() else []:
        if not blob.is_file():
            continue
        stored = files.put_path(blob)
        if stored.sha256 != check_digest(blob.name):
            raise BackupError(say("backup.changed", file=blob.name))
        restored += 1
    with db.engine.connect() as conn:
        tables = _table_counts(conn, _user_tables(conn))
    expected: dict[str, int] = manifest["database"].get("tables", {})
    mismatched = {
        name: (n, tables.get(name, -1)) for name, n in expected.items() if tables.get(name, -1) != n
    }
    return RestoreResult(tables, restored, mismatched)


# --- keeping a few -----------------------------------------------------------------------------


def prune(out_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` complete backups in out_dir (and stale partial ones)."""
    removed = []
    for old in _earlier_backups(out_dir)[max(keep, 1) :]:
        shutil.rmtree(old)
        removed.append(old)
    if out_dir.is_dir():
        cutoff = time.time() - STALE_PARTIAL_SECONDS
        for partial in out_dir.glob(f"{PARTIAL_PREFIX}{PREFIX}*"):
            # Left by a run that was killed (never a backup); a recent one may still be writing.
            if partial.stat().st_mtime < cutoff:
                shutil.rmtree(partial, ignore_errors=True)
    return removed
