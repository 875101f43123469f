"""`portfolio management show`: rule 七, who runs the platform today."""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

from bot.cli_base import StaffError
from bot.lifecycle_cli import _say, _services
from catalogue import text
from school import management
from storage.clock import format_date

management_cli = AppGroup("management", help=text("cli.lifecycle.management.help"))


@management_cli.command("show", help=text("cli.lifecycle.management_show.help"))
def management_show() -> None:
    """The platform management proxy order and today's contact."""
    svc = _services()
    now = svc.clock.now()
    with svc.db.session() as session:
        chain = management.management_chain(session, now)
        if not chain:
            raise StaffError(text("lifecycle.cli.management_none"))
        _say("management_header", day=format_date(now))
        for n, link in enumerate(chain, start=1):
            if link.available:
                state = text("lifecycle.cli.management_here")
            elif link.away_until is not None:
                state = text(
                    "lifecycle.cli.management_away_until", day=format_date(link.away_until)
                )
            else:
                state = text("lifecycle.cli.management_away")
            _say("management_line", n=n, role=link.role, name=link.staff.name, state=state)
        contact = management.management_contact(session, now)
        if contact is not None:
            _say("management_contact", name=contact.name)


def register(app: Flask) -> None:
    app.cli.add_command(management_cli)
