"""`portfolio codes issue`: one-time binding codes as a CSV and a printable sheet of slips."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from catalogue import text
from media import sheets
from runtime.services import services
from school import codes
from school import console_access as access
from storage import binding

codes_cli = AppGroup("codes", help="One-time binding codes for students, staff and guardians.")

ROLE_LABELS = {role: text(f"cli.codes.role.{role}") for role in ("student", "staff", "guardian")}


@codes_cli.command("issue")
@click.option(
    "--role",
    type=click.Choice(binding.ROLES),
    required=True,
    help="Who the codes are for; guardian codes are one per child (per known guardian).",
)
@click.option("--class", "class_code", help="Only this class, e.g. 101.")
@click.option("--grade", type=click.IntRange(1, 3), help="Only this grade.")
@click.option("--person", "person", help="Only this person: 學號 or 教職員編號.")
@click.option(
    "--days",
    type=click.IntRange(1, 365),
    default=binding.DEFAULT_VALID_DAYS,
    show_default=True,
    help="Days until the codes expire.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("codes"),
    show_default=True,
    help="Folder for the CSV and the slips.",
)
@click.option("--dry-run", is_flag=True, help="Show who would get a code; write nothing.")
def issue_codes(
    role: str,
    class_code: str | None,
    grade: int | None,
    person: str | None,
    days: int,
    out_dir: Path,
    dry_run: bool,
) -> None:
    """Issue codes; earlier unused codes of the same people stop working.

    Writes codes-<role>-<time>.csv and codes-<role>-<time>.pdf (A4 slips with cut lines: name,
    class and seat, the code, and the add-friend QR code when LINE_BASIC_ID is set). Keep both
    safe: a code binds a LINE account to that person.
    """
    svc = services()
    now = svc.clock.now()
    with svc.db.transaction() as session:
        try:
            students, staff = codes.choose_people(session, role, class_code=class_code,
                                                  grade=grade, person=person)
        except codes.CodesError as exc:
            if exc.key == "console.codes.error.staff_scope":
                raise click.UsageError(
                    "--class and --grade apply to students and guardians only") from None
            raise click.ClickException(str(exc)) from None
        count = len(students) + len(staff)
        if dry_run:
            click.echo(f"would issue {ROLE_LABELS[role]} codes for {count} people (dry run)")
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
            handle.write(codes.slips_pdf(slips, svc.settings.line_basic_id, title,
                                         svc.settings.cjk_font))
        access.audit(session, None, "註冊組", "codes_issue", now,
                     f"{ROLE_LABELS[role]} {len(slips)} (CLI)", after=len(slips))
    click.echo(f"issued {len(slips)} code(s), valid {days} days")
    click.echo(f"  {csv_path}")
    click.echo(f"  {pdf_path}  (print on A4 and cut along the lines)")


def register(app: Flask) -> None:
    app.cli.add_command(codes_cli)
