"""Staff commands for the yearly submission: export the picks; import and report 收訖明細."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from catalogue import text
from jobs.queue import DELIVERY
from rules.model import COURSE_OUTCOME, PERFORMANCE
from runtime.services import services
from school import export, receipts
from storage.clock import format_datetime

export_cli = AppGroup("export", help="Write the zips of picked items for the central database.")
receipts_cli = AppGroup("receipts", help="The central database's receipt list (收訖明細).")

RECEIPT_FORMAT_HELP = """Import the central database's receipt list (收訖明細) from FILE.

\b
FILE is a CSV (UTF-8, Big5/CP950 or UTF-16) or an .xlsx (first sheet); the first row names
the columns, in any order:
  身分證號 or 學號   the student (either one; if both are given they must agree)
  項目類型           課程學習成果 or 多元表現 (a record type such as 競賽參與紀錄 also works)
  項目編號           the 校內編號 the export wrote (C12, P7); an exported file name such as
                     115001_C12_doc.pdf, or the bare number with 項目類型, also works
  說明               optional: what the central database says about the item; students see it

\b
Example:
  學號,項目類型,項目編號,說明
  115001,課程學習成果,C12,已收訖（成果檔案、影音檔案）

Every row is checked first; if any row has a problem nothing is imported. Each student named
in the file gets one LINE message and answers each item 正確 or 有誤 (with a note) until at
least the end of the third whole day after the import, or the school's receipt window end.
"""


def _echo_lines(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


def _export(kind: str, year: int, out: Path, only_confirmed: bool, force: bool) -> None:
    from school import yearend

    svc = services()
    now = svc.clock.now()
    try:
        with svc.db.transaction() as session:
            result = yearend.export_year(session, svc.files, svc.rules, kind, year, out, now,
                                         only_confirmed=only_confirmed, force=force)
    except yearend.ExportBlocked as blocked:
        raise click.ClickException(blocked.message) from None
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


def _problem_text(problem: export.Problem) -> str:
    from school.yearend import problem_text

    return problem_text(problem)


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
    func = click.option(
        "--force", is_flag=True, help="Export even though the picking window is still open."
    )(func)
    func = click.option(
        "--only-confirmed",
        is_flag=True,
        help="Leave out students who picked but never pressed 確認送出.",
    )(func)
    func = click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="Directory the zip is written to.",
    )(func)
    return click.option(
        "--year", type=int, required=True, help="Academic year (學年度), e.g. 115."
    )(func)


@export_cli.command("course-outcomes")
@_export_options
def export_course_outcomes(year: int, out: Path, only_confirmed: bool, force: bool) -> None:
    """Picked course outcomes (課程學習成果) of a year, for 教學組: one zip with roster.xlsx
    (身分證號, 出生日期, the course, 成果簡述, file links, 校內編號), the files and manifest.csv
    (sha256 of every entry). Nothing is written if any file breaks the national limits."""
    _export(COURSE_OUTCOME, year, out, only_confirmed, force)


@export_cli.command("diverse")
@_export_options
def export_diverse(year: int, out: Path, only_confirmed: bool, force: bool) -> None:
    """Picked 多元表現 of a year, for 訓育組: one zip with roster.xlsx (one sheet per record
    type: 身分證號, 出生日期, the type's fields, 內容簡述, file links, 校內編號), the files and
    manifest.csv. Nothing is written if any file breaks the national limits."""
    _export(PERFORMANCE, year, out, only_confirmed, force)


@receipts_cli.command("import", help=RECEIPT_FORMAT_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=int, help="Academic year the list is for (checked on every row).")
@click.option("--dry-run", is_flag=True, help="Check the file and say what would happen.")
def receipts_import(file: Path, year: int | None, dry_run: bool) -> None:
    from school import yearend

    svc = services()
    now = svc.clock.now()
    with svc.db.transaction() as session:
        try:
            result = yearend.import_receipts(session, svc.rules, file, year, now,
                                             dry_run=dry_run)
        except receipts.ReceiptFileError as exc:
            click.echo(text("picking.receipt.file_error"), err=True)
            _echo_lines(exc.lines)
            raise click.exceptions.Exit(1) from None
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


@receipts_cli.command("report")
@click.option("--year", type=int, required=True, help="Academic year (學年度), e.g. 115.")
def receipts_report(year: int) -> None:
    """Items students reported as wrong (with their notes) and students who have not answered."""
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
