"""`portfolio backup create | verify | restore`: the database and the file store in one archive."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from flask import Flask
from flask.cli import AppGroup

from bot.cli_base import StaffError
from bot.lifecycle_cli import MAX_LISTED, _say, _services, _size
from catalogue import text
from school import backup
from school.backup import BackupError

backup_cli = AppGroup(
    "backup",
    help=text("cli.lifecycle.backup.help"),
)


T = TypeVar("T")


def _backup_target(out_dir: Path | None) -> Path:
    target = out_dir or _services().settings.backup_dir
    if target is None:
        raise StaffError(text("lifecycle.cli.backup_no_dir"))
    return target


def _backup_error(run: Callable[[], T]) -> T:
    try:
        return run()
    except BackupError as exc:
        raise StaffError(str(exc)) from None


@backup_cli.command("create", help=text("cli.lifecycle.backup_create.help"))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=text("cli.lifecycle.backup_create.opt.out"),
)
def backup_create(out_dir: Path | None) -> None:
    """Back up the database and all files, with a sha256 manifest."""
    svc = _services()
    target = _backup_target(out_dir)
    result = _backup_error(lambda: backup.create_backup(svc.db, svc.files, target, svc.clock.now()))
    _say(
        "backup_done",
        path=result.path,
        tables=len(result.tables),
        rows=sum(result.tables.values()),
        files=result.files,
        size=_size(result.bytes),
        linked=result.linked,
    )
    if result.missing:
        _say(
            "backup_missing",
            count=len(result.missing),
            names="、".join(d[:12] for d in result.missing[:5]),
        )


@backup_cli.command("verify", help=text("cli.lifecycle.backup_verify.help"))
@click.argument("path", type=click.Path(path_type=Path))
def backup_verify(path: Path) -> None:
    """Check a backup: sha256 of each file, the manifest, the database file."""
    if not path.is_dir():
        raise StaffError(text("backup.problem.not_dir", path=path))
    check = backup.verify_backup(path)
    if check.ok:
        _say(
            "verify_ok",
            path=path,
            checked=check.checked,
            created=check.manifest.get("created_at", "?"),
        )
        return
    _say("verify_failed", path=path, count=len(check.problems))
    for problem in check.problems[:MAX_LISTED]:
        click.echo(f"  {problem}", err=True)
    raise click.exceptions.Exit(1)


@backup_cli.command("restore", help=text("cli.lifecycle.backup_restore.help"))
@click.argument("path", type=click.Path(path_type=Path))
def backup_restore(path: Path) -> None:
    """Restore a backup into an empty database and file store."""
    svc = _services()
    result = _backup_error(lambda: backup.restore_backup(path, svc.db, svc.files))
    _say(
        "restore_done",
        tables=len(result.tables),
        rows=sum(result.tables.values()),
        files=result.files,
    )
    for name, (expected, found) in sorted(result.mismatched.items()):
        _say("restore_mismatch", table=name, expected=expected, found=found)
    if result.mismatched:
        raise click.exceptions.Exit(1)


def register(app: Flask) -> None:
    app.cli.add_command(backup_cli)
