"""Staff and operator commands on app.cli (`portfolio ...`, also `flask --app bot ...`)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from runtime.services import services
from storage import inbox as inbox_store
from storage import migrate
from storage import outbox as outbox_store
from storage.clock import format_datetime

db_cli = AppGroup("db", help="Database migrations.")
inbox_cli = AppGroup("inbox", help="The webhook inbox: dead letters and retries.")
outbox_cli = AppGroup("outbox", help="Outgoing messages: dead letters and quota used.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest migration (safe to run on every release)."""
    migrate.upgrade(services().settings.database_url)
    click.echo("database is up to date")


@inbox_cli.command("dead")
def inbox_dead() -> None:
    """List events that kept failing, with their last error."""
    svc = services()
    with svc.db.session() as session:
        rows = inbox_store.dead_letters(session)
        if not rows:
            click.echo("no dead-lettered events")
            return
        for row in rows:
            click.echo(
                f"#{row.id}\t{row.event_type}\t{format_datetime(row.occurred_at)}\t"
                f"tries={row.attempts}\t{(row.last_error or '')[:160]}"
            )


@inbox_cli.command("retry")
@click.argument("event_ids", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Retry every dead-lettered event.")
def inbox_retry(event_ids: tuple[int, ...], retry_all: bool) -> None:
    """Send dead-lettered events back to the workers."""
    if not event_ids and not retry_all:
        raise click.UsageError("name event ids, or use --all")
    svc = services()
    with svc.db.transaction() as session:
        revived = inbox_store.retry_dead(session, list(event_ids), svc.clock.now())
    for event_id in revived:
        svc.queue.enqueue("jobs.inbox.process_event", event_id, queue="events")
    click.echo(f"{len(revived)} event(s) sent back to the workers")


@outbox_cli.command("dead")
def outbox_dead() -> None:
    """List messages LINE refused, with LINE's error."""
    svc = services()
    with svc.db.session() as session:
        rows = outbox_store.dead(session)
        if not rows:
            click.echo("no dead-lettered messages")
        for row in rows:
            click.echo(f"#{row.id}\t{row.purpose}\t{row.kind}\t{(row.error or '')[:200]}")


richmenu_cli = AppGroup("richmenu", help="The rich menus shown to each role.")


@richmenu_cli.command("sync")
@click.option(
    "--font",
    "font_path",
    type=click.Path(exists=True, dir_okay=False),
    help="A CJK font file for the menu images (default: found on the machine).",
)
def richmenu_sync(font_path: str | None) -> None:
    """Create or update one rich menu per role (idempotent: safe to run on every release)."""
    from bot import richmenu

    svc = services()
    try:
        result = richmenu.sync_rich_menus(
            svc.line.api, svc.line.blob, font_path or svc.settings.cjk_font
        )
    except richmenu.FontNotFound as exc:
        raise click.ClickException(str(exc)) from None
    for role, menu_id in result.items():
        click.echo(f"{role}\t{menu_id}")


@richmenu_cli.command("relink")
@click.option("--dry-run", is_flag=True, help="Count who would be moved; change nothing.")
def richmenu_relink(dry_run: bool) -> None:
    """Link every bound person to their role's menu (after a roster import changed roles)."""
    from sqlalchemy import select

    from storage.identity import identify
    from storage.models.line import LineAccount
    from storage.outbox import Outbox

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
        from jobs import delivery

        delivery.deliver_ids(svc, ids)
    summary = ", ".join(f"{role} {n}" for role, n in sorted(counts.items())) or "nobody bound"
    click.echo(("would link: " if dry_run else "linked: ") + summary)


@click.command("sweep")
def sweep_command() -> None:
    """Re-enqueue stale inbox events and deliver due messages now."""
    from jobs.inbox import sweep

    result = sweep()
    click.echo(
        f"requeued {result['requeued']} event(s), delivered {result['delivered']} message(s)"
    )


# Modules that add their own commands through a register(app) function.
COMMAND_MODULES = (
    "bot.roster_cli",
    "bot.codes_cli",
    "bot.certify_cli",
    "bot.schedule_cli",
    "bot.export_cli",
    "bot.records_cli",
    "bot.lifecycle_cli",
    "bot.console_cli",
    "bot.school_rules_cli",
)


def init_app(app: Flask) -> None:
    import importlib

    for group in (db_cli, inbox_cli, outbox_cli, richmenu_cli):
        app.cli.add_command(group)
    app.cli.add_command(sweep_command)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
