"""`portfolio submission`: the date the year's picks go to the central database (視國教署來文)."""

from __future__ import annotations

import getpass
from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup

from bot.cli_base import DATE, StaffError
from catalogue import text
from runtime.services import services
from school.dates import show_date
from school.submission import SubmissionError, set_submission_date, submission_date

submission_cli = AppGroup("submission", help=text("school_rules.cli.submission.help"))


def _operator() -> str:
    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):  # no login name in some containers
        return ""


@submission_cli.command("set", help=text("cli.submission.set.help"))
@click.option("--year", type=int, required=True, help=text("school_rules.cli.opt.year"))
@click.option("--date", "day", type=DATE, required=True, help=text("school_rules.cli.opt.date"))
@click.option("--grade12", is_flag=True, help=text("school_rules.cli.opt.grade12"))
@click.option("--dry-run", is_flag=True, help=text("school_rules.cli.opt.dry_run"))
def submission_set(year: int, day: date, grade12: bool, dry_run: bool) -> None:
    """Set the submission date the agency's letter gives (grade 12's own with --grade12)."""
    svc = services()
    now = svc.clock.now()
    with svc.db.transaction() as session:
        try:
            done = set_submission_date(
                session, svc.rules, year, day, now, grade12=grade12, by=_operator(), dry_run=dry_run
            )
        except SubmissionError as exc:
            values = {
                k: show_date(v) if hasattr(v, "isoformat") else v for k, v in exc.values.items()
            }
            raise StaffError(text(f"school_rules.submission.{exc.reason}", **values)) from None
    who = text("school_rules.submission.grade12" if grade12 else "school_rules.submission.all")
    click.echo(
        text(
            "school_rules.submission.set",
            year=year,
            who=who,
            date=show_date(done.day),
            previous=show_date(done.previous)
            if done.previous
            else text("school_rules.submission.unset"),
        )
    )
    if dry_run:
        click.echo(text("school_rules.cli.dry_run"))


@submission_cli.command("show", help=text("cli.submission.show.help"))
@click.option("--year", type=int, required=True, help=text("school_rules.cli.opt.year"))
def submission_show(year: int) -> None:
    """The submission dates set for a year."""
    svc = services()
    with svc.db.session() as session:
        for grade12 in (False, True):
            day = submission_date(session, svc.rules, year, grade12=grade12)
            who = text(
                "school_rules.submission.grade12" if grade12 else "school_rules.submission.all"
            )
            click.echo(
                text(
                    "school_rules.submission.line",
                    year=year,
                    who=who,
                    date=show_date(day) if day else text("school_rules.submission.unset"),
                )
            )


def register(app: Flask) -> None:
    app.cli.add_command(submission_cli)
