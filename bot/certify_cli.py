"""`portfolio certify`: staff set the proxy chain (leave, successors, conveners); audit export."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.texts import text
from storage import certification as cert
from storage.clock import at_taipei, format_date, format_datetime, taipei_date
from storage.models.certification import ABSENCE_KINDS, LEAVE
from storage.models.portfolio import PENDING, CourseOutcome
from storage.models.school import Course, SchoolClass, Staff, Term

certify_cli = AppGroup(
    "certify",
    help="認證代理人（規定七）與稽核紀錄：請假／離職、接任教師、科召集人與指定教師、匯出紀錄。"
         "會改資料的指令都可加 --dry-run 先試算。",
)

MAX_MOVES_SHOWN = 30
ACTION_LABELS = {"submit": "送出", "certify": "通過", "reject": "退回", "withdraw": "撤回",
                 "reassign": "改派"}
AUDIT_HEADERS = [
    "時間", "動作", "項目編號", "學號", "姓名", "班級座號", "科目", "執行者", "身分", "說明",
]

T = TypeVar("T")


class CliError(click.ClickException):
    pass


@contextmanager
def _unit_of_work(dry_run: bool) -> Iterator[tuple[Session, datetime]]:
    """A transaction that commits, or with --dry-run shows its effects and rolls back."""
    # Imported here: bot.services pulls in the LINE SDK, which these commands never need.
    from bot.services import services

    svc = services()
    now = svc.clock.now()
    if dry_run:
        with svc.db.session() as session:
            try:
                yield session, now
            finally:
                session.rollback()
        click.echo("（試算：沒有寫入任何資料）")
        return
    with svc.db.transaction() as session:
        yield session, now


def _staff(session: Session, staff_no: str) -> Staff:
    staff = session.scalars(select(Staff).where(Staff.staff_no == staff_no)).first()
    if staff is None:
        raise CliError(f"找不到教職員編號 {staff_no}")
    return staff


def _course(session: Session, code: str, class_code: str | None, term: str | None) -> Course:
    query = select(Course).join(Term, Term.id == Course.term_id).where(Course.code == code)
    if class_code:
        query = query.join(SchoolClass, SchoolClass.id == Course.class_id).where(
            SchoolClass.code == class_code)
    if term:
        try:
            year, semester = (int(x) for x in term.split("-"))
        except ValueError:
            raise CliError(f"學期請寫成 115-1 這樣，不是 {term}") from None
        query = query.where(Term.academic_year == year, Term.semester == semester)
    found = list(session.scalars(query))
    if not found:
        raise CliError(f"找不到課程代碼 {code}")
    if len(found) > 1:
        which = "、".join(
            f"{c.term.label} {c.school_class.code if c.school_class else '—'}" for c in found)
        raise CliError(f"課程代碼 {code} 有 {len(found)} 門（{which}），請加 --class 或 --term")
    return found[0]


def _capacity(capacity: str | None) -> str:
    return text(f"certify.capacity.{capacity or cert.TEACHER}")


def _name(session: Session, staff_id: int | None) -> str:
    staff = session.get(Staff, staff_id) if staff_id else None
    return staff.name if staff else "—"


def _show_moves(session: Session, moves: list[cert.Move]) -> None:
    if not moves:
        click.echo("待認證項目的認證者沒有變動。")
        return
    click.echo(f"{len(moves)} 件待認證項目改由他人認證：")
    for move in moves[:MAX_MOVES_SHOWN]:
        outcome = session.get(CourseOutcome, move.outcome_id)
        label = ""
        if outcome is not None and outcome.student is not None:
            label = f"{outcome.student.class_seat} {outcome.student.name} {outcome.course.subject}"
        click.echo(f"  #{move.outcome_id} {label}：{_name(session, move.from_id)} → "
                   f"{_name(session, move.to_id)}（{_capacity(move.capacity)}）")
    if len(moves) > MAX_MOVES_SHOWN:
        click.echo(f"  …另 {len(moves) - MAX_MOVES_SHOWN} 件")


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


DATE = click.DateTime(formats=["%Y-%m-%d"])
DRY_RUN = click.option("--dry-run", is_flag=True, help="只試算會有哪些項目改派，不寫入。")


def _run(dry_run: bool, work: Callable[[Session, datetime], T]) -> T:
    with _unit_of_work(dry_run) as (session, now):
        return work(session, now)


@certify_cli.command("away")
@click.argument("staff_no")
@click.option("--kind", type=click.Choice(ABSENCE_KINDS), default=LEAVE, show_default=True,
              help="leave＝請假（有結束日）；left＝離職／調校。")
@click.option("--from", "starts", type=DATE, required=True, help="開始日 YYYY-MM-DD。")
@click.option("--to", "ends", type=DATE, help="結束日（含當天）；離職不用填。")
@click.option("--note", help="備註（例如假別）。")
@DRY_RUN
def away(staff_no: str, kind: str, starts: datetime, ends: datetime | None, note: str | None,
         dry_run: bool) -> None:
    """設定教師請假或離職：期間內他的待認證項目交給代理人。"""
    if ends is not None and ends < starts:
        raise CliError("結束日早於開始日")

    def work(session: Session, now: datetime) -> None:
        staff = _staff(session, staff_no)
        _, moves = cert.set_away(session, staff.id, kind, starts.date(), _day(ends), now, note)
        until = format_date(ends.date()) if ends else "不再回來" if kind != LEAVE else "未定"
        click.echo(f"{staff.name}：{'請假' if kind == LEAVE else '離職'} "
                   f"{format_date(starts.date())} 起，至 {until}。")
        _show_moves(session, moves)

    _run(dry_run, work)


@certify_cli.command("back")
@click.argument("staff_no")
@DRY_RUN
def back(staff_no: str, dry_run: bool) -> None:
    """教師今天起回來認證：結束（或取消）他的請假，項目交回給他。"""

    def work(session: Session, now: datetime) -> None:
        staff = _staff(session, staff_no)
        ended, moves = cert.set_back(session, staff.id, now)
        click.echo(f"{staff.name}：結束 {len(ended)} 筆請假／離職設定。")
        _show_moves(session, moves)

    _run(dry_run, work)


@certify_cli.command("absences")
@click.option("--all", "show_all", is_flag=True, help="連已結束的也列出。")
def absences(show_all: bool) -> None:
    """列出教師請假與離職設定。"""
    from bot.services import services

    svc = services()
    with svc.db.session() as session:
        rows = cert.absences(session, include_past=show_all, today=taipei_date(svc.clock.now()))
        if not rows:
            click.echo("目前沒有請假或離職設定。")
        for row in rows:
            until = format_date(row.ends_on) if row.ends_on else "—"
            click.echo(f"#{row.id}\t{row.staff.staff_no}\t{row.staff.name}\t{row.kind}\t"
                       f"{format_date(row.starts_on)}–{until}\t{row.note or ''}")


@certify_cli.command("successor")
@click.argument("course_code")
@click.argument("staff_no", required=False)
@click.option("--class", "class_code", help="班級代碼（同一課程代碼開給多班時）。")
@click.option("--term", help="學期，例如 115-1。")
@click.option("--clear", is_flag=True, help="取消這門課的接任教師。")
@DRY_RUN
def successor(course_code: str, staff_no: str | None, class_code: str | None, term: str | None,
              clear: bool, dry_run: bool) -> None:
    """指定接任教師：接手這門課（這個班）的老師，代理原任課教師認證。"""
    if not clear and not staff_no:
        raise CliError("請給接任教師的教職員編號，或用 --clear 取消")

    def work(session: Session, now: datetime) -> None:
        course = _course(session, course_code, class_code, term)
        who = None if clear else _staff(session, staff_no or "")
        moves = cert.set_successor(session, course.id, who.id if who else None, now)
        where = course.school_class.code if course.school_class else "—"
        if who is None:
            click.echo(f"{course.code}（{course.subject}，{where}）：已取消接任教師。")
        else:
            click.echo(f"{course.code}（{course.subject}，{where}）：接任教師為 {who.name}。")
        _show_moves(session, moves)

    _run(dry_run, work)


@certify_cli.command("convener")
@click.argument("subject")
@click.argument("staff_no")
@click.option("--designee", help="召集人指定代為認證的教師編號。")
@DRY_RUN
def convener(subject: str, staff_no: str, designee: str | None, dry_run: bool) -> None:
    """指定科召集人（以科目或科別名稱，例如 數學、國文），以及他指定代為認證的教師。"""

    def work(session: Session, now: datetime) -> None:
        head = _staff(session, staff_no)
        named = _staff(session, designee) if designee else None
        moves = cert.set_convener(session, subject, head.id, named.id if named else None, now)
        extra = f"，指定 {named.name} 代為認證" if named else ""
        click.echo(f"{subject}：科召集人 {head.name}{extra}。")
        _show_moves(session, moves)

    _run(dry_run, work)


@certify_cli.command("conveners")
def conveners() -> None:
    """列出各科召集人與指定教師。"""
    from bot.services import services

    with services().db.session() as session:
        rows = cert.conveners(session)
        if not rows:
            click.echo("還沒有指定科召集人（會以名冊中職稱為「科召集人」且科別相同的教師代理）。")
        for row in rows:
            named = row.designee.name if row.designee else "—"
            click.echo(f"{row.subject}\t{row.convener.name}\t指定：{named}")


@certify_cli.command("chain")
@click.argument("course_code")
@click.option("--class", "class_code", help="班級代碼。")
@click.option("--term", help="學期，例如 115-1。")
def chain(course_code: str, class_code: str | None, term: str | None) -> None:
    """顯示一門課今天的認證代理順序。"""
    from bot.services import services

    svc = services()
    with svc.db.session() as session:
        course = _course(session, course_code, class_code, term)
        links = cert.chain_for(session, course, taipei_date(svc.clock.now())).links
        for n, link in enumerate(links, start=1):
            state = "" if link.available else "（不在，略過）"
            click.echo(f"{n}. {_capacity(link.capacity)} {_name(session, link.staff_id)}{state}")
        if not links:
            click.echo("這門課沒有任課教師，也沒有代理人。")


@certify_cli.command("status")
def status() -> None:
    """每位認證者的待認證件數，以及今天是否已推播。"""
    from bot.services import services

    svc = services()
    today = taipei_date(svc.clock.now())
    with svc.db.session() as session:
        rows = session.execute(
            select(CourseOutcome.certifier_id, func.count())
            .where(CourseOutcome.status == PENDING)
            .group_by(CourseOutcome.certifier_id)
        ).all()
        if not rows:
            click.echo("沒有待認證項目。")
        for staff_id, count in sorted(rows, key=lambda r: -r[1]):
            pushed = cert.first_push_of_day(session, staff_id, today) if staff_id else None
            note = f"今天 {format_datetime(pushed.sent_at)} 已推播" if pushed else "今天尚未推播"
            click.echo(f"{_name(session, staff_id)}\t待認證 {count} 件\t{note}")


@certify_cli.command("cost")
@click.option("--days", type=int, default=30, show_default=True, help="回看幾天。")
def cost(days: int) -> None:
    """試算認證通知用掉的訊息額度：每日彙整推播、立即推播、逐件推播各要多少則。"""
    from datetime import timedelta

    from bot.services import services

    svc = services()
    end = svc.clock.now()
    start = end - timedelta(days=days)
    with svc.db.session() as session:
        figures = cert.cadence_cost(session, svc.rules, start, end)
    cadence = svc.rules.cert_cadence
    now_set = "立即推播" if cadence.immediate or cadence.at is None else \
        f"每日 {cadence.at:%H:%M} 彙整推播"
    click.echo(f"過去 {days} 天（{format_date(start)}–{format_date(end)}）：送出 "
               f"{figures.submissions} 件，認證決定 {figures.decisions} 件（退回 "
               f"{figures.rejections} 件）。目前設定：{now_set}。")
    click.echo(f"  每日彙整推播：約 {figures.daily} 則（含退回通知 {figures.rejections} 則）")
    click.echo(f"  立即推播：    約 {figures.immediate} 則（含退回通知 {figures.rejections} 則）")
    click.echo(f"  逐件推播：    {figures.naive} 則（每件通知老師、每個決定通知學生）")
    click.echo(f"  每月訊息額度：{svc.rules.monthly_quota} 則")


def _audit_table(rows: list[cert.AuditRow]) -> list[list[Any]]:
    return [[format_datetime(r.at), ACTION_LABELS.get(r.action, r.action), r.item_id, r.student_no,
             r.student_name, r.class_seat, r.course, r.actor,
             _capacity(r.capacity) if r.capacity else "", r.detail] for r in rows]


def write_audit(path: Path, rows: list[cert.AuditRow]) -> None:
    table = _audit_table(rows)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook  # type: ignore[import-untyped]

        book = Workbook()
        sheet = book.active
        sheet.title = "稽核紀錄"
        sheet.append(AUDIT_HEADERS)
        for row in table:
            sheet.append(row)
        book.save(path)
        return
    # UTF-8 with BOM: Excel on Windows opens it with the Chinese intact.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(AUDIT_HEADERS)
        writer.writerows(table)


@certify_cli.command("audit")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="輸出檔（.csv 或 .xlsx）。")
@click.option("--from", "starts", type=DATE, help="起日（含）。")
@click.option("--to", "ends", type=DATE, help="迄日（含）。")
def audit(out: Path, starts: datetime | None, ends: datetime | None) -> None:
    """匯出課程學習成果的稽核紀錄：送出、認證、退回、撤回、改派（只增不改）。"""
    from datetime import timedelta

    from bot.services import services

    if out.suffix.lower() not in (".csv", ".xlsx"):
        raise CliError("輸出檔請用 .csv 或 .xlsx")
    svc = services()
    start = at_taipei(starts.date()) if starts else None
    end = at_taipei(ends.date() + timedelta(days=1)) if ends else None
    with svc.db.session() as session:
        rows = cert.audit_rows(session, start, end)
    write_audit(out, rows)
    click.echo(f"已匯出 {len(rows)} 筆稽核紀錄到 {out}")


def register(app: Flask) -> None:
    app.cli.add_command(certify_cli)
