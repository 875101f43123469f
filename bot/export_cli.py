"""Staff commands for the yearly submission: export the picks; import and report 收訖明細."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from bot.cli_base import StaffError
from catalogue import text
from jobs.queue import DELIVERY
from rules.model import COURSE_OUTCOME, LAST_GRADE, PERFORMANCE
from rules.school_rules import SchoolRules
from runtime.services import services
from school import export, export_rows, picking, receipts, yearend
from storage.clock import format_date, format_datetime

export_cli = AppGroup("export", help=text("cli.export.help"))
receipts_cli = AppGroup("receipts", help=text("cli.receipts.help"))


def _echo_lines(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


def _export(
    kind: str, year: int, out: Path, only_confirmed: bool, force: bool, grade12: bool = False
) -> None:
    svc = services()
    now = svc.clock.now()
    window = picking.picking_window(svc.rules, year, LAST_GRADE if grade12 else None)
    # Where grade 12 picks (and is submitted) on its own, the yearly export leaves it out.
    own = window is not None and window.grade12
    split = True if grade12 else (False if _grade12_picks_alone(svc.rules, year) else None)
    if grade12 and not own:
        raise StaffError(text("school_rules.export.no_grade12", year=year))
    if window is None:
        raise StaffError(text("picking.export.no_window", year=year))
    if picking.phase_of(window, now) != "closed" and not force:
        raise StaffError(
            text("picking.export.window_open", year=year, end=format_date(window.last_day))
        )
    write = export.export_course_outcomes if kind == COURSE_OUTCOME else export.export_performances
    try:
        with svc.db.transaction() as session:
            result = write(
                session, svc.files, year, out, now, only_confirmed=only_confirmed, grade12=split
            )
    except export.NothingToExport:
        click.echo(text("picking.export.nothing", year=year, kind=text(f"picking.kind.{kind}")))
        return
    except export.ExportRefused as refused:
        _echo_problems(refused)
        raise click.exceptions.Exit(1) from None
    _echo_lines(
        [
            text(
                "picking.export.done",
                path=result.path,
                students=result.students,
                items=result.items,
                files=result.files,
                sha256=result.sha256,
            )
        ]
    )
    if result.unconfirmed:
        key = (
            "picking.export.unconfirmed_skipped"
            if only_confirmed
            else "picking.export.unconfirmed_included"
        )
        click.echo(text(key, count=len(result.unconfirmed)))
        for s in result.unconfirmed:
            click.echo(
                text(
                    "picking.export.unconfirmed_line",
                    class_seat=s.class_seat,
                    name=s.name,
                    student_no=s.student_no,
                )
            )


def _problem_text(problem: export_rows.Problem) -> str:
    return yearend.problem_text(problem)


def _echo_problems(refused: export.ExportRefused) -> None:
    grouped = refused.by_student()
    click.echo(
        text("picking.export.refused", students=len(grouped), count=len(refused.problems)), err=True
    )
    for (class_seat, student_no, name), problems in grouped.items():
        click.echo(
            text("picking.export.student", class_seat=class_seat, name=name, student_no=student_no),
            err=True,
        )
        for p in problems:
            click.echo(text("picking.export.problem_line", problem=_problem_text(p)), err=True)


def _export_options(func: click.decorators.FC) -> click.decorators.FC:
    func = click.option("--force", is_flag=True, help=text("cli.export.opt.force"))(func)
    func = click.option(
        "--only-confirmed",
        is_flag=True,
        help=text("cli.export.opt.only_confirmed"),
    )(func)
    func = click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help=text("cli.export.opt.out"),
    )(func)
    return click.option("--year", type=int, required=True, help=text("cli.export.opt.year"))(func)


def _grade12_picks_alone(rules: SchoolRules, year: int) -> bool:
    window = picking.picking_window(rules, year, LAST_GRADE)
    return window is not None and window.grade12


@export_cli.command("course-outcomes", help=text("cli.export.course_outcomes.help"))
@_export_options
@click.option("--grade12", is_flag=True, help=text("cli.export.opt.grade12"))
def export_course_outcomes(
    year: int, out: Path, only_confirmed: bool, force: bool, grade12: bool
) -> None:
    _export(COURSE_OUTCOME, year, out, only_confirmed, force, grade12)


@export_cli.command("diverse", help=text("cli.export.diverse.help"))
@_export_options
@click.option("--grade12", is_flag=True, help=text("cli.export.opt.grade12"))
def export_diverse(year: int, out: Path, only_confirmed: bool, force: bool, grade12: bool) -> None:
    _export(PERFORMANCE, year, out, only_confirmed, force, grade12)


@receipts_cli.command("import", help=text("cli.receipts.import.help"))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=int, help=text("cli.receipts.opt.year"))
@click.option("--dry-run", is_flag=True, help=text("cli.receipts.opt.dry_run"))
def receipts_import(file: Path, year: int | None, dry_run: bool) -> None:
    svc = services()
    now = svc.clock.now()
    with svc.db.transaction() as session:
        try:
            result = yearend.import_receipts(session, svc.rules, file, year, now, dry_run=dry_run)
        except receipts.ReceiptFileError as exc:
            raise StaffError(text("picking.receipt.file_error") + "；".join(exc.lines)) from None
        plan = result.plan
        if plan.errors:
            for line in result.error_lines:
                click.echo(line, err=True)
            click.echo(text("picking.receipt.refused", count=len(plan.errors)), err=True)
            raise click.exceptions.Exit(1)
        assert plan.academic_year is not None and result.until is not None
        if dry_run:
            click.echo(
                text(
                    "picking.receipt.dry_run",
                    items=len(plan.rows),
                    students=len(plan.students),
                    year=plan.academic_year,
                    until=format_datetime(result.until),
                )
            )
            return
        click.echo(
            text(
                "picking.receipt.imported",
                items=len(plan.rows),
                students=len(plan.students),
                year=plan.academic_year,
                until=format_datetime(result.until),
                notified=result.notified,
            )
        )
        if result.unreached:
            click.echo(text("picking.receipt.no_line", count=len(result.unreached)))
            for s in result.unreached:
                click.echo(
                    text(
                        "picking.receipt.student_line",
                        class_seat=s.class_seat,
                        name=s.name,
                        student_no=s.student_no,
                    )
                )
    if result.outbox_ids:
        svc.queue.enqueue("jobs.delivery.deliver", result.outbox_ids, queue=DELIVERY)


@receipts_cli.command("report", help=text("cli.receipts.report.help"))
@click.option("--year", type=int, required=True, help=text("cli.export.opt.year"))
def receipts_report(year: int) -> None:
    svc = services()
    with svc.db.session() as session:
        found = receipts.report(session, year)
    if not found.lists:
        click.echo(text("picking.receipt.report.none", year=year))
        return
    until = format_datetime(found.respond_until) if found.respond_until else ""
    click.echo(
        text(
            "picking.receipt.report.head",
            year=year,
            items=found.items,
            answered=found.answered,
            until=until,
        )
    )
    if found.wrong:
        click.echo(text("picking.receipt.report.wrong_head", count=len(found.wrong)))
        for line in found.wrong:
            click.echo(
                text(
                    "picking.receipt.report.wrong_line",
                    class_seat=line.class_seat,
                    name=line.name,
                    student_no=line.student_no,
                    ref=line.ref,
                    note=line.note or text("picking.receipt.report.no_note"),
                )
            )
    else:
        click.echo(text("picking.receipt.report.no_wrong"))
    if found.unanswered:
        click.echo(text("picking.receipt.report.unanswered_head", count=len(found.unanswered)))
        for class_seat, student_no, name, refs in found.unanswered:
            click.echo(
                text(
                    "picking.receipt.report.unanswered_line",
                    class_seat=class_seat,
                    name=name,
                    student_no=student_no,
                    refs="、".join(refs),
                )
            )
    else:
        click.echo(text("picking.receipt.report.all_answered"))


def register(app: Flask) -> None:
    app.cli.add_command(export_cli)
    app.cli.add_command(receipts_cli)
