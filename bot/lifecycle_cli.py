"""Staff commands for a student's life at school (rule 五), and what the other lifecycle
commands (bot/retention_cli.py, bot/management_cli.py, bot/backup_cli.py) share.

portfolio students transfer-in | transfer-out | repeat | reenrol | renumber | graduate
portfolio export student --id STUDENT_NO
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cli_base import DATE, StaffError
from catalogue import TEXTS, text
from jobs.lifecycle import say_farewells
from jobs.queue import DELIVERY
from runtime.services import services
from school import graduation, student_export
from school import lifecycle as life
from storage.clock import format_date, taipei_date
from storage.models.portfolio import PENDING, CourseOutcome, Performance
from storage.models.school import SchoolClass

students_cli = AppGroup(
    "students",
    help=text("cli.lifecycle.students.help"),
)


DRY_RUN = click.option("--dry-run", is_flag=True, help=text("cli.lifecycle.opt.dry_run"))
BY = "cli"
MAX_LISTED = 60


def _services() -> Any:
    return services()


def _say(key: str, **values: Any) -> None:
    click.echo(text(f"lifecycle.cli.{key}", **values))


def _label(key: str) -> str | None:
    return TEXTS.get(key)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


@contextmanager
def _unit_of_work(dry_run: bool) -> Iterator[tuple[Any, Session, datetime]]:
    """A transaction that commits, or with --dry-run shows its effects and rolls back."""
    svc = _services()
    now = svc.clock.now()
    try:
        if dry_run:
            with svc.db.session() as session:
                try:
                    yield svc, session, now
                finally:
                    session.rollback()
            _say("dry_run")
            return
        with svc.db.transaction() as session:
            yield svc, session, now
    except life.LifecycleError as exc:
        raise StaffError(text(f"lifecycle.error.{exc.reason}", **exc.values)) from None


def _deliver(svc: Any, dry_run: bool) -> None:
    if dry_run:
        return
    svc.queue.enqueue("jobs.delivery.deliver_due_job", queue=DELIVERY)


def _day(value: date | None, now: datetime) -> date:
    return value if value is not None else taipei_date(now)


def _class_code(session: Session, class_id: int | None) -> str:
    found = session.get(SchoolClass, class_id) if class_id else None
    return found.code if found else "—"


def _item_count(session: Session, student_id: int) -> int:
    outcomes = (
        session.scalar(
            select(func.count())
            .select_from(CourseOutcome)
            .where(CourseOutcome.student_id == student_id)
        )
        or 0
    )
    performances = (
        session.scalar(
            select(func.count())
            .select_from(Performance)
            .where(Performance.student_id == student_id)
        )
        or 0
    )
    return int(outcomes) + int(performances)


# --- rule 五 ------------------------------------------------------------------------------------

STUDENT_ID = click.option("--id", "student_no", required=True, help=text("cli.lifecycle.opt.id"))
ON = click.option("--on", "on", type=DATE, help=text("cli.lifecycle.opt.on"))
CLASS = click.option("--class", "class_code", required=True, help=text("cli.lifecycle.opt.class"))
SEAT = click.option(
    "--seat", type=click.IntRange(1, 999), required=True, help=text("cli.lifecycle.opt.seat")
)
GRADE = click.option("--grade", type=click.IntRange(1, 3), help=text("cli.lifecycle.opt.grade"))
NOTE = click.option("--note", help=text("cli.lifecycle.opt.note"))


@students_cli.command("transfer-in", help=text("cli.lifecycle.transfer_in.help"))
@STUDENT_ID
@CLASS
@SEAT
@ON
@GRADE
@click.option("--name", help=text("cli.lifecycle.transfer_in.opt.name"))
@click.option("--national-id", help=text("cli.lifecycle.transfer_in.opt.national_id"))
@click.option("--birth-date", type=DATE, help=text("cli.lifecycle.transfer_in.opt.birth_date"))
@click.option(
    "--entry-year",
    type=click.IntRange(80, 300),
    help=text("cli.lifecycle.transfer_in.opt.entry_year"),
)
@NOTE
@DRY_RUN
def transfer_in(
    student_no: str,
    class_code: str,
    seat: int,
    on: date | None,
    grade: int | None,
    name: str | None,
    national_id: str | None,
    birth_date: date | None,
    entry_year: int | None,
    note: str | None,
    dry_run: bool,
) -> None:
    """Transfer in: a new student joins a class, or one who left returns."""
    with _unit_of_work(dry_run) as (svc, session, now):
        day = _day(on, now)
        result = life.transfer_in(
            session,
            now,
            student_no=student_no,
            day=day,
            class_code=class_code,
            seat_no=seat,
            name=name,
            national_id=national_id,
            birth_date=birth_date,
            grade=grade,
            entry_year=entry_year,
            note=note,
            by=BY,
        )
        s = result.student
        _say(
            "transfer_in_done",
            no=s.student_no,
            name=s.name,
            cls=class_code,
            seat=seat,
            grade=s.grade,
            day=format_date(day),
            enrolled=result.enrolled,
            items=_item_count(session, s.id),
        )
        _say("bind_hint", no=s.student_no)


@students_cli.command("transfer-out", help=text("cli.lifecycle.transfer_out.help"))
@STUDENT_ID
@ON
@NOTE
@DRY_RUN
def transfer_out(student_no: str, on: date | None, note: str | None, dry_run: bool) -> None:
    """Transfer out: the student leaves the school; their records stay."""
    with _unit_of_work(dry_run) as (svc, session, now):
        day = _day(on, now)
        student = life.require_student(session, student_no)
        from_class = _class_code(session, student.class_id)
        result = life.transfer_out(session, now, student, day, note=note, by=BY)
        told = say_farewells(session, svc.rules, now, result.farewells, "transfer_out")
        _say(
            "transfer_out_done",
            no=student.student_no,
            name=student.name,
            cls=from_class,
            day=format_date(day),
            items=_item_count(session, student.id),
            unenrolled=result.unenrolled,
            farewells=told,
        )
        _say("export_hint", no=student.student_no)
    _deliver(svc, dry_run)


@students_cli.command("repeat", help=text("cli.lifecycle.repeat.help"))
@STUDENT_ID
@CLASS
@SEAT
@ON
@GRADE
@NOTE
@DRY_RUN
def repeat(
    student_no: str,
    class_code: str,
    seat: int,
    on: date | None,
    grade: int | None,
    note: str | None,
    dry_run: bool,
) -> None:
    """Repeat: the student takes the same grade again in a new class."""
    with _unit_of_work(dry_run) as (svc, session, now):
        day = _day(on, now)
        student = life.require_student(session, student_no)
        from_class = _class_code(session, student.class_id)
        result = life.repeat(session, now, student, day, class_code, seat, grade, note, BY)
        _say(
            "repeat_done",
            no=student.student_no,
            name=student.name,
            from_cls=from_class,
            cls=class_code,
            seat=seat,
            grade=student.grade,
            day=format_date(day),
            enrolled=result.enrolled,
            items=_item_count(session, student.id),
        )


@students_cli.command("reenrol", help=text("cli.lifecycle.reenrol.help"))
@STUDENT_ID
@CLASS
@SEAT
@ON
@GRADE
@click.option("--new-id", "new_no", help=text("cli.lifecycle.reenrol.opt.new_id"))
@NOTE
@DRY_RUN
def reenrol(
    student_no: str,
    class_code: str,
    seat: int,
    on: date | None,
    grade: int | None,
    new_no: str | None,
    note: str | None,
    dry_run: bool,
) -> None:
    """Re-enrol: a student back from suspension, optionally with a new number."""
    with _unit_of_work(dry_run) as (svc, session, now):
        day = _day(on, now)
        student = life.require_student(session, student_no)
        old_no = student.student_no
        result = life.reenrol(session, now, student, day, class_code, seat, grade, new_no, note, BY)
        _say(
            "reenrol_done",
            no=student.student_no,
            name=student.name,
            cls=class_code,
            seat=seat,
            grade=student.grade,
            day=format_date(day),
            enrolled=result.enrolled,
            items=_item_count(session, student.id),
        )
        if new_no:
            _say("renumber_done", old=old_no, new=student.student_no, name=student.name)


@students_cli.command("renumber", help=text("cli.lifecycle.renumber.help"))
@STUDENT_ID
@click.option("--new-id", "new_no", required=True, help=text("cli.lifecycle.renumber.opt.new_id"))
@DRY_RUN
def renumber(student_no: str, new_no: str, dry_run: bool) -> None:
    """Renumber: the same student gets a new student number."""
    with _unit_of_work(dry_run) as (svc, session, now):
        student = life.require_student(session, student_no)
        old_no = student.student_no
        life.renumber(session, now, student, new_no, taipei_date(now), BY)
        _say("renumber_done", old=old_no, new=student.student_no, name=student.name)


@students_cli.command("graduate", help=text("cli.lifecycle.graduate.help"))
@click.option("--grade", type=click.IntRange(1, 12), help=text("cli.lifecycle.graduate.opt.grade"))
@click.option(
    "--class", "class_codes", multiple=True, help=text("cli.lifecycle.graduate.opt.class")
)
@click.option("--id", "student_nos", multiple=True, help=text("cli.lifecycle.graduate.opt.id"))
@click.option(
    "--except", "except_nos", multiple=True, help=text("cli.lifecycle.graduate.opt.except")
)
@click.option("--on", "on", type=DATE, help=text("cli.lifecycle.graduate.opt.on"))
@click.option("--cancel", is_flag=True, help=text("cli.lifecycle.graduate.opt.cancel"))
@DRY_RUN
def graduate(
    grade: int | None,
    class_codes: tuple[str, ...],
    student_nos: tuple[str, ...],
    except_nos: tuple[str, ...],
    on: date | None,
    cancel: bool,
    dry_run: bool,
) -> None:
    """Mark graduates; the daily job seals them and, after retention, deletes them."""
    if cancel:
        if not student_nos:
            raise StaffError(text("cli.lifecycle.graduate.cancel_needs_id"))
        with _unit_of_work(dry_run) as (svc, session, now):
            for number in student_nos:
                student = life.require_student(session, number)
                graduation.cancel_graduation(session, now, student, BY)
                _say("graduate_cancelled", no=student.student_no, name=student.name)
        return
    if grade is None and not class_codes and not student_nos:
        raise StaffError(text("cli.lifecycle.graduate.no_selection"))
    if grade is not None and 3 < grade < 10:
        raise StaffError(text("cli.lifecycle.graduate.bad_grade"))
    with _unit_of_work(dry_run) as (svc, session, now):
        day = _day(on, now)
        students = graduation.graduation_candidates(
            session, grade, class_codes, student_nos, except_nos
        )
        if not students:
            _say("graduate_none")
            return
        _say("graduate_list", count=len(students), day=format_date(day))
        for s in students[:MAX_LISTED]:
            _say("student_line", class_seat=s.class_seat, no=s.student_no, name=s.name)
        if len(students) > MAX_LISTED:
            _say("more", count=len(students) - MAX_LISTED)
        pending = (
            session.scalar(
                select(func.count(func.distinct(CourseOutcome.student_id))).where(
                    CourseOutcome.student_id.in_([s.id for s in students]),
                    CourseOutcome.status == PENDING,
                )
            )
            or 0
        )
        if pending:
            _say("graduate_pending", count=pending)
        graduation.graduate(session, now, students, day, BY)
        when = "graduate_seal_today" if day <= taipei_date(now) else "graduate_seal_later"
        _say("graduate_done", count=len(students), day=format_date(day))
        _say(when, day=format_date(day))


# --- export for a transfer ----------------------------------------------------------------------


@click.command("student", help=text("cli.lifecycle.export_student.help"))
@with_appcontext  # a plain command added to another feature's group gets no app context itself
@click.option("--id", "student_no", required=True, help=text("cli.lifecycle.opt.id"))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("exports"),
    show_default=True,
    help=text("cli.lifecycle.export_student.opt.out"),
)
@click.option(
    "--with-national-id", is_flag=True, help=text("cli.lifecycle.export_student.opt.national_id")
)
def export_student(student_no: str, out_dir: Path, with_national_id: bool) -> None:
    """One student's complete portfolio as a zip, for a transfer."""
    svc = _services()
    now = svc.clock.now()
    with svc.db.session() as session:
        student = life.student_by_no(session, student_no)
        if student is None:
            raise StaffError(text("lifecycle.error.no_student", no=student_no))
        result = student_export.export_student(
            session, svc.files, student, out_dir, now, _label, with_national_id=with_national_id
        )
    _say(
        "export_done",
        path=result.path,
        items=result.items,
        files=result.files,
        sha256=result.sha256,
    )
    if result.missing:
        _say("export_missing", count=len(result.missing), names="、".join(result.missing[:10]))


def register(app: Flask) -> None:
    app.cli.add_command(students_cli)
    # `portfolio export` belongs to the picking feature; a student's export joins it.
    export_group = app.cli.commands.get("export")
    if isinstance(export_group, click.Group):
        export_group.add_command(export_student)
    else:
        group = AppGroup("export", help=text("cli.export.help"))
        group.add_command(export_student)
        app.cli.add_command(group)
