"""`portfolio rules|windows|events`: the school's rules, windows the working group sets, events."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from bot.cli_base import DATE, StaffError
from catalogue import TEXTS, text
from flows.events import kind_label, when_text
from jobs import reminders
from jobs.notice_plan import FLOW_ACTIONS
from jobs.queue import DELIVERY
from rules.model import NotConfigured, RulesError
from rules.reader import check_rules_file
from rules.school_rules import overlap_notes
from rules.table import render_rules_table
from runtime.services import services
from school import calendar, events_office, recipients, school_events, windows
from storage.clock import TAIPEI, academic_year_of, format_date, format_datetime
from storage.models.schedule import SchoolEvent

rules_cli = AppGroup("rules", help=text("cli.schedule.rules.help"))
windows_cli = AppGroup("windows", help=text("cli.schedule.windows.help"))
events_cli = AppGroup("events", help=text("cli.schedule.events.help"))

YEAR_HELP = text("cli.schedule.opt.year")


def _svc() -> Any:
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
    counts = reminders.run(svc)
    svc.queue.enqueue("jobs.delivery.deliver_due_job", queue=DELIVERY)
    return counts


# --- rules ---------------------------------------------------------------------------------------


@rules_cli.command("show", help=text("cli.schedule.rules.show.help"))
@click.option("--year", type=int, help=YEAR_HELP)
def rules_show(year: int | None) -> None:
    """Print the rules as they run this academic year: semesters, windows, limits, the schedule."""
    svc = _svc()
    year = year or _today_year(svc)
    with svc.db.session() as session:
        rules = windows.effective_rules(session, svc.rules)
        changes = windows.window_changes(session, year)
    try:
        click.echo(render_rules_table(rules, year), nl=False)
    except NotConfigured:
        known = "、".join(str(y) for y in rules.years)
        raise StaffError(text("cli.schedule.rules.no_year", year=year, known=known)) from None
    if changes:
        click.echo(text("cli.schedule.rules.changes"))
        for c in changes:
            scope = _scope(c.academic_year, c.semester)
            click.echo(
                text(
                    "cli.schedule.rules.change",
                    at=format_datetime(c.changed_at),
                    window=_window_label(c.kind),
                    scope=scope,
                    old_start=format_date(c.previous_first_day),
                    old_end=format_date(c.previous_last_day),
                    start=format_date(c.first_day),
                    end=format_date(c.last_day),
                )
                + (text("cli.schedule.rules.changed_by", who=c.changed_by) if c.changed_by else "")
            )


@rules_cli.command("check", help=text("cli.schedule.rules.check.help"))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def rules_check(file: Path) -> None:
    """Validate a rules file (syntax, dates, national rules, texts and buttons it names)."""
    if not file.is_file():
        raise StaffError(text("cli.error.no_file", path=file))
    try:
        rules = check_rules_file(file, known_text_keys=TEXTS.keys(), known_flows=FLOW_ACTIONS)
    except RulesError as exc:
        click.echo(text("cli.schedule.rules.check_error", error=exc), err=True)
        raise click.exceptions.Exit(1) from None
    years = "、".join(str(y) for y in rules.years)
    click.echo(
        text(
            "cli.schedule.rules.check_ok",
            name=rules.school.name,
            code=rules.school.code,
            years=years,
            rows=len(rules.schedule),
        )
    )
    for note in overlap_notes(rules):
        click.echo(note)
    now = _svc().clock.now()
    if rules.rollover_due(now):
        click.echo(
            text(
                "school_rules.rollover.check",
                end=format_date(rules.calendar_end),
                year=max(rules.years) + 1,
            )
        )


# --- windows -------------------------------------------------------------------------------------


def _window_label(kind: str) -> str:
    return calendar.window_label(kind)


def _scope(year: int, semester: int | None) -> str:
    """The scope of a window: year-semester, or the whole academic year."""
    return f"{year}-{semester}" if semester else text("cli.schedule.whole_year", year=year)


def window_audience(kind: str) -> dict[str, Any]:
    return calendar.window_audience(kind)


@windows_cli.command("set", help=text("cli.schedule.windows.set.help"))
@click.argument(
    "kind",
    type=click.Choice(
        [
            "upload",
            "performance_upload",
            "certification",
            "picking",
            "receipt_confirmation",
            "grade12_upload",
            "grade12_certification",
        ]
    ),
)
@click.option("--year", type=int, required=True, help=text("cli.schedule.opt.year_required"))
@click.option(
    "--semester", type=click.IntRange(1, 2), help=text("cli.schedule.windows.opt.semester")
)
@click.option("--start", type=DATE, help=text("cli.schedule.windows.opt.start"))
@click.option("--end", type=DATE, help=text("cli.schedule.windows.opt.end"))
@click.option("--dry-run", is_flag=True, help=text("cli.schedule.windows.opt.dry_run"))
def windows_set(
    kind: str,
    year: int,
    semester: int | None,
    start: date | None,
    end: date | None,
    dry_run: bool,
) -> None:
    """Set or change a window; checked like the rules file, then announced (公告) once."""
    svc = _svc()
    now = svc.clock.now()
    with svc.db.session() as session:
        try:
            preview = calendar.preview_window_change(
                session, svc.rules, kind, year, semester, start, end
            )
        except calendar.WindowRefused as refused:
            raise StaffError(refused.message) from None
        rules = windows.effective_rules(session, svc.rules)
    if preview.unchanged:
        click.echo(
            text(
                "cli.schedule.windows.unchanged",
                window=preview.label,
                start=format_date(preview.first),
                end=format_date(preview.last),
            )
        )
        return
    click.echo(
        text(
            "cli.schedule.windows.change",
            window=preview.label,
            scope=preview.scope,
            old_start=format_date(preview.old_first),
            old_end=format_date(preview.old_last),
            start=format_date(preview.first),
            end=format_date(preview.last),
        )
    )
    for note in preview.notes:
        click.echo(note)
    if dry_run:
        click.echo(text("cli.schedule.windows.dry_run", people=preview.people, cost=preview.cost))
        return
    with svc.db.transaction() as session:
        calendar.apply_window_change(session, preview, now, _operator())
    counts = _send_now(svc)
    if counts.get("quiet"):
        click.echo(
            text(
                "cli.schedule.windows.quiet",
                at=format_datetime(rules.next_send_time(now)),
                people=preview.people,
            )
        )
    else:
        click.echo(
            text(
                "cli.schedule.windows.sent",
                people=counts.get("announcement", 0),
                calls=counts.get("line_calls", 0),
            )
        )


@windows_cli.command("list", help=text("cli.schedule.windows.list.help"))
@click.option("--year", type=int, help=YEAR_HELP)
def windows_list(year: int | None) -> None:
    """List the windows of a year as they now run, marking those the working group changed."""
    svc = _svc()
    year = year or _today_year(svc)
    with svc.db.session() as session:
        rules = windows.effective_rules(session, svc.rules)
        changed = {(c.kind, c.semester) for c in windows.window_changes(session, year)}
    try:
        rules.year(year)
    except NotConfigured:
        known = "、".join(str(y) for y in rules.years)
        raise StaffError(text("cli.schedule.rules.no_year", year=year, known=known)) from None
    for w in rules.windows:
        if w.academic_year != year:
            continue
        kind = f"grade12_{w.kind}" if w.grade12 else w.kind
        scope = _scope(year, w.semester)
        mark = text("cli.schedule.windows.changed_mark") if (kind, w.semester) in changed else ""
        click.echo(
            text(
                "cli.schedule.windows.list_line",
                window=_window_label(kind),
                kind=kind,
                scope=scope,
                start=format_date(w.first_day),
                end=format_date(w.last_day),
                mark=mark,
            )
        )


# --- events --------------------------------------------------------------------------------------


def _int_list(value: str | None, what: str) -> list[int]:
    if not value:
        return []
    try:
        return [int(v) for v in value.replace("，", ",").split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(text("cli.schedule.events.bad_numbers", what=what)) from None


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
    audience: dict[str, Any] = {}
    if students or guardians or teachers:
        audience = {"students": students, "guardians": guardians, "teachers": teachers}
    else:
        audience = dict(school_events.DEFAULT_EVENT_AUDIENCE[kind])
    if grades:
        audience["grades"] = sorted({recipients.to_rules_grade(g) for g in grades})
    if classes:
        audience["classes"] = list(classes)
    return audience


@events_cli.command("create", help=text("cli.schedule.events.create.help"))
@click.option(
    "--kind",
    required=True,
    type=click.Choice(
        [
            "student_training",
            "teacher_workshop",
            "parent_briefing",
            "working_group_meeting",
            "teaching_workshop",
            "counselling_training",
        ]
    ),
    help=text("cli.schedule.events.opt.kind"),
)
@click.option("--title", required=True, help=text("cli.schedule.events.opt.title"))
@click.option("--date", "day", required=True, type=DATE, help=text("cli.schedule.events.opt.date"))
@click.option("--time", "start_time", required=True, help=text("cli.schedule.events.opt.time"))
@click.option("--place", required=True, help=text("cli.schedule.events.opt.place"))
@click.option("--grades", help=text("cli.schedule.events.opt.grades"))
@click.option("--classes", help=text("cli.schedule.events.opt.classes"))
@click.option("--students", is_flag=True, help=text("cli.schedule.events.opt.students"))
@click.option("--guardians", is_flag=True, help=text("cli.schedule.events.opt.guardians"))
@click.option("--teachers", is_flag=True, help=text("cli.schedule.events.opt.teachers"))
@click.option("--dry-run", is_flag=True, help=text("cli.schedule.events.opt.dry_run"))
def events_create(
    kind: str,
    title: str,
    day: date,
    start_time: str,
    place: str,
    grades: str | None,
    classes: str | None,
    students: bool,
    guardians: bool,
    teachers: bool,
    dry_run: bool,
) -> None:
    """Create an event; its audience gets a notice with 參加 / 不克參加.

    Without --students/--guardians/--teachers: training → students, workshop → teachers,
    briefing → guardians. Those who answer 參加 are reminded the day before, and the office
    running it gets the counts then (also any time with `portfolio events counts ID`).
    """
    grade_list = _int_list(grades, "--grades")
    class_list = _str_list(classes)
    svc = _svc()
    now = svc.clock.now()
    with svc.db.session() as session:
        try:
            plan = events_office.plan_event(
                session,
                now,
                kind=kind,
                title=title,
                day=day,
                start_time=start_time,
                place=place,
                grades=grade_list,
                classes=class_list,
                students=students,
                guardians=guardians,
                teachers=teachers,
            )
        except events_office.EventRefused as refused:
            raise StaffError(refused.message) from None
    click.echo(
        text(
            "cli.schedule.events.summary",
            kind=kind_label(kind),
            title=plan.title,
            when=when_text(plan.starts_at),
            place=plan.place,
            year=plan.academic_year,
        )
    )
    click.echo(
        text(
            "cli.schedule.events.audience",
            audience=describe_audience(plan.audience),
            people=plan.people,
            cost=plan.cost,
        )
    )
    if dry_run:
        click.echo(text("cli.schedule.events.dry_run"))
        return
    with svc.db.transaction() as session:
        event_id = events_office.create(session, plan, now, _operator())
    counts = _send_now(svc)
    when = text(
        "cli.schedule.events.now" if not counts.get("quiet") else "cli.schedule.events.after_quiet"
    )
    click.echo(text("cli.schedule.events.created", id=event_id, when=when, people=plan.people))


def describe_audience(audience: dict[str, Any]) -> str:
    who = [
        text(f"cli.schedule.audience.{key}")
        for key in ("students", "guardians", "teachers")
        if audience.get(key)
    ]
    out = "、".join(who) or text("cli.schedule.audience.nobody")
    if audience.get("grades"):
        out += text(
            "cli.schedule.audience.grades",
            grades="、".join(text(f"cli.schedule.audience.grade.{g}") for g in audience["grades"]),
        )
    if audience.get("classes"):
        out += text("cli.schedule.audience.classes", classes="、".join(audience["classes"]))
    return out


@events_cli.command("list", help=text("cli.schedule.events.list.help"))
@click.option("--year", type=int, help=YEAR_HELP)
def events_list(year: int | None) -> None:
    """List a year's events with their audience and RSVP counts."""
    svc = _svc()
    year = year or _today_year(svc)
    with svc.db.session() as session:
        events = school_events.events_in_year(session, year)
        if not events:
            click.echo(text("cli.schedule.events.none", year=year))
        for e in events:
            c = school_events.rsvp_counts(session, e)
            state = text("cli.schedule.events.cancelled") if e.cancelled_at else ""
            click.echo(
                text(
                    "cli.schedule.events.line",
                    id=e.id,
                    when=when_text(e.starts_at),
                    kind=kind_label(e.kind),
                    title=e.title,
                    place=e.place,
                    state=state,
                    audience=describe_audience(e.audience),
                    attending=c.attending,
                    declined=c.declined,
                    unanswered=c.unanswered,
                    invited=c.invited,
                )
            )
        missing = [
            k for k in svc.rules.required_events if not school_events.has_event(session, k, year)
        ]
    if missing and year in svc.rules.years:
        due = [
            text(
                "cli.schedule.events.due",
                kind=kind_label(k),
                deadline=format_date(svc.rules.event_deadline(k, year)),
            )
            for k in missing
        ]
        click.echo(text("cli.schedule.events.missing", due="、".join(due)))


@events_cli.command("counts", help=text("cli.schedule.events.counts.help"))
@click.argument("event_id", type=int)
def events_counts(event_id: int) -> None:
    """Show who answered 參加 / 不克參加 for one event."""
    svc = _svc()
    with svc.db.session() as session:
        event = session.get(SchoolEvent, event_id)
        if event is None:
            raise StaffError(text("cli.schedule.events.unknown", id=event_id))
        c = school_events.rsvp_counts(session, event)
        click.echo(
            text(
                "cli.schedule.events.counts.title",
                id=event.id,
                kind=kind_label(event.kind),
                title=event.title,
                when=when_text(event.starts_at),
                place=event.place,
            )
        )
        click.echo(
            text(
                "cli.schedule.events.counts.line",
                attending=c.attending,
                declined=c.declined,
                unanswered=c.unanswered,
                invited=c.invited,
            )
        )
        names = school_events.attendee_names(session, event.id)
        if names:
            click.echo(text("cli.schedule.events.counts.names", names="、".join(names)))


def register(app: Flask) -> None:
    for group in (rules_cli, windows_cli, events_cli):
        app.cli.add_command(group)
