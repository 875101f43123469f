"""`portfolio codes issue`: one-time binding codes as a CSV and a printable sheet of slips."""

from __future__ import annotations

import html
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from bot.services import services
from storage import binding, sheets
from storage.clock import format_date
from storage.models.school import SchoolClass, Staff, Student
from catalogue import text

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

    Writes codes-<role>-<time>.csv and a printable .html sheet (one slip per person with
    name, class and code). Keep both safe: a code binds a LINE account to that person.
    """
    svc = services()
    now = svc.clock.now()
    with svc.db.transaction() as session:
        students: list[Student] = []
        staff: list[Staff] = []
        if role == "staff":
            query = select(Staff).order_by(Staff.staff_no)
            if person:
                query = query.where(Staff.staff_no == person)
            if class_code or grade:
                raise click.UsageError("--class and --grade apply to students and guardians only")
            staff = list(session.scalars(query))
        else:
            query = select(Student).join(
                SchoolClass, Student.class_id == SchoolClass.id, isouter=True
            )
            query = query.where(Student.sealed_at.is_(None)).order_by(
                SchoolClass.code, Student.seat_no
            )
            if class_code:
                if (
                    session.scalars(
                        select(SchoolClass).where(SchoolClass.code == class_code)
                    ).first()
                    is None
                ):
                    raise click.ClickException(text("cli.codes.unknown_class", code=class_code))
                query = query.where(SchoolClass.code == class_code)
            if grade:
                query = query.where(Student.grade == grade)
            if person:
                query = query.where(Student.student_no == person)
            students = list(session.scalars(query))
        count = len(students) + len(staff)
        if count == 0:
            raise click.ClickException(text("cli.codes.nobody"))
        if dry_run:
            click.echo(f"would issue {ROLE_LABELS[role]} codes for {count} people (dry run)")
            session.rollback()
            return
        issued = binding.issue(session, role, now, students=students, staff=staff, valid_days=days)

        out_dir.mkdir(parents=True, exist_ok=True)
        stamp = now.strftime("%Y%m%d-%H%M%S")
        csv_path = out_dir / f"codes-{role}-{stamp}.csv"
        html_path = out_dir / f"codes-{role}-{stamp}.html"
        rows = [_row(code) for code in issued]
        # 0600 like every export: the sheet holds names and working codes.
        with sheets.open_private(csv_path, "w", newline="", encoding="utf-8-sig") as handle:
            writer = sheets.csv_writer(handle)
            writer.writerow(CSV_HEADERS)
            for row in rows:
                writer.writerow(
                    [
                        ROLE_LABELS[role],
                        row["number"],
                        row["name"],
                        row["class"],
                        row["seat"],
                        row["guardian"],
                        row["code"],
                        row["expires"],
                    ]
                )
        with sheets.open_private(html_path, "w", encoding="utf-8") as page:
            page.write(_slips(role, rows))
    click.echo(f"issued {len(issued)} code(s), valid {days} days")
    click.echo(f"  {csv_path}")
    click.echo(f"  {html_path}  (print and cut along the lines)")


CSV_HEADERS = [
    text(f"cli.codes.csv.{column}")
    for column in ("role", "number", "name", "class", "seat", "guardian", "code", "expires")
]


def _row(code: binding.IssuedCode) -> dict[str, str]:
    student = code.student
    return {
        "number": student.student_no if student else (code.staff.staff_no if code.staff else ""),
        "name": student.name if student else (code.staff.name if code.staff else ""),
        "class": student.school_class.code if student and student.school_class else "",
        "seat": str(student.seat_no or "") if student else "",
        "guardian": (code.guardian.name if code.guardian else "")
        if code.role == "guardian"
        else "",
        "code": code.code,
        "expires": format_date(code.expires_at),
    }


def _slips(role: str, rows: list[dict[str, str]]) -> str:
    label = ROLE_LABELS[role]
    slips = []
    for row in rows:
        who = html.escape(row["name"])
        if role == "guardian":
            who = text("cli.codes.slip.guardian",
                       guardian=html.escape(row["guardian"] or text("cli.codes.role.guardian")),
                       child=who)
        where = (
            text("cli.codes.slip.where", cls=html.escape(row["class"]),
                 seat=html.escape(row["seat"])) if row["class"] else ""
        )
        how = text("cli.codes.slip.how", role=label, expires=html.escape(row["expires"]))
        slips.append(
            f'<div class="slip"><div class="who">{who}</div><div class="where">{where}</div>'
            f'<div class="code">{html.escape(row["code"])}</div>'
            f'<div class="how">{how}</div></div>'
        )
    return (
        '<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8">'
        f"<title>{text('cli.codes.slip.title', role=label)}</title><style>"
        "body{font-family:'Noto Sans TC','Microsoft JhengHei',sans-serif;margin:10mm}"
        ".slip{display:inline-block;width:85mm;height:50mm;border:1px dashed #888;margin:2mm;"
        "padding:4mm;box-sizing:border-box;vertical-align:top;page-break-inside:avoid}"
        ".who{font-size:16pt;font-weight:bold}.where{font-size:11pt;color:#333}"
        ".code{font-family:monospace;font-size:24pt;letter-spacing:2px;margin:3mm 0}"
        ".how{font-size:8.5pt;color:#333}</style></head><body>" + "".join(slips) + "</body></html>"
    )


def register(app: Flask) -> None:
    app.cli.add_command(codes_cli)
