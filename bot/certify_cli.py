"""`portfolio certify`: staff set the proxy chain (leave, successors, conveners); audit export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask
from flask.cli import AppGroup
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cli_base import DATE, StaffError
from catalogue import text
from media import sheets
from runtime.services import services
from school import certification_office, certification_push, proxy_chain
from storage.clock import at_taipei, format_date, format_datetime, taipei_date
from storage.models.certification import ABSENCE_KINDS, LEAVE
from storage.models.portfolio import PENDING, CourseOutcome
from storage.models.school import Course, SchoolClass, Staff, Term

certify_cli = AppGroup(
    "certify",
    help=text("cli.certify.group_help"),
)

MAX_MOVES_SHOWN = 30
ACTION_LABELS = {
    action: text(f"cli.certify.action.{action}")
    for action in ("submit", "certify", "reject", "withdraw", "reassign")
}
AUDIT_HEADERS = [
    text(f"cli.certify.audit.header.{column}")
    for column in (
        "at",
        "action",
        "item",
        "student_no",
        "name",
        "class_seat",
        "course",
        "actor",
        "capacity",
        "detail",
    )
]

T = TypeVar("T")


@contextmanager
def _unit_of_work(dry_run: bool) -> Iterator[tuple[Session, datetime]]:
    """A transaction that commits, or with --dry-run shows its effects and rolls back."""
    svc = services()
    now = svc.clock.now()
    if dry_run:
        with svc.db.session() as session:
            try:
                yield session, now
            finally:
                session.rollback()
        click.echo(text("cli.certify.dry_run"))
        return
    with svc.db.transaction() as session:
        yield session, now


def _staff(session: Session, staff_no: str) -> Staff:
    staff = session.scalars(select(Staff).where(Staff.staff_no == staff_no)).first()
    if staff is None:
        raise StaffError(text("cli.certify.unknown_staff", no=staff_no))
    return staff


def _course(session: Session, code: str, class_code: str | None, term: str | None) -> Course:
    query = select(Course).join(Term, Term.id == Course.term_id).where(Course.code == code)
    if class_code:
        query = query.join(SchoolClass, SchoolClass.id == Course.class_id).where(
            SchoolClass.code == class_code
        )
    if term:
        try:
            year, semester = (int(x) for x in term.split("-"))
        except ValueError:
            raise StaffError(text("cli.certify.bad_term", term=term)) from None
        query = query.where(Term.academic_year == year, Term.semester == semester)
    found = list(session.scalars(query))
    if not found:
        raise StaffError(text("cli.certify.unknown_course", code=code))
    if len(found) > 1:
        which = "、".join(
            f"{c.term.label} {c.school_class.code if c.school_class else '—'}" for c in found
        )
        raise StaffError(
            text("cli.certify.ambiguous_course", code=code, count=len(found), which=which)
        )
    return found[0]


def _capacity(capacity: str | None) -> str:
    return text(f"certify.capacity.{capacity or proxy_chain.TEACHER}")


def _name(session: Session, staff_id: int | None) -> str:
    staff = session.get(Staff, staff_id) if staff_id else None
    return staff.name if staff else "—"


def _show_moves(session: Session, moves: list[proxy_chain.Move]) -> None:
    if not moves:
        click.echo(text("cli.certify.no_moves"))
        return
    click.echo(text("cli.certify.moves", count=len(moves)))
    for move in moves[:MAX_MOVES_SHOWN]:
        outcome = session.get(CourseOutcome, move.outcome_id)
        label = ""
        if outcome is not None and outcome.student is not None:
            label = f"{outcome.student.class_seat} {outcome.student.name} {outcome.course.subject}"
        click.echo(
            text(
                "cli.certify.move_line",
                id=move.outcome_id,
                label=label,
                old=_name(session, move.from_id),
                new=_name(session, move.to_id),
                capacity=_capacity(move.capacity),
            )
        )
    if len(moves) > MAX_MOVES_SHOWN:
        click.echo(text("cli.certify.more", count=len(moves) - MAX_MOVES_SHOWN))


DRY_RUN = click.option("--dry-run", is_flag=True, help=text("cli.certify.opt.dry_run"))


def _run(dry_run: bool, work: Callable[[Session, datetime], T]) -> T:
    with _unit_of_work(dry_run) as (session, now):
        return work(session, now)


@certify_cli.command("away", help=text("cli.certify.away.help"))
@click.argument("staff_no")
@click.option(
    "--kind",
    type=click.Choice(ABSENCE_KINDS),
    default=LEAVE,
    show_default=True,
    help=text("cli.certify.away.opt.kind"),
)
@click.option("--from", "starts", type=DATE, required=True, help=text("cli.certify.away.opt.from"))
@click.option("--to", "ends", type=DATE, help=text("cli.certify.away.opt.to"))
@click.option("--note", help=text("cli.certify.away.opt.note"))
@DRY_RUN
def away(
    staff_no: str, kind: str, starts: date, ends: date | None, note: str | None, dry_run: bool
) -> None:
    """Set a teacher's leave or departure; their pending items go to the proxy."""
    if ends is not None and ends < starts:
        raise StaffError(text("cli.certify.away.end_before_start"))

    def work(session: Session, now: datetime) -> None:
        staff = _staff(session, staff_no)
        _, moves = certification_office.set_away(session, staff.id, kind, starts, ends, now, note)
        until = (
            format_date(ends)
            if ends
            else text("cli.certify.away.until_never")
            if kind != LEAVE
            else text("cli.certify.away.until_open")
        )
        click.echo(
            text(
                "cli.certify.away.done",
                name=staff.name,
                kind=text(f"cli.certify.away.kind.{'leave' if kind == LEAVE else 'left'}"),
                start=format_date(starts),
                until=until,
            )
        )
        _show_moves(session, moves)

    _run(dry_run, work)


@certify_cli.command("back", help=text("cli.certify.back.help"))
@click.argument("staff_no")
@DRY_RUN
def back(staff_no: str, dry_run: bool) -> None:
    """A teacher is back from today: end their absence and give their items back."""

    def work(session: Session, now: datetime) -> None:
        staff = _staff(session, staff_no)
        ended, moves = certification_office.set_back(session, staff.id, now)
        click.echo(text("cli.certify.back.done", name=staff.name, count=len(ended)))
        _show_moves(session, moves)

    _run(dry_run, work)


@certify_cli.command("absences", help=text("cli.certify.absences.help"))
@click.option("--all", "show_all", is_flag=True, help=text("cli.certify.absences.opt.all"))
def absences(show_all: bool) -> None:
    """List teachers' leave and departure settings."""
    svc = services()
    with svc.db.session() as session:
        rows = certification_office.absences(
            session, include_past=show_all, today=taipei_date(svc.clock.now())
        )
        if not rows:
            click.echo(text("cli.certify.absences.none"))
        for row in rows:
            until = format_date(row.ends_on) if row.ends_on else "—"
            kind = text(f"cli.certify.away.kind.{'leave' if row.kind == LEAVE else 'left'}")
            click.echo(
                f"#{row.id}\t{row.staff.staff_no}\t{row.staff.name}\t{kind}\t"
                f"{format_date(row.starts_on)}–{until}\t{row.note or ''}"
            )


@certify_cli.command("successor", help=text("cli.certify.successor.help"))
@click.argument("course_code")
@click.argument("staff_no", required=False)
@click.option("--class", "class_code", help=text("cli.certify.successor.opt.class"))
@click.option("--term", help=text("cli.certify.opt.term"))
@click.option("--clear", is_flag=True, help=text("cli.certify.successor.opt.clear"))
@DRY_RUN
def successor(
    course_code: str,
    staff_no: str | None,
    class_code: str | None,
    term: str | None,
    clear: bool,
    dry_run: bool,
) -> None:
    """Name the successor teacher who certifies for the course's original teacher."""
    if not clear and not staff_no:
        raise StaffError(text("cli.certify.successor.missing"))

    def work(session: Session, now: datetime) -> None:
        course = _course(session, course_code, class_code, term)
        who = None if clear else _staff(session, staff_no or "")
        moves = certification_office.set_successor(session, course.id, who.id if who else None, now)
        where = course.school_class.code if course.school_class else "—"
        if who is None:
            click.echo(
                text(
                    "cli.certify.successor.cleared",
                    code=course.code,
                    subject=course.subject,
                    where=where,
                )
            )
        else:
            click.echo(
                text(
                    "cli.certify.successor.set",
                    code=course.code,
                    subject=course.subject,
                    where=where,
                    name=who.name,
                )
            )
        _show_moves(session, moves)

    _run(dry_run, work)


@certify_cli.command("convener", help=text("cli.certify.convener.help"))
@click.argument("subject")
@click.argument("staff_no")
@click.option("--designee", help=text("cli.certify.convener.opt.designee"))
@DRY_RUN
def convener(subject: str, staff_no: str, designee: str | None, dry_run: bool) -> None:
    """Name a subject convener and the teacher they designate to certify."""

    def work(session: Session, now: datetime) -> None:
        head = _staff(session, staff_no)
        named = _staff(session, designee) if designee else None
        moves = certification_office.set_convener(
            session, subject, head.id, named.id if named else None, now
        )
        extra = text("cli.certify.convener.designee", name=named.name) if named else ""
        click.echo(text("cli.certify.convener.done", subject=subject, name=head.name, extra=extra))
        _show_moves(session, moves)

    _run(dry_run, work)


@certify_cli.command("conveners", help=text("cli.certify.conveners.help"))
def conveners() -> None:
    """List subject conveners and their designees."""
    with services().db.session() as session:
        rows = certification_office.conveners(session)
        if not rows:
            click.echo(text("cli.certify.conveners.none"))
        for row in rows:
            named = row.designee.name if row.designee else "—"
            click.echo(
                text(
                    "cli.certify.conveners.line",
                    subject=row.subject,
                    name=row.convener.name,
                    designee=named,
                )
            )


@certify_cli.command("chain", help=text("cli.certify.chain.help"))
@click.argument("course_code")
@click.option("--class", "class_code", help=text("cli.certify.opt.class"))
@click.option("--term", help=text("cli.certify.opt.term"))
def chain(course_code: str, class_code: str | None, term: str | None) -> None:
    """Show a course's certification proxy order today."""
    svc = services()
    with svc.db.session() as session:
        course = _course(session, course_code, class_code, term)
        links = proxy_chain.chain_for(session, course, taipei_date(svc.clock.now())).links
        for n, link in enumerate(links, start=1):
            state = "" if link.available else text("cli.certify.chain.away")
            click.echo(f"{n}. {_capacity(link.capacity)} {_name(session, link.staff_id)}{state}")
        if not links:
            click.echo(text("cli.certify.chain.none"))


@certify_cli.command("status", help=text("cli.certify.status.help"))
def status() -> None:
    """Pending items per certifier, and whether they were pushed today."""
    svc = services()
    today = taipei_date(svc.clock.now())
    with svc.db.session() as session:
        rows = session.execute(
            select(CourseOutcome.certifier_id, func.count())
            .where(CourseOutcome.status == PENDING)
            .group_by(CourseOutcome.certifier_id)
        ).all()
        if not rows:
            click.echo(text("cli.certify.status.none"))
        for staff_id, count in sorted(rows, key=lambda r: -r[1]):
            pushed = (
                certification_push.first_push_of_day(session, staff_id, today) if staff_id else None
            )
            note = (
                text("cli.certify.status.pushed", at=format_datetime(pushed.sent_at))
                if pushed
                else text("cli.certify.status.not_pushed")
            )
            click.echo(
                text(
                    "cli.certify.status.line", name=_name(session, staff_id), count=count, note=note
                )
            )


@certify_cli.command("cost", help=text("cli.certify.cost.help"))
@click.option(
    "--days", type=int, default=30, show_default=True, help=text("cli.certify.cost.opt.days")
)
def cost(days: int) -> None:
    """Estimate the message quota certification notices use under each cadence."""
    svc = services()
    end = svc.clock.now()
    start = end - timedelta(days=days)
    with svc.db.session() as session:
        figures = certification_push.cadence_cost(session, svc.rules, start, end)
    cadence = svc.rules.cert_cadence
    now_set = (
        text("cli.certify.cost.immediate")
        if cadence.immediate or cadence.at is None
        else text("cli.certify.cost.daily_at", at=f"{cadence.at:%H:%M}")
        if cadence.every_days == 1
        else text(
            "cli.certify.cost.every_days_at", days=cadence.every_days, at=f"{cadence.at:%H:%M}"
        )
    )
    click.echo(
        text(
            "cli.certify.cost.summary",
            days=days,
            start=format_date(start),
            end=format_date(end),
            submissions=figures.submissions,
            decisions=figures.decisions,
            rejections=figures.rejections,
            setting=now_set,
        )
    )
    click.echo(text("cli.certify.cost.daily", count=figures.daily, rejections=figures.rejections))
    click.echo(
        text(
            "cli.certify.cost.immediate_line",
            count=figures.immediate,
            rejections=figures.rejections,
        )
    )
    click.echo(text("cli.certify.cost.naive", count=figures.naive))
    click.echo(text("cli.certify.cost.quota", quota=svc.rules.monthly_quota))


def _audit_table(rows: list[certification_office.AuditRow]) -> list[list[Any]]:
    return [
        [
            format_datetime(r.at),
            ACTION_LABELS.get(r.action, r.action),
            r.item_id,
            r.student_no,
            r.student_name,
            r.class_seat,
            r.course,
            r.actor,
            _capacity(r.capacity) if r.capacity else "",
            r.detail,
        ]
        for r in rows
    ]


def write_audit(path: Path, rows: list[certification_office.AuditRow]) -> None:
    table = _audit_table(rows)
    if path.suffix.lower() == ".xlsx":
        book = Workbook()
        sheet = book.active
        sheet.title = text("cli.certify.audit.sheet")
        sheets.append_row(sheet, AUDIT_HEADERS)
        for row in table:
            sheets.append_row(sheet, row)
        with sheets.open_private(path, "wb") as handle:
            book.save(handle)
        return
    # UTF-8 with BOM: Excel on Windows opens it with the Chinese intact.
    with sheets.open_private(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = sheets.csv_writer(handle)
        writer.writerow(AUDIT_HEADERS)
        writer.writerows(table)


@certify_cli.command("audit", help=text("cli.certify.audit.help"))
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help=text("cli.certify.audit.opt.out"),
)
@click.option("--from", "starts", type=DATE, help=text("cli.certify.audit.opt.from"))
@click.option("--to", "ends", type=DATE, help=text("cli.certify.audit.opt.to"))
def audit(out: Path, starts: date | None, ends: date | None) -> None:
    """Export the course-outcome audit trail (append-only)."""
    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise StaffError(text("cli.certify.audit.bad_suffix"))
    svc = services()
    start = at_taipei(starts) if starts else None
    end = at_taipei(ends + timedelta(days=1)) if ends else None
    with svc.db.session() as session:
        rows = certification_office.audit_rows(session, start, end)
    write_audit(out, rows)
    click.echo(text("cli.certify.audit.done", count=len(rows), path=out))


def register(app: Flask) -> None:
    app.cli.add_command(certify_cli)
