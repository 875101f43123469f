"""活動 (教學組, 輔導室, 學務處): the year's trainings, workshops and parent briefings with RSVP
counts and names, which required events are still unplanned, a new event previewed with its
audience and cost, and the roll taken after it."""

from __future__ import annotations

from flask import Response, redirect, request, url_for

from bot.console.core import bp, now, page, reading, record, render, require, svc, transaction, user
from bot.console.office import EVENT_ROLES, office_of
from catalogue import text
from flows.events import kind_label, when_text
from jobs import reminders
from jobs.queue import DELIVERY
from school import events_office
from school.dates import DateFormatError, parse_date
from storage.clock import academic_year_of, format_date, taipei_date
from storage.models.schedule import SchoolEvent

FIELDS = ("kind", "title", "day", "time", "place", "grades", "classes")


def _year() -> int:
    raw = request.values.get("year", "")
    return int(raw) if raw.isdigit() else academic_year_of(taipei_date(now()))


def _page(status: int = 200, **extra: object) -> Response:
    year = _year()
    with reading() as session:
        rows = events_office.year_events(session, year)
        missing = events_office.unplanned(session, svc().rules, year)
    due = "、".join(
        text("console_office.events.due", kind=kind_label(k), deadline=format_date(d))
        for k, d in missing
    )
    return render(
        "office_events.html",
        status=status,
        year=year,
        rows=rows,
        due=due,
        kinds=events_office.EVENT_KINDS,
        kind_label=kind_label,
        when=when_text,
        values=extra.pop("values", {}),
        done=request.args.get("done"),
        **extra,
    )


@bp.get("/events", endpoint="events")
@page("console.events")
def events_page() -> Response:
    return _page()


def _numbers(raw: str) -> list[int]:
    return [int(x) for x in raw.replace("，", ",").split(",") if x.strip().isdigit()]


@bp.post("/events")
@page("console.events_change")
def events_change() -> Response:
    form = {k: request.form.get(k, "") for k in FIELDS}
    who = {k: request.form.get(k) == "1" for k in ("students", "guardians", "teachers")}
    try:
        day = parse_date(form["day"])
        with reading() as session:
            plan = events_office.plan_event(
                session,
                now(),
                kind=form["kind"],
                title=form["title"],
                day=day,
                start_time=form["time"],
                place=form["place"],
                grades=_numbers(form["grades"]),
                classes=[
                    c.strip() for c in form["classes"].replace("，", ",").split(",") if c.strip()
                ],
                **who,
            )
    except DateFormatError:
        return _page(400, error=text("console.date_error"), values=form)
    except events_office.EventRefused as refused:
        return _page(400, error=refused.message, values=form)
    if request.form.get("confirm") != "1":
        return _page(preview=plan, values={**form, **{k: "1" for k, v in who.items() if v}})
    with transaction() as session:
        event_id = events_office.create(session, plan, now(), user().staff_no)
        record(
            session,
            office_of(EVENT_ROLES),
            "event_create",
            text(
                "console_office.events.audit",
                kind=kind_label(plan.kind),
                title=plan.title,
                id=event_id,
            ),
            after=plan.people,
        )

    reminders.run(svc())
    svc().queue.enqueue("jobs.delivery.deliver_due_job", queue=DELIVERY)
    return redirect(url_for("console.events", year=plan.academic_year, done="1"), code=303)


@bp.route("/events/<int:event_id>/roll", methods=["GET", "POST"], endpoint="event_roll")
@page("console.events_change")
def event_roll(event_id: int) -> Response:
    with reading() as session:
        rows = [r for r in events_office.year_events(session, _year()) if r.id == event_id]
        if not rows:  # another year's event: look it up by id
            found = session.get(SchoolEvent, event_id)
            require(found is not None)
            assert found is not None
            rows = [
                r
                for r in events_office.year_events(session, found.academic_year)
                if r.id == event_id
            ]
    saved = None
    if request.method == "POST":
        with transaction() as session:
            saved = events_office.take_attendance(
                session, event_id, set(request.form.getlist("present")), now(), user().staff_id
            )
            record(session, office_of(EVENT_ROLES), "event_attendance", f"#{event_id}", after=saved)
    with reading() as session:
        roll = events_office.roll(session, event_id)
    return render(
        "office_event_roll.html",
        event=rows[0],
        roll=roll,
        saved=saved,
        kind_label=kind_label,
        when=when_text,
    )
