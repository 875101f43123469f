"""Staff and operator commands (`portfolio ...`, also `flask --app bot ...`)."""

from __future__ import annotations

import importlib
import re
from types import SimpleNamespace

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from bot.cli_base import StaffError
from bot.richmenu_drawing import FontNotFound
from bot.richmenu_sync import sync_rich_menus
from catalogue import text
from jobs import delivery
from jobs.inbox import sweep
from runtime.services import services
from storage import inbox as inbox_store
from storage import migrate
from storage import outbox as outbox_store
from storage.clock import format_datetime
from storage.identity import identify
from storage.models.line import LineAccount
from storage.outbox import Outbox

db_cli = AppGroup("db", help=text("cli.db.help"))
inbox_cli = AppGroup("inbox", help=text("cli.inbox.help"))
outbox_cli = AppGroup("outbox", help=text("cli.outbox.help"))
richmenu_cli = AppGroup("richmenu", help=text("cli.richmenu.help"))


@db_cli.command("upgrade", help=text("cli.db.upgrade.help"))
def db_upgrade() -> None:
    migrate.upgrade(services().settings.database_url)
    click.echo(text("cli.db.upgrade.done"))


@inbox_cli.command("dead", help=text("cli.inbox.dead.help"))
def inbox_dead() -> None:
    svc = services()
    with svc.db.session() as session:
        rows = inbox_store.dead_letters(session)
        if not rows:
            click.echo(text("cli.inbox.dead.none"))
            return
        for row in rows:
            click.echo(
                text(
                    "cli.inbox.dead.line",
                    id=row.id,
                    type=row.event_type,
                    at=format_datetime(row.occurred_at),
                    tries=row.attempts,
                    error=(row.last_error or "")[:160],
                )
            )


@inbox_cli.command("retry", help=text("cli.inbox.retry.help"))
@click.argument("event_ids", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help=text("cli.inbox.retry.opt.all"))
def inbox_retry(event_ids: tuple[int, ...], retry_all: bool) -> None:
    if not event_ids and not retry_all:
        raise StaffError(text("cli.inbox.retry.nothing"))
    svc = services()
    with svc.db.transaction() as session:
        revived = inbox_store.retry_dead(session, list(event_ids), svc.clock.now())
    for event_id in revived:
        svc.queue.enqueue("jobs.inbox.process_event", event_id, queue="events")
    click.echo(text("cli.inbox.retry.done", count=len(revived)))


@outbox_cli.command("dead", help=text("cli.outbox.dead.help"))
def outbox_dead() -> None:
    svc = services()
    with svc.db.session() as session:
        rows = outbox_store.dead(session)
        if not rows:
            click.echo(text("cli.outbox.dead.none"))
        for row in rows:
            click.echo(
                text(
                    "cli.outbox.dead.line",
                    id=row.id,
                    purpose=row.purpose,
                    kind=row.kind,
                    error=(row.error or "")[:200],
                )
            )


@richmenu_cli.command("sync", help=text("cli.richmenu.sync.help"))
@click.option(
    "--font",
    "font_path",
    type=click.Path(exists=True, dir_okay=False),
    help=text("cli.richmenu.sync.opt.font"),
)
def richmenu_sync(font_path: str | None) -> None:
    """Create or update one rich menu per role (idempotent: safe to run on every release)."""
    svc = services()
    try:
        result = sync_rich_menus(svc.line.api, svc.line.blob, font_path or svc.settings.cjk_font)
    except FontNotFound:
        raise StaffError(text("cli.richmenu.sync.font_problem", path=font_path or "")) from None
    for role, menu_id in result.items():
        click.echo(f"{text(f'cli.richmenu.role.{role}')}\t{menu_id}")


@richmenu_cli.command("relink", help=text("cli.richmenu.relink.help"))
@click.option("--dry-run", is_flag=True, help=text("cli.richmenu.relink.opt.dry_run"))
def richmenu_relink(dry_run: bool) -> None:
    """Link every bound person to their role's menu (after a roster import changed roles)."""
    svc = services()
    now = svc.clock.now()
    counts: dict[str, int] = {}
    with svc.db.transaction() as session:
        outbox = Outbox(session, now)
        for account in session.scalars(select(LineAccount).where(LineAccount.followed.is_(True))):
            ident = identify(session, account)
            if ident is None or not ident.bound:
                continue
            counts[ident.menu] = counts.get(ident.menu, 0) + 1
            if not dry_run:
                outbox.link_menu(account.line_user_id, ident.menu)
        ids = list(outbox.created or [])
        if dry_run:
            session.rollback()
    if not dry_run:
        delivery.deliver_ids(svc, ids)
    summary = "、".join(
        text("cli.richmenu.relink.count", role=text(f"cli.richmenu.role.{role}"), count=n)
        for role, n in sorted(counts.items())
    ) or text("cli.richmenu.relink.nobody")
    key = "cli.richmenu.relink.would" if dry_run else "cli.richmenu.relink.done"
    click.echo(text(key, summary=summary))


@click.command("sweep", help=text("cli.sweep.help"))
def sweep_command() -> None:
    result = sweep()
    click.echo(text("cli.sweep.done", requeued=result["requeued"], delivered=result["delivered"]))


# Modules that add their own commands through a register(app) function.
COMMAND_MODULES = (
    "bot.roster_cli",
    "bot.codes_cli",
    "bot.certify_cli",
    "bot.schedule_cli",
    "bot.export_cli",
    "bot.records_cli",
    "bot.lifecycle_cli",
    "bot.retention_cli",
    "bot.management_cli",
    "bot.backup_cli",
    "bot.console_cli",
    "bot.school_rules_cli",
)


def add_commands(group: click.Group) -> None:
    """Every staff and operator command, on the app's CLI or on the `portfolio` script."""
    for command in (db_cli, inbox_cli, outbox_cli, richmenu_cli, sweep_command):
        group.add_command(command)
    # The modules' register() functions only reach for app.cli.
    holder = SimpleNamespace(cli=group)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(holder)
    short_helps(group)


def short_helps(group: click.Group) -> None:
    """Give every command a one-line summary for the listing: click cuts at spaces, and a
    Chinese sentence has none, so its own summary would be "..."."""
    for command in group.commands.values():
        if command.short_help is None and command.help:
            first = command.help.strip().split("\n\n")[0].replace("\n", "")
            command.short_help = re.split(r"(?<=。)", first, maxsplit=1)[0]
        if isinstance(command, click.Group):
            short_helps(command)


def init_app(app: Flask) -> None:
    add_commands(app.cli)
