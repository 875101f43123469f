"""學生異動 (註冊組, rules 五 and 九): transfer in/out, repeat, re-enrol, renumber, graduate (and
undo a mistaken graduation) — each shown first as a preview (the change made and rolled back),
then done on confirm; a student's whole portfolio as a zip for the school they move to (a job)."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.console.core import bp, now, page, record, render, require, svc, transaction, user
from bot.console.office import STUDENT_ROLES, office_of
from catalogue import text
from jobs.lifecycle import say_farewells
from jobs.queue import DELIVERY
from school import graduation
from school import jobs as console_jobs
from school import lifecycle as life
from school.dates import DateFormatError, parse_date
from storage.clock import format_date, taipei_date
from storage.models.portfolio import CourseOutcome, Performance

KINDS = ("transfer_in", "transfer_out", "repeat", "reenrol", "renumber")
FIELDS = (
    "kind",
    "student_no",
    "class_code",
    "seat",
    "day",
    "name",
    "national_id",
    "new_no",
    "note",
)


def _refused(**context: object) -> Response:
    """The 學生異動 page again, 400, with what was refused and the form as it was sent."""
    return render("office_students.html", status=400, kinds=KINDS, **context)


def _items(session: Session, student_id: int) -> int:
    return sum(
        int(
            session.scalar(
                select(func.count()).select_from(model).where(model.student_id == student_id)
            )
            or 0
        )
        for model in (CourseOutcome, Performance)
    )


def _apply(session: Session, form: dict[str, str]) -> tuple[dict[str, Any], list[Any]]:
    """Make the change in this session; return what it did (for the preview or the result)."""
    kind, no = form["kind"], form["student_no"].strip()
    day = parse_date(form["day"]) if form.get("day", "").strip() else taipei_date(now())
    note = form.get("note", "").strip()[:200] or None
    seat = int(form["seat"]) if form.get("seat", "").strip().isdigit() else 0
    code = form.get("class_code", "").strip()
    by = user().staff_no
    if kind == "transfer_in":
        result = life.transfer_in(
            session,
            now(),
            student_no=no,
            day=day,
            class_code=code,
            seat_no=seat,
            name=form.get("name", "").strip() or None,
            national_id=form.get("national_id", "").strip() or None,
            note=note,
            by=by,
        )
        student, farewells, before = result.student, [], "—"
    else:
        student = life.require_student(session, no)
        before = student.class_seat
        farewells = []
        if kind == "transfer_out":
            result = life.transfer_out(session, now(), student, day, note=note, by=by)
            farewells = result.farewells
        elif kind == "repeat":
            result = life.repeat(session, now(), student, day, code, seat, None, note, by)
        elif kind == "reenrol":
            result = life.reenrol(
                session,
                now(),
                student,
                day,
                code,
                seat,
                None,
                form.get("new_no", "").strip() or None,
                note,
                by,
            )
        else:
            life.renumber(session, now(), student, form.get("new_no", "").strip(), day, by)
            result = None
    session.flush()
    session.refresh(student)  # its class, as the change left it
    summary = {
        "kind": text(f"console_office.students.kind.{kind}"),
        "no": student.student_no,
        "name": student.name,
        "before": before,
        "after": student.class_seat,
        "status": student.status,
        "day": format_date(day),
        "enrolled": getattr(result, "enrolled", 0),
        "unenrolled": getattr(result, "unenrolled", 0),
        "item_count": _items(session, student.id),
        "farewells": len(farewells),
    }
    return summary, farewells


@bp.get("/students", endpoint="students")
@page("console.students")
def students_page() -> Response:
    return render("office_students.html", kinds=KINDS, values={}, done=request.args.get("done"))


@bp.post("/students")
@page("console.students_change")
def students_change() -> Response:
    form = {k: request.form.get(k, "") for k in FIELDS}
    require(form["kind"] in KINDS)
    confirm = request.form.get("confirm") == "1"
    try:
        if not confirm:
            with svc().db.session() as session:
                try:
                    summary, _ = _apply(session, form)
                finally:
                    session.rollback()  # a preview changes nothing
            return render("office_students.html", kinds=KINDS, values=form, preview=summary)
        with transaction() as session:
            summary, farewells = _apply(session, form)
            if farewells:
                say_farewells(session, svc().rules, now(), farewells, form["kind"])
            record(
                session,
                office_of(STUDENT_ROLES),
                "student_change",
                text("console_office.students.audit", **summary),
                after=summary["item_count"],
            )
    except life.LifecycleError as exc:
        return _refused(
            values=form,
            error=text(f"lifecycle.error.{exc.reason}", **exc.values),
        )
    except DateFormatError:
        return _refused(
            values=form,
            error=text("console.date_error"),
        )
    svc().queue.enqueue("jobs.delivery.deliver_due_job", queue=DELIVERY)
    return render("office_students.html", kinds=KINDS, values={}, result=summary)


@bp.post("/students/export")
@page("console.students_change")
def students_export() -> Response:
    no = request.form.get("student_no", "").strip()
    with transaction() as session:
        if life.student_by_no(session, no) is None:
            return _refused(
                values={},
                error=text("lifecycle.error.no_student", no=no),
            )
        job_id = console_jobs.start(
            session, console_jobs.EXPORT_STUDENT, {"student_no": no}, user().staff_id, now()
        )
        record(session, office_of(STUDENT_ROLES), "student_export", no)
    svc().queue.enqueue("jobs.console.run_console_job", job_id)
    return redirect(url_for("console.job", job_id=job_id), code=303)


# --- rule 九: graduation ------------------------------------------------------------------------

GRADUATION_FIELDS = ("action", "grade", "classes", "student_nos", "except_nos", "day")
# A preview lists this many students by name; the rest are counted.
MAX_LISTED = 60


class _NothingChosen(Exception):
    """The graduation form names nobody (the reason is a catalogue key's last part)."""


def _numbers(raw: str) -> list[str]:
    """Class codes or 學號 typed with spaces, commas or 、 between them."""
    return [part for part in raw.replace("、", " ").replace(",", " ").split() if part]


def _graduate(session: Session, form: dict[str, str]) -> dict[str, Any]:
    """Mark (or, with action=cancel, unmark) graduates in this session; what it did."""
    by = user().staff_no
    if form["action"] == "cancel":
        students = [life.require_student(session, no) for no in _numbers(form["student_nos"])]
        if not students:
            raise _NothingChosen("no_selection")
        for student in students:
            graduation.cancel_graduation(session, now(), student, by)
        day = taipei_date(now())
        pending = 0
    else:
        grade = int(form["grade"]) if form["grade"] in ("3", "12") else None
        classes, numbers = _numbers(form["classes"]), _numbers(form["student_nos"])
        if grade is None and not classes and not numbers:
            raise _NothingChosen("no_selection")
        day = parse_date(form["day"]) if form["day"].strip() else taipei_date(now())
        students = graduation.graduation_candidates(
            session, grade, classes, numbers, _numbers(form["except_nos"])
        )
        if not students:
            raise _NothingChosen("none")
        pending = graduation.with_pending_items(session, students)
        graduation.graduate(session, now(), students, day, by)
    session.flush()
    return {
        "action": form["action"],
        "count": len(students),
        "day": format_date(day),
        "today": day <= taipei_date(now()),
        "pending": pending,
        "students": [(s.class_seat, s.student_no, s.name) for s in students[:MAX_LISTED]],
        "more": max(0, len(students) - MAX_LISTED),
    }


@bp.post("/students/graduate")
@page("console.students_change")
def students_graduate() -> Response:
    form = {k: request.form.get(k, "") for k in GRADUATION_FIELDS}
    require(form["action"] in ("graduate", "cancel"))
    confirm = request.form.get("confirm") == "1"
    try:
        if not confirm:
            with svc().db.session() as session:
                try:
                    summary = _graduate(session, form)
                finally:
                    session.rollback()  # a preview changes nothing
            return render(
                "office_students.html", kinds=KINDS, values={}, grad=form, grad_preview=summary
            )
        with transaction() as session:
            summary = _graduate(session, form)
            record(
                session,
                office_of(STUDENT_ROLES),
                f"student_{form['action']}",
                text(
                    f"console_office.graduation.audit.{form['action']}",
                    count=summary["count"],
                    day=summary["day"],
                    nos="、".join(no for _, no, _ in summary["students"]),
                ),
                after=summary["count"],
            )
    except _NothingChosen as nobody:
        return _refused(
            values={},
            grad=form,
            grad_error=text(f"console_office.graduation.error.{nobody}"),
        )
    except life.LifecycleError as exc:
        return _refused(
            values={},
            grad=form,
            grad_error=text(f"lifecycle.error.{exc.reason}", **exc.values),
        )
    except DateFormatError:
        return _refused(
            values={},
            grad=form,
            grad_error=text("console.date_error"),
        )
    return render("office_students.html", kinds=KINDS, values={}, grad={}, grad_result=summary)
