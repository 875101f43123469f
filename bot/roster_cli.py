"""`portfolio import <kind> FILE [--dry-run]`: the registrar's roster import from school exports."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from catalogue import text
from school import roster, roster_runs
from school.import_plan import ImportResult

import_cli = AppGroup("import", help=text("cli.roster.help"))


def run_import(kind: str, file: Path, dry_run: bool) -> ImportResult:
    """Import one file in one transaction; a dry run is rolled back even though it wrote nothing."""
    # Imported here: runtime.services pulls in the LINE SDK (~2 s), which the import never needs.
    from runtime.services import services

    svc = services()
    if dry_run:
        with svc.db.session() as session:
            result = roster_runs.preview(session, kind, file, svc.clock.now())
            session.rollback()
        return result
    with svc.db.transaction() as session:
        return roster_runs.apply(session, kind, file, svc.clock.now(), None, f"{file.name} (CLI)")


def _import_command(kind: str) -> click.Command:
    spec = roster.KINDS[kind]

    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help=text("cli.roster.opt.dry_run"))
    def command(file: Path, dry_run: bool) -> None:
        result = run_import(kind, file, dry_run)
        if not result.ok:
            for line in result.error_lines():
                click.echo(line, err=True)
            raise click.exceptions.Exit(1)
        for line in result.summary_lines():
            click.echo(line)

    return import_cli.command(kind, help=spec.describe())(command)


for _kind in roster.KINDS:
    _import_command(_kind)


def register(app: Flask) -> None:
    app.cli.add_command(import_cli)
