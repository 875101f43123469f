"""`portfolio codes issue`: one-time binding codes as a CSV and a printable sheet of slips."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from bot.cli_base import StaffError
from catalogue import text
from media import sheets
from runtime.services import services
from school import codes
from school import console_access as access
from storage import binding

codes_cli = AppGroup("codes", help=text("cli.codes.help"))

ROLE_LABELS = {role: text(f"cli.codes.role.{role}") for role in ("student", "staff", "guardian")}


@codes_cli.command("issue", help=text("cli.codes.issue.help"))
@click.option(
    "--role",
    type=click.Choice(binding.ROLES),
    required=True,
    help=text("cli.codes.opt.role"),
)
@click.option("--class", "class_code", help=text("cli.codes.opt.class"))
@click.option("--grade", type=click.IntRange(1, 3), help=text("cli.codes.opt.grade"))
@click.option("--person", "person", help=text("cli.codes.opt.person"))
@click.option(
    "--days",
    type=click.IntRange(1, 365),
    default=binding.DEFAULT_VALID_DAYS,
    show_default=True,
    help=text("cli.codes.opt.days"),
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("codes"),
    show_default=True,
    help=text("cli.codes.opt.out"),
)
@click.option("--dry-run", is_flag=True, help=text("cli.codes.opt.dry_run"))
def issue_codes(
    role: str,
    class_code: str | None,
    grade: int | None,
    person: str | None,
    days: int,
    out_dir: Path,
    dry_run: bool,
) -> None:
    svc = services()
    now = svc.clock.now()
    with svc.db.transaction() as session:
        try:
            students, staff = codes.choose_people(
                session, role, class_code=class_code, grade=grade, person=person
            )
        except codes.CodesError as exc:
            if exc.key == "console.codes.error.staff_scope":
                raise StaffError(text("cli.codes.staff_by_class")) from None
            raise StaffError(str(exc)) from None
        count = len(students) + len(staff)
        if count == 0:
            raise StaffError(text("cli.codes.nobody"))
        if dry_run:
            click.echo(text("cli.codes.would_issue", role=ROLE_LABELS[role], count=count))
            session.rollback()
            return
        slips = codes.issue_codes(session, role, now, students, staff, days)
        out_dir.mkdir(parents=True, exist_ok=True)
        stamp = now.strftime("%Y%m%d-%H%M%S")
        csv_path = out_dir / f"codes-{role}-{stamp}.csv"
        pdf_path = out_dir / f"codes-{role}-{stamp}.pdf"
        title = text("cli.codes.slip.title", role=ROLE_LABELS[role])
        # 0600 like every export: both hold names and working codes.
        with sheets.open_private(csv_path, "w", newline="", encoding="utf-8-sig") as handle:
            handle.write(codes.slips_csv(slips))
        with sheets.open_private(pdf_path, "wb") as handle:
            handle.write(
                codes.slips_pdf(slips, svc.settings.line_basic_id, title, svc.settings.cjk_font)
            )
        access.audit(
            session,
            None,
            "註冊組",
            "codes_issue",
            now,
            f"{ROLE_LABELS[role]} {len(slips)} (CLI)",
            after=len(slips),
        )
    click.echo(text("cli.codes.issued", count=len(slips), days=days))
    click.echo(text("cli.codes.csv_path", path=csv_path))
    click.echo(text("cli.codes.pdf_path", path=pdf_path))


def register(app: Flask) -> None:
    app.cli.add_command(codes_cli)
