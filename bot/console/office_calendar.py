"""期程: the year's windows and reminders as a table and a timeline; change a window after a
preview of who is told and what it costs; next 學年度 derived from this one, adjusted, its windows
previewed, then adopted (stored and read with the rules file from then on)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, redirect, request, url_for

from bot.console.core import bp, now, page, reading, record, render, svc, transaction, user
from bot.console.office import CALENDAR_ROLES, office_of
from catalogue import text
from jobs import reminders
from jobs.queue import DELIVERY
from rules.model import SETTABLE_WINDOWS, NotConfigured
from school import calendar, calendar_adoption, windows
from school.dates import DateFormatError, parse_date
from storage.clock import academic_year_of, taipei_date

# The timeline is an SVG drawn on the server (no inline styles or scripts under the CSP).
TIMELINE_WIDTH = 720
ROW_HEIGHT = 22


def _year() -> int:
    raw = request.values.get("year", "")
    if raw.isdigit() and 100 <= int(raw) <= 999:
        return int(raw)
    return academic_year_of(taipei_date(now()))


def _optional_date(raw: str | None) -> date | None:
    raw = (raw or "").strip()
    return parse_date(raw) if raw else None


def _timeline(rows: list[calendar.WindowRow], year: int) -> dict[str, Any]:
    start, end = date(year + 1911, 8, 1), date(year + 1912, 7, 31)
    span = (end - start).days + 1
    label_width = 150
    scale = (TIMELINE_WIDTH - label_width) / span

    def x(day: date) -> float:
        return label_width + max(0, min(span, (day - start).days)) * scale

    bars = []
    for n, r in enumerate(rows):
        left = x(r.first)
        bars.append(
            {
                "y": n * ROW_HEIGHT + 4,
                "x": round(left, 1),
                "w": round(max(2.0, x(r.last) - left + scale), 1),
                "label": f"{r.label} {r.semester or ''}".strip(),
                "state": r.state,
                "changed": r.changed,
            }
        )
    today = taipei_date(now())
    months = [
        {
            "x": round(x(date(start.year + (m - 1) // 12, (m - 1) % 12 + 1, 1)), 1),
            "label": f"{(m - 1) % 12 + 1}月",
        }
        for m in range(8, 20)
    ]
    return {
        "width": TIMELINE_WIDTH,
        "height": len(rows) * ROW_HEIGHT + 24,
        "bars": bars,
        "months": months,
        "label_width": label_width,
        "today": round(x(today), 1) if start <= today <= end else None,
    }


def _page(year: int, status: int = 200, **extra: Any) -> Response:
    with reading() as session:
        try:
            rows = calendar.year_windows(session, svc().rules, year, now())
            reminders = calendar.year_reminders(session, svc().rules, year)
        except NotConfigured:
            rows, reminders = [], []
    with reading() as session:
        rules = windows.effective_rules(session, svc().rules)
    ends = calendar.runs_out_soon(rules, now())
    known = sorted(rules.years)
    return render(
        "office_calendar.html",
        status=status,
        year=year,
        rows=rows,
        reminders=reminders,
        timeline=_timeline(rows, year),
        runs_out=ends,
        known_years=known,
        kinds=SETTABLE_WINDOWS,
        label=calendar.window_label,
        done=request.args.get("done"),
        **extra,
    )


@bp.get("/calendar", endpoint="calendar")
@page("console.calendar")
def calendar_page() -> Response:
    return _page(_year())


@bp.post("/calendar/change")
@page("console.calendar_change")
def calendar_change() -> Response:
    """Preview first (nothing written); with confirm=1 the same checks run again, then it is
    recorded, audited and announced once."""
    form = request.form
    year = _year()
    kind = form.get("kind", "")
    raw_semester = form.get("semester", "")
    semester = int(raw_semester) if raw_semester in ("1", "2") else None
    values = {
        "kind": kind,
        "semester": raw_semester,
        "start": form.get("start", ""),
        "end": form.get("end", ""),
    }
    try:
        first, last = _optional_date(form.get("start")), _optional_date(form.get("end"))
        with reading() as session:
            preview = calendar.preview_window_change(
                session, svc().rules, kind, year, semester, first, last
            )
    except DateFormatError:
        return _page(year, 400, error=text("console.date_error"), values=values)
    except calendar.WindowRefused as refused:
        return _page(year, 400, error=refused.message, values=values)
    if preview.unchanged:
        return _page(year, error=text("console_office.calendar.unchanged"), values=values)
    if form.get("confirm") != "1":
        return _page(year, preview=preview, values=values)
    with transaction() as session:
        change_id = calendar.apply_window_change(session, preview, now(), user().staff_no)
        record(
            session,
            office_of(CALENDAR_ROLES),
            "window_change",
            text(
                "console_office.calendar.audit",
                window=preview.label,
                scope=preview.scope,
                old=f"{preview.old_first:%Y/%m/%d}–{preview.old_last:%Y/%m/%d}",
                new=f"{preview.first:%Y/%m/%d}–{preview.last:%Y/%m/%d}",
                id=change_id,
            ),
            before=None,
            after=preview.people,
        )
    _announce_now()
    return redirect(url_for("console.calendar", year=year, done="window"), code=303)


def _announce_now() -> None:
    """Send the announcement now (the tick would, within minutes), as the CLI does."""

    reminders.run(svc())
    svc().queue.enqueue("jobs.delivery.deliver_due_job", queue=DELIVERY)


def _overrides(form: Any) -> dict[int, dict[str, date]]:
    """The semester dates staff typed over the derived ones (DateFormatError if unreadable)."""
    overrides: dict[int, dict[str, date]] = {}
    for number in (1, 2):
        for key in ("start", "closing_ceremony", "end"):
            day = _optional_date(form.get(f"s{number}_{key}"))
            if day is not None:
                overrides.setdefault(number, {})[key] = day
    return overrides


def _draft(year: int, overrides: dict[int, dict[str, date]]) -> tuple[Any, list[Any]]:
    """Next year's draft from the calendar in use, and the windows the rules derive for it."""
    with reading() as session:
        rules = windows.effective_rules(session, svc().rules)
    draft = calendar.derive_next_year(rules, year, overrides)
    derived = (
        []
        if draft.error
        else calendar_adoption.draft_windows(rules, draft.academic_year, draft.toml())
    )
    return draft, derived


@bp.route("/calendar/next", methods=["GET", "POST"])
@page("console.calendar_next")
def calendar_next() -> Response:
    """Next 學年度 derived from this one; staff adjust dates, see the windows the rules derive
    and their verdict, then adopt it (or download it for the rules file)."""
    year = _year()
    overrides: dict[int, dict[str, date]] = {}
    error = None
    if request.method == "POST":
        try:
            overrides = _overrides(request.form)
        except DateFormatError:
            error = text("console.date_error")
    try:
        draft, derived = _draft(year, overrides)
    except NotConfigured:
        return _page(year, 400, error=text("console_office.calendar.no_base", year=year))
    if request.args.get("format") == "toml":
        response = Response(draft.toml(), mimetype="text/plain")
        response.headers["Content-Disposition"] = (
            f'attachment; filename="calendar-{draft.academic_year}.toml"'
        )
        return response
    return _next_page(year, draft, derived, error=error)


def _next_page(
    year: int, draft: Any, derived: list[Any], status: int = 200, **extra: Any
) -> Response:
    with reading() as session:
        adopted = {row.academic_year: row for row in calendar_adoption.adopted(session)}
    return render(
        "office_calendar_next.html",
        status=status,
        year=year,
        draft=draft,
        windows=derived,
        label=calendar.window_label,
        in_file=draft.academic_year in svc().rules.years,
        adopted=adopted.get(draft.academic_year),
        **extra,
    )


@bp.post("/calendar/next/adopt")
@page("console.calendar_change")
def calendar_adopt() -> Response:
    """Adopt the draft the page showed (its dates come back as hidden fields): the same checks
    as the rules file again, then stored, audited, and used by the app from now on."""
    year = _year()
    try:
        draft, derived = _draft(year, _overrides(request.form))
    except DateFormatError:
        return _page(year, 400, error=text("console.date_error"))
    except NotConfigured:
        return _page(year, 400, error=text("console_office.calendar.no_base", year=year))
    if draft.error:
        return _next_page(year, draft, derived, 400)
    try:
        with transaction() as session:
            row = calendar_adoption.adopt(
                session,
                windows.effective_rules(session, svc().rules),
                frozenset(svc().rules.years),
                draft.academic_year,
                draft.toml(),
                now(),
                user().staff_no,
            )
            record(
                session,
                office_of(CALENDAR_ROLES),
                "calendar_adopt",
                text(
                    "console_office.adopt.audit",
                    year=draft.academic_year,
                    semesters="；".join(
                        f"{s.number}：{s.start:%Y/%m/%d}–{s.end:%Y/%m/%d}" for s in draft.semesters
                    ),
                ),
                after=len(derived),
            )
            adopted_year = row.academic_year
    except calendar_adoption.AdoptionRefused as refused:
        return _next_page(
            year,
            draft,
            derived,
            400,
            error=text(f"console_office.adopt.error.{refused.reason}", **refused.values),
        )
    return redirect(url_for("console.calendar", year=adopted_year, done="adopted"), code=303)
