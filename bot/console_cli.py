"""`portfolio console link --staff T004`: a sign-in link for the console's first sign-in."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from bot.cli_base import StaffError
from catalogue import text
from runtime.services import services
from school import console_access as access
from storage.models.school import Staff

console_cli = AppGroup("console", help=text("cli.console.help"))


@console_cli.command("link", help=text("cli.console.link.help"))
@click.option("--staff", "staff_no", required=True, help=text("cli.console.link.opt.staff"))
def console_link(staff_no: str) -> None:
    svc = services()
    with svc.db.transaction() as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.staff_no == staff_no))
        if staff_id is None:
            raise StaffError(text("cli.console.link.no_staff", staff=staff_no))
        roles, _ = access.console_roles(session, staff_id)
        if not roles:
            raise StaffError(text("cli.console.link.no_role", staff=staff_no))
        url = access.issue_link(
            session, staff_id, svc.clock.now(), svc.settings.public_base_url, limited=False
        )
    click.echo(url)
    click.echo(text("cli.console.link.note"))


def register(app: Flask) -> None:
    app.cli.add_command(console_cli)
