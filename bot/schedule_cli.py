"""`portfolio rules|windows|events`: the school's rules, windows the working group sets, events."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from storage.clock import TAIPEI, academic_year_of, at_taipei, format_date, format_datetime

rules_cli = AppGroup(
    "rules", help="學校規則檔（SCHOOL_CONFIG）：檢視本學年的實際日期、檢查規則檔。"
)
windows_cli = AppGroup(
    "windows", help="工作小組設定或調整期間（上傳、認證、勾選、收訖確認），並自動公告給相關的人。"
)
events_cli = AppGroup(
    "events", help="學生訓練、教師研習、親師說明會（補充規定第六點）：建立、列出、回覆統計。"
)

YEAR_HELP = "學年度（民國），預設為今天所在的學年度。"
DATE = click.DateTime(formats=["%Y-%m-%d"])


def _svc() -> Any:
    # Imported here: bot.services pulls in the LINE SDK, which `rules check` never needs.
    from bot.services import services

    return services()


def _today_year(svc: Any) -> int:
    return academic_year_of(svc.clock.now().astimezone(TAIPEI).date())


def _operator() -> str:
    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):  # no login name in some containers
        return ""


def _send_now(svc: Any) -> dict[str, int]:
    """Run the schedule part of the tick at once, then hand delivery to the workers."""
    from jobs import reminders
    from jobs.queue import DELIVERY

    counts = reminders.run(svc)
    svc.queue.enqueue("jobs.delivery.deliver_due_job", queue=DELIVERY)
    return counts


# --- rules ---------------------------------------------------------------------------------------


@rules_cli.command("show")
@click.option("--year", type=int, help=YEAR_HELP)
def rules_show(year: int | None) -> None:
    """Print the rules as they run this academic year: semesters, windows, limits, the schedule."""
    from storage import schedule
    from storage.rules import NotConfigured, render_rules_table

    svc = _svc()
    year = year or _today_year(svc)
    with svc.db.session() as session:
        rules = schedule.effective_rules(session, svc.rules)
        changes = schedule.window_changes(session, year)
    try:
        click.echo(render_rules_table(rules, year), nl=False)
    except NotConfigured as exc:
        known = "、".join(str(y) for y in rules.years)
        raise click.ClickException(f"規則檔沒有 {year} 學年度（有：{known}）：{exc}") from None
    if changes:
        click.echo("\n【工作小組調整過的期間】")
        for c in changes:
            scope = f"{c.academic_year}-{c.semester}" if c.semester else f"{c.academic_year} 學年"
            click.echo(
                f"{format_datetime(c.changed_at)}  {_window_label(c.kind)} {scope}："
                f"{format_date(c.previous_first_day)}–{format_date(c.previous_last_day)} → "
                f"{format_date(c.first_day)}–{format_date(c.last_day)}"
                + (f"（{c.changed_by}）" if c.changed_by else "")
            )


@rules_cli.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def rules_check(file: Path) -> None:
    """Validate a rules file (syntax, dates, national rules, texts and buttons it names)."""
    from flows.texts import TEXTS
    from jobs.reminders import FLOW_ACTIONS
    from storage.rules import RulesError, check_rules_file

    try:
        rules = check_rules_file(file, known_text_keys=TEXTS.keys(), known_flows=FLOW_ACTIONS)
    except RulesError as exc:
        click.echo(f"錯誤：{exc}", err=True)
        raise click.exceptions.Exit(1) from None
    years = "、".join(str(y) for y in rules.years)
    click.echo(
        f"OK：{rules.school.name}（{rules.school.code}），學年度 {years}，"
        f"工作期程 {len(rules.schedule)} 列。用 portfolio rules show 看實際日期。"
    )


# --- windows -------------------------------------------------------------------------------------


def _window_label(kind: str) -> str:
    from flows.texts import text

    base = kind.removeprefix("grade12_")
    return text(f"rules.window.{base}") + ("（高三）" if kind != base else "")


# The menu action a window's announcement button starts, and whom a change concerns.
_WINDOW_ACTIONS = {
    "upload": ("upload", "upload_course_outcome"),
    "performance_upload": ("performance", "upload_performance"),
    "certification": ("certify", "certify"),
    "picking": ("pick", "pick"),
    "receipt_confirmation": ("confirm_receipt", "confirm_receipt"),
}


def window_audience(kind: str) -> dict[str, Any]:
    base = kind.removeprefix("grade12_")
    audience: dict[str, Any] = {"teachers": True} if base == "certification" else {"students": True}
    if kind != base:
        audience["grades"] = [12]
    return audience


@windows_cli.command("set")
@click.argument("kind", type=click.Choice(
    ["upload", "performance_upload", "certification", "picking", "receipt_confirmation",
     "grade12_upload", "grade12_certification"]))
@click.option("--year", type=int, required=True, help="學年度（民國），例如 115。")
@click.option("--semester", type=click.IntRange(1, 2),
              help="學期 1 或 2（上傳、認證期間需要；勾選、收訖確認為全學年，不用）。")
@click.option("--start", type=DATE, help="第一天 YYYY-MM-DD（省略則不變）。")
@click.option("--end", type=DATE, help="最後一天 YYYY-MM-DD，當天整天都算（省略則不變）。")
@click.option("--dry-run", is_flag=True, help="只檢查並顯示會公告給多少人，不寫入、不發送。")
def windows_set(
    kind: str, year: int, semester: int | None, start: datetime | None, end: datetime | None,
    dry_run: bool,
) -> None:
    """Set or change a window; checked like the rules file, then announced (公告) once."""
    from flows.texts import TEXTS, text
    from storage import schedule
    from storage.outbox import NORMAL, URGENT
    from storage.rules import YEAR_WINDOWS, NotConfigured, RulesError, WindowSetting

    if start is None and end is None:
        raise click.UsageError("請至少給 --start 或 --end")
    base = kind.removeprefix("grade12_")
    if base in YEAR_WINDOWS and semester is not None:
        raise click.UsageError(f"{kind} 是全學年的期間，不用 --semester")
    if base not in YEAR_WINDOWS and semester is None:
        raise click.UsageError(f"{kind} 是每學期的期間，請加 --semester 1 或 2")
    if kind.startswith("grade12_") and semester != 2:
        raise click.UsageError("高三的期間只能設在第 2 學期（高三下）")
    svc = _svc()
    now = svc.clock.now()
    with svc.db.session() as session:
        rules = schedule.effective_rules(session, svc.rules)
        try:
            current = rules.window(base, year, semester, grade=12 if kind != base else None)
        except NotConfigured as exc:
            raise click.ClickException(f"規則檔裡沒有這個期間：{exc}") from None
        first = start.date() if start else current.first_day
        last = end.date() if end else current.last_day
        if (first, last) == (current.first_day, current.last_day):
            click.echo(f"{_window_label(kind)}已經是 {format_date(first)} 至 {format_date(last)}，"
                       "沒有變更，不公告。")
            return
        try:
            rules.with_windows([WindowSetting(kind, year, semester, first, last)])
        except RulesError as exc:
            raise click.ClickException(f"不能這樣設定：{exc.reason}") from None
        audience = window_audience(kind)
        people = schedule.audience_recipients(session, audience)
    label = _window_label(kind)
    scope = f"{year}-{semester}" if semester else f"{year} 學年"
    click.echo(f"{label}（{scope}）：{format_date(current.first_day)}–{format_date(current.last_day)}"
               f" → {format_date(first)}–{format_date(last)}")
    cost = sum(len(p.line_user_ids) for p in people)
    if dry_run:
        click.echo(f"（試算）會公告給 {len(people)} 人，約用 {cost} 則訊息額度。未寫入。")
        return
    action, flow = _WINDOW_ACTIONS[base]
    body = text("schedule.window.changed", window=label, start=format_date(first),
                end=format_date(last), old_start=format_date(current.first_day),
                old_end=format_date(current.last_day))
    button_key = f"rules.button.{flow}"
    until = max(at_taipei(last + timedelta(days=1)), now + timedelta(days=1))
    with svc.db.transaction() as session:
        change = schedule.record_window_change(
            session, kind=kind, academic_year=year, semester=semester, first_day=first,
            last_day=last, previous=(current.first_day, current.last_day), now=now,
            changed_by=_operator(),
        )
        schedule.create_announcement(
            session, source="window_change", source_id=change.id, audience=audience, body=body,
            action=action, action_label=TEXTS.get(button_key), now=now, until=until,
            # A window that now closes earlier is news people must not miss.
            priority=URGENT if last < current.last_day else NORMAL, created_by=_operator(),
        )
    counts = _send_now(svc)
    if counts.get("quiet"):
        click.echo(f"已記錄。現在是勿擾時段，公告會在 {format_datetime(rules.next_send_time(now))}"
                   f" 後送給 {len(people)} 人。")
    else:
        click.echo(f"已記錄並公告給 {counts.get('announcement', 0)} 人"
                   f"（{counts.get('line_calls', 0)} 次 LINE 呼叫）。")


@windows_cli.command("list")
@click.option("--year", type=int, help=YEAR_HELP)
def windows_list(year: int | None) -> None:
    """List the windows of a year as they now run, marking those the working group changed."""
    from storage import schedule
    from storage.rules import NotConfigured

    svc = _svc()
    year = year or _today_year(svc)
    with svc.db.session() as session:
        rules = schedule.effective_rules(session, svc.rules)
        changed = {(c.kind, c.semester) for c in schedule.window_changes(session, year)}
    try:
        rules.year(year)
    except NotConfigured as exc:
        raise click.ClickException(str(exc)) from None
    for w in rules.windows:
        if w.academic_year != year:
            continue
        kind = f"grade12_{w.kind}" if w.grade12 else w.kind
        scope = f"{year}-{w.semester}" if w.semester else f"{year} 學年"
        mark = "  （已調整）" if (kind, w.semester) in changed else ""
        click.echo(f"{kind:<24}{scope:<10}{format_date(w.first_day)} – {format_date(w.last_day)}"
                   f"{mark}")


# --- events --------------------------------------------------------------------------------------


def _int_list(value: str | None, what: str) -> list[int]:
    if not value:
        return []
    try:
        return [int(v) for v in value.replace("，", ",").split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"{what} 請用逗號分隔的數字，例如 1,2") from None


def _str_list(value: str | None) -> list[str]:
    if not value:
        return []
    return [v.strip() for v in value.replace("，", ",").split(",") if v.strip()]


def build_audience(
    kind: str,
    students: bool,
    guardians: bool,
    teachers: bool,
    grades: Sequence[int],
    classes: Sequence[str],
) -> dict[str, Any]:
    from storage import schedule

    audience: dict[str, Any] = {}
    if students or guardians or teachers:
        audience = {"students": students, "guardians": guardians, "teachers": teachers}
    else:
        audience = dict(schedule.DEFAULT_EVENT_AUDIENCE[kind])
    if grades:
        audience["grades"] = sorted({schedule.to_rules_grade(g) for g in grades})
    if classes:
        audience["classes"] = list(classes)
    return audience


@events_cli.command("create")
@click.option("--kind", required=True,
              type=click.Choice(["student_training", "teacher_workshop", "parent_briefing"]),
              help="student_training 學生訓練 / teacher_workshop 教師研習 / "
                   "parent_briefing 親師說明會")
@click.option("--title", required=True, help="活動名稱（60 字內），例如「高一親師說明會」。")
@click.option("--date", "day", required=True, type=DATE, help="日期 YYYY-MM-DD。")
@click.option("--time", "start_time", required=True, help="開始時間 HH:MM（臺北時間）。")
@click.option("--place", required=True, help="地點（60 字內），例如「大禮堂」。")
@click.option("--grades", help="只通知這些年級，例如 1,2（或 10,11）。")
@click.option("--classes", help="只通知這些班級，例如 101,102。")
@click.option("--students", is_flag=True, help="通知學生。")
@click.option("--guardians", is_flag=True, help="通知家長。")
@click.option("--teachers", is_flag=True, help="通知教師。")
@click.option("--dry-run", is_flag=True, help="只檢查並顯示會通知多少人，不寫入、不發送。")
def events_create(
    kind: str, title: str, day: datetime, start_time: str, place: str, grades: str | None,
    classes: str | None, students: bool, guardians: bool, teachers: bool, dry_run: bool,
) -> None:
    """Create an event; its audience gets a notice with 參加 / 不克參加.

    Without --students/--guardians/--teachers: training → students, workshop → teachers,
    briefing → guardians. Those who answer 參加 are reminded the day before, and the office
    running it gets the counts then (also any time with `portfolio events counts ID`).
    """
    from sqlalchemy import select

    from flows.events import kind_label, when_text
    from storage import schedule
    from storage.models.school import SchoolClass

    title, place = title.strip(), place.strip()
    if not title or len(title) > 60:
        raise click.BadParameter("名稱需要 1 到 60 個字", param_hint="--title")
    if not place or len(place) > 60:
        raise click.BadParameter("地點需要 1 到 60 個字", param_hint="--place")
    try:
        clock_time = time.fromisoformat(start_time.strip())
    except ValueError:
        raise click.BadParameter("請用 HH:MM，例如 09:30", param_hint="--time") from None
    grade_list = _int_list(grades, "--grades")
    if any(g not in (1, 2, 3, 10, 11, 12) for g in grade_list):
        raise click.BadParameter("年級是 1 到 3（或 10 到 12）", param_hint="--grades")
    class_list = _str_list(classes)
    svc = _svc()
    now = svc.clock.now()
    starts_at = at_taipei(day.date(), clock_time.hour, clock_time.minute)
    if starts_at <= now:
        raise click.BadParameter(f"{format_datetime(starts_at)} 已經過了", param_hint="--date")
    audience = build_audience(kind, students, guardians, teachers, grade_list, class_list)
    year = academic_year_of(day.date())
    with svc.db.session() as session:
        if class_list:
            known = set(session.scalars(select(SchoolClass.code)))
            missing = [c for c in class_list if c not in known]
            if missing:
                raise click.BadParameter(f"找不到班級 {'、'.join(missing)}", param_hint="--classes")
        people = schedule.audience_recipients(session, audience)
    click.echo(f"{kind_label(kind)}「{title}」{when_text(starts_at)}，{place}；{year} 學年度")
    click.echo(f"通知對象：{describe_audience(audience)}，共 {len(people)} 人"
               f"（約用 {sum(len(p.line_user_ids) for p in people)} 則訊息額度）")
    if dry_run:
        click.echo("（試算）未寫入。")
        return
    with svc.db.transaction() as session:
        event = schedule.create_event(
            session, kind=kind, title=title, starts_at=starts_at, place=place, audience=audience,
            academic_year=year, now=now, created_by=_operator(),
        )
        event_id = event.id
    counts = _send_now(svc)
    when = "現在" if not counts.get("quiet") else "勿擾時段結束後"
    click.echo(f"已建立活動 #{event_id}，{when}通知 {len(people)} 人。")


def describe_audience(audience: dict[str, Any]) -> str:
    who = [label for key, label in (("students", "學生"), ("guardians", "家長"),
                                    ("teachers", "教師")) if audience.get(key)]
    out = "、".join(who) or "（無）"
    if audience.get("grades"):
        out += "；年級 " + "、".join(f"高{'一二三'[g - 10]}" for g in audience["grades"])
    if audience.get("classes"):
        out += "；班級 " + "、".join(audience["classes"])
    return out


@events_cli.command("list")
@click.option("--year", type=int, help=YEAR_HELP)
def events_list(year: int | None) -> None:
    """List a year's events with their audience and RSVP counts."""
    from flows.events import kind_label, when_text
    from storage import schedule

    svc = _svc()
    year = year or _today_year(svc)
    with svc.db.session() as session:
        events = schedule.events_in_year(session, year)
        if not events:
            click.echo(f"{year} 學年度還沒有活動。用 portfolio events create 建立。")
        for e in events:
            c = schedule.rsvp_counts(session, e)
            state = "（已取消）" if e.cancelled_at else ""
            click.echo(
                f"#{e.id}  {when_text(e.starts_at)}  {kind_label(e.kind)}「{e.title}」 {e.place}"
                f"{state}\n      對象：{describe_audience(e.audience)}；參加 {c.attending}、"
                f"不克參加 {c.declined}、未回覆 {c.unanswered}（共 {c.invited} 人）"
            )
        missing = [k for k in svc.rules.required_events if not schedule.has_event(session, k, year)]
    if missing and year in svc.rules.years:
        due = [f"{kind_label(k)}（{format_date(svc.rules.event_deadline(k, year))} 前）"
               for k in missing]
        click.echo("尚未排定（補充規定第六點每學年至少一次）：" + "、".join(due))


@events_cli.command("counts")
@click.argument("event_id", type=int)
def events_counts(event_id: int) -> None:
    """Show who answered 參加 / 不克參加 for one event."""
    from flows.events import kind_label, when_text
    from storage import schedule
    from storage.models.schedule import SchoolEvent

    svc = _svc()
    with svc.db.session() as session:
        event = session.get(SchoolEvent, event_id)
        if event is None:
            raise click.ClickException(f"沒有活動 #{event_id}；用 portfolio events list 查看編號")
        c = schedule.rsvp_counts(session, event)
        click.echo(f"#{event.id} {kind_label(event.kind)}「{event.title}」"
                   f"{when_text(event.starts_at)} {event.place}")
        click.echo(f"參加 {c.attending}、不克參加 {c.declined}、未回覆 {c.unanswered}"
                   f"（共通知 {c.invited} 人）")
        names = schedule.attendee_names(session, event.id)
        if names:
            click.echo("參加：" + "、".join(names))


def register(app: Flask) -> None:
    for group in (rules_cli, windows_cli, events_cli):
        app.cli.add_command(group)
