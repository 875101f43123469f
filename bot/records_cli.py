"""Staff commands for the school's own records: cadre and attendance imports, which classes each
consultation teacher advises, and the yearly export of consultation records."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from bot.cli_base import StaffError, one_line_failure
from bot.export_cli import export_cli
from bot.roster_cli import import_cli
from catalogue import text
from runtime.services import services
from school import consultants, consultation_export, records, records_import
from school.import_plan import ImportResult
from school.recipients import to_roster_grade
from school.records import RecordError
from storage.models.school import SchoolClass, Staff

consultants_cli = AppGroup(
    "consultants",
    help=text("cli.records.consultants.help"),
)


# --- imports ----------------------------------------------------------------------------------


def run_import(kind: str, file: Path, dry_run: bool) -> ImportResult:
    """Import one file in one transaction; a dry run is rolled back even though it wrote nothing."""
    svc = services()
    if dry_run:
        with svc.db.session() as session:
            result = records_import.preview(session, kind, file, svc.clock.now())
            session.rollback()
        return result
    with svc.db.transaction() as session:
        return records_import.apply(
            session, kind, file, svc.clock.now(), None, f"{file.name} (CLI)"
        )


def _import_command(kind: str) -> None:
    spec = records_import.KINDS[kind]

    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help=text("cli.roster.opt.dry_run"))
    def command(file: Path, dry_run: bool) -> None:
        result = run_import(kind, file, dry_run)
        if not result.ok:
            single = one_line_failure(result.error_lines())
            if single is not None:
                raise single
            for line in result.error_lines():
                click.echo(line, err=True)
            raise click.exceptions.Exit(1)
        for line in result.summary_lines():
            click.echo(line)

    import_cli.command(kind, help=spec.describe())(command)


# --- consultants ------------------------------------------------------------------------------


def _target(
    session: Session, class_code: str | None, grade: int | None
) -> tuple[SchoolClass | None, int | None]:
    if (class_code is None) == (grade is None):
        raise StaffError(text("records.cli.class_or_grade"))
    if class_code is not None:
        found = records.class_by_code(session, class_code)
        if found is None:
            raise StaffError(text("records.cli.unknown_class", code=class_code))
        return found, None
    assert grade is not None
    roster_grade = to_roster_grade(grade)
    if roster_grade not in (1, 2, 3):
        raise StaffError(text("records.cli.bad_grade", grade=grade))
    return None, roster_grade


def _staff(session: Session, staff_no: str) -> Staff:
    found = records.staff_by_no(session, staff_no)
    if found is None:
        raise StaffError(text("records.cli.unknown_staff", no=staff_no))
    return found


def _what(school_class: SchoolClass | None, grade: int | None) -> str:
    if school_class is not None:
        return text("records.cli.class_label", code=school_class.code)
    return text("records.cli.grade_label", grade=grade)


@consultants_cli.command("assign", help=text("cli.records.assign.help"))
@click.argument("staff_no")
@click.option("--class", "class_code", help=text("cli.records.opt.class"))
@click.option("--grade", type=int, help=text("cli.records.opt.grade_all"))
@click.option("--dry-run", is_flag=True, help=text("cli.records.opt.dry_run"))
def consultants_assign(
    staff_no: str, class_code: str | None, grade: int | None, dry_run: bool
) -> None:
    """Let the consultation teacher STAFF_NO advise a class or a whole grade."""
    svc = services()
    with svc.db.transaction() as session:
        staff = _staff(session, staff_no)
        school_class, roster_grade = _target(session, class_code, grade)
        try:
            result = consultants.assign_consultant(
                session,
                staff,
                svc.clock.now(),
                school_class=school_class,
                grade=roster_grade,
                dry_run=dry_run,
            )
        except RecordError as exc:
            raise StaffError(text(f"records.cli.{exc.reason}", **exc.values)) from None
        what = _what(school_class, roster_grade)
        if not result.created:
            key = "records.cli.already"
        else:
            key = "records.cli.would_assign" if dry_run else "records.cli.assigned"
        click.echo(text(key, name=staff.name, no=staff.staff_no, what=what))
        if dry_run:
            session.rollback()


@consultants_cli.command("unassign", help=text("cli.records.unassign.help"))
@click.argument("staff_no")
@click.option("--class", "class_code", help=text("cli.records.opt.class"))
@click.option("--grade", type=int, help=text("cli.records.opt.grade"))
@click.option("--dry-run", is_flag=True, help=text("cli.records.opt.dry_run"))
def consultants_unassign(
    staff_no: str, class_code: str | None, grade: int | None, dry_run: bool
) -> None:
    """Stop STAFF_NO advising a class or grade (their earlier records stay)."""
    svc = services()
    with svc.db.transaction() as session:
        staff = _staff(session, staff_no)
        school_class, roster_grade = _target(session, class_code, grade)
        removed = consultants.unassign_consultant(
            session, staff, school_class=school_class, grade=roster_grade, dry_run=dry_run
        )
        key = "records.cli.would_unassign" if dry_run else "records.cli.unassigned"
        click.echo(
            text(
                key,
                name=staff.name,
                no=staff.staff_no,
                what=_what(school_class, roster_grade),
                n=removed,
            )
        )


@consultants_cli.command("list", help=text("cli.records.list.help"))
def consultants_list() -> None:
    """Every consultation teacher and the classes they advise."""
    svc = services()
    with svc.db.session() as session:
        rows = consultants.assignments(session)
        if not rows:
            click.echo(text("records.cli.none_assigned"))
            return
        by_staff: dict[int, list[str]] = {}
        people: dict[int, Staff] = {}
        for row in rows:
            people[row.staff_id] = row.staff
            by_staff.setdefault(row.staff_id, []).append(_what(row.school_class, row.grade))
        for staff_id, what in by_staff.items():
            staff = people[staff_id]
            classes = "、".join(c.code for c in consultants.advised_classes(session, staff_id))
            click.echo(
                f"{staff.staff_no}\t{staff.name}\t{'、'.join(what)}\t"
                + text("records.cli.classes", classes=classes or "—")
            )


# --- the export -------------------------------------------------------------------------------


@export_cli.command("consultations", help=text("cli.records.export.help"))
@click.option("--year", type=int, required=True, help=text("cli.records.export.opt.year"))
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help=text("cli.records.export.opt.out"),
)
def export_consultations(year: int, out: Path | None) -> None:
    """Write every course-consultation record of the year to an .xlsx (kept at school)."""
    svc = services()
    target = out or Path(f"consultations_{year}.xlsx")
    with svc.db.session() as session:
        result = consultation_export.export_consultations(session, year, target)
    if result.records == 0:
        click.echo(text("records.cli.export_empty", year=year, path=result.path))
        return
    click.echo(
        text(
            "records.cli.exported", year=year, path=result.path, n=result.records, rows=result.rows
        )
    )


for _kind in records_import.KINDS:
    _import_command(_kind)


def register(app: Flask) -> None:
    # `import` and `export` are registered by their own modules; ours join those groups.
    app.cli.add_command(consultants_cli)
