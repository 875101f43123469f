"""`portfolio console link --staff T004`: a sign-in link for the console's first sign-in."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from runtime.services import services
from school import console_access as access
from storage.models.school import Staff

console_cli = AppGroup("console", help="The web console (後台).")


@console_cli.command("link")
@click.option("--staff", "staff_no", required=True, help="The staff member's number, e.g. T004.")
def console_link(staff_no: str) -> None:
    """Print a single-use sign-in link (valid 10 minutes) for one staff member.

    For the first sign-in during set-up; afterwards staff ask for links in LINE (後台).
    """
    svc = services()
    with svc.db.transaction() as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.staff_no == staff_no))
        if staff_id is None:
            raise click.ClickException(f"no staff member {staff_no} in the roster")
        roles, _ = access.console_roles(session, staff_id)
        if not roles:
            raise click.ClickException(
                f"{staff_no} holds no role that opens the console (see the staff roster)")
        url = access.issue_link(session, staff_id, svc.clock.now(),
                                svc.settings.public_base_url, limited=False)
    click.echo(url)
    click.echo("single use, valid 10 minutes; open it on the staff member's own device")


def register(app: Flask) -> None:
    app.cli.add_command(console_cli)
