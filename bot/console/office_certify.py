"""認證 (教學組, 科召集人): pending items per course and teacher with their age, the proxy chain,
teachers away and back, a course's successor and a convener's designee (each previewed with what
would move to whom), the audit export; and 個別開放: exceptions for one student."""

from __future__ import annotations

import io

from flask import Response, redirect, request, url_for
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.certify_cli import AUDIT_HEADERS, _audit_table
from bot.console.core import (
    bp,
    now,
    page,
    reading,
    record,
    render,
    require,
    svc,
    transaction,
    user,
)
from bot.console.office import EXCEPTION_ROLES, office_of
from catalogue import text
from jobs.queue import DELIVERY
from school import certification_desk as desk
from school import certification_office as cert
from school import exceptions, proxy_setup
from school.dates import DateFormatError, parse_date
from storage.clock import taipei_date
from storage.models.certification import ABSENCE_KINDS, LEAVE
from storage.models.console_office import EXCEPTION_KINDS
from storage.models.school import Course, Staff

# Offices that see every course; a convener sees the subjects they head.
ALL_COURSES = frozenset({"教學組", "教學組長", "教務主任"})


def _subjects() -> list[str] | None:
    """None = every subject; else the convener's own."""
    if user().has(*ALL_COURSES):
        return None
    with reading() as session:
        return desk.subjects_of(session, user().staff_id)


def _certification_page(**extra: object) -> Response:
    subjects = _subjects()
    today = taipei_date(now())
    with reading() as session:
        rows = [
            r for r in desk.pending(session, now()) if subjects is None or r.subject in subjects
        ]
        course_id = request.args.get("course", type=int)
        chain = None
        if course_id is not None:
            require(any(r.course_id == course_id for r in rows) or subjects is None)
            chain = desk.chain(session, course_id, today)
        away = [(a, a.staff.name) for a in cert.absences(session, today=today)]
        conveners = [
            (c.subject, c.convener.name, c.designee.name if c.designee else "—")
            for c in cert.conveners(session)
        ]
        staff = list(session.scalars(select(Staff).order_by(Staff.staff_no)))
        teachers = [(s.staff_no, s.name) for s in staff]
        may_change = user().has(*ALL_COURSES)
        courses = proxy_setup.courses(session) if may_change else []
        # A convener names their own subjects' designee.
        own_subjects = sorted(subjects or []) if not may_change else []
        subjects = proxy_setup.subjects(session) if may_change else []
    return render(
        "office_certification.html",
        rows=rows,
        chain=chain,
        course_id=course_id,
        away=away,
        conveners=conveners,
        teachers=teachers,
        kinds=ABSENCE_KINDS,
        may_change=may_change,
        courses=courses,
        successors=[c for c in courses if c.successor is not None],
        subjects=subjects,
        own_subjects=own_subjects,
        done=request.args.get("done"),
        error=request.args.get("error"),
        **extra,
    )


@bp.get("/certification")
@page("console.certification")
def certification() -> Response:
    return _certification_page()


@bp.post("/certification/proxy")
@page("console.proxy_change")
def proxy_change() -> Response:
    """Mark a teacher away (their pending items move along the chain) or back."""
    form = request.form
    action = form.get("action")
    require(action in ("away", "back", "successor", "designee"))
    # A convener (not an office) may only name the designee of a subject they head.
    require(user().has(*ALL_COURSES) or action == "designee")
    if action in ("successor", "designee"):
        return _name_in_chain(action)
    with transaction() as session:
        staff = session.scalars(
            select(Staff).where(Staff.staff_no == form.get("staff_no", "").strip())
        ).first()
        if staff is None:
            return redirect(url_for("console.certification", error="staff"), code=303)
        if action == "away":
            kind = form.get("kind", LEAVE)
            require(kind in ABSENCE_KINDS)
            try:
                starts = (
                    parse_date(form.get("from", "")) if form.get("from") else taipei_date(now())
                )
                ends = parse_date(form["to"]) if form.get("to") else None
            except DateFormatError:
                return redirect(url_for("console.certification", error="date"), code=303)
            if ends is not None and ends < starts:
                return redirect(url_for("console.certification", error="date"), code=303)
            _, moves = cert.set_away(
                session,
                staff.id,
                kind,
                starts,
                ends,
                now(),
                (form.get("note") or "").strip()[:200] or None,
            )
        else:
            _, moves = cert.set_back(session, staff.id, now())
        record(
            session,
            office_of(ALL_COURSES),
            f"teacher_{action}",
            text("console_office.certify.audit_proxy", name=staff.name, moved=len(moves)),
            after=len(moves),
        )
        moved = desk.describe_moves(session, moves)
    return _certification_page(done_now=action, moved=moved)


def _name_in_chain(action: str) -> Response:
    """A course's successor or a convener's designee: previewed (made, described, rolled back),
    then set on confirm, audited, with what moved to whom."""
    form = request.form
    confirm = form.get("confirm") == "1"
    values = {k: form.get(k, "").strip() for k in ("course_id", "subject", "convener", "staff_no")}
    own = _subjects()
    if own is not None:  # a convener: their own subject, themselves as its convener
        require(values["subject"] in own)
        with reading() as session:
            me = session.get(Staff, user().staff_id)
            values["convener"] = me.staff_no if me else ""

    def staff(session: Session, number: str) -> Staff | None:
        return session.scalars(select(Staff).where(Staff.staff_no == number)).first()

    def change(session: Session) -> tuple[str, list[cert.Move]] | None:
        named = staff(session, values["staff_no"]) if values["staff_no"] else None
        if values["staff_no"] and named is None:
            return None
        if action == "successor":
            course = (
                session.get(Course, int(values["course_id"] or 0))
                if values["course_id"].isdigit()
                else None
            )
            if course is None:
                return None
            where = course.school_class.code if course.school_class else ""
            what = text(
                "console_office.proxy.successor_set"
                if named
                else "console_office.proxy.successor_cleared",
                course=f"{course.subject} {where}".strip(),
                name=named.name if named else "",
            )
            return what, cert.set_successor(session, course.id, named.id if named else None, now())
        head = staff(session, values["convener"])
        if head is None or not values["subject"]:
            return None
        what = text(
            "console_office.proxy.designee_set"
            if named
            else "console_office.proxy.designee_cleared",
            subject=values["subject"],
            convener=head.name,
            name=named.name if named else "",
        )
        moves = cert.set_convener(
            session, values["subject"], head.id, named.id if named else None, now()
        )
        return what, moves

    if not confirm:
        with svc().db.session() as session:
            try:
                done = change(session)
                moved = desk.describe_moves(session, done[1]) if done else []
            finally:
                session.rollback()  # a preview changes nothing
        if done is None:
            return redirect(url_for("console.certification", error="staff"), code=303)
        return _certification_page(
            proxy_preview={"action": action, "what": done[0], "fields": values}, moved=moved
        )
    with transaction() as session:
        done = change(session)
        if done is None:
            return redirect(url_for("console.certification", error="staff"), code=303)
        what, moves = done
        record(
            session,
            office_of(ALL_COURSES | {"科召集人"}),
            f"proxy_{action}",
            what,
            after=len(moves),
        )
        moved = desk.describe_moves(session, moves)
    return _certification_page(done_now=action, done_what=what, moved=moved)


@bp.get("/certification/audit.xlsx")
@page("console.certification_audit")
def certification_audit() -> Response:
    """The course-outcome audit trail, the same file `portfolio certify audit` writes."""

    with reading() as session:
        rows = cert.audit_rows(session)
    subjects = _subjects()
    if subjects is not None:
        rows = [r for r in rows if r.course in subjects]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(text("cli.certify.audit.sheet"))
    sheet.append(AUDIT_HEADERS)
    for row in _audit_table(rows):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    response = Response(
        buffer.getvalue(),
        mimetype=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )
    response.headers["Content-Disposition"] = 'attachment; filename="certification-audit.xlsx"'
    return response


# --- 個別開放 -------------------------------------------------------------------------------------


def _exceptions_page(status: int = 200, **extra: object) -> Response:
    with reading() as session:
        rows = exceptions.listing(session, now(), include_past=True)
    semester = svc().rules.current_semester(now())
    return render(
        "office_exceptions.html",
        status=status,
        rows=rows,
        kinds=EXCEPTION_KINDS,
        term=(semester.academic_year, semester.number) if semester else None,
        done=request.args.get("done"),
        **extra,
    )


@bp.get("/exceptions", endpoint="exceptions")
@page("console.exceptions")
def exceptions_page() -> Response:
    return _exceptions_page(values={})


@bp.post("/exceptions")
@page("console.exception_change")
def exception_change() -> Response:
    form = request.form
    if form.get("revoke"):
        with transaction() as session:
            if exceptions.revoke(session, int(form["revoke"]), now(), user().staff_id):
                record(
                    session, office_of(EXCEPTION_ROLES), "exception_revoke", f"#{form['revoke']}"
                )
        return redirect(url_for("console.exceptions", done="revoked"), code=303)
    values = {
        k: form.get(k, "") for k in ("kind", "student_no", "outcome_id", "until", "reason", "term")
    }
    try:
        until = parse_date(values["until"])
        year, semester = (int(x) for x in values["term"].split("-"))
    except (DateFormatError, ValueError):
        return _exceptions_page(
            400, error=text("console_office.exceptions.bad_form"), values=values
        )
    outcome_id = int(values["outcome_id"]) if values["outcome_id"].strip().isdigit() else None
    try:
        with transaction() as session:
            granted = exceptions.grant(
                session,
                svc().rules,
                kind=values["kind"],
                student_no=values["student_no"],
                until=until,
                reason=values["reason"],
                now=now(),
                staff_id=user().staff_id,
                academic_year=year,
                semester=semester,
                outcome_id=outcome_id,
            )
            record(
                session,
                office_of(EXCEPTION_ROLES),
                "exception_grant",
                text(
                    "console_office.exceptions.audit",
                    kind=text(f"console_office.exceptions.kind.{values['kind']}"),
                    no=values["student_no"],
                    until=f"{until:%Y/%m/%d}",
                    id=granted.exception.id,
                ),
                after=granted.messages,
            )
    except exceptions.ExceptionRefused as refused:
        return _exceptions_page(400, error=refused.message, values=values)

    svc().queue.enqueue("jobs.delivery.deliver_due_job", queue=DELIVERY)
    return redirect(url_for("console.exceptions", done="granted"), code=303)
