"""綁定碼: issue codes by class, grade or person and download the slips; who is bound per class."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.console.core import (
    REGISTRAR,
    bp,
    now,
    page,
    reading,
    record,
    render,
    require,
    svc,
    transaction,
)
from catalogue import text
from school import codes
from school.dates import DateFormatError, parse_date
from storage.models.binding import BindingCode
from storage.models.school import SchoolClass

ROLE_CHOICES = ("student", "guardian", "staff")


def _open_codes(session: Session, role: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(BindingCode)
            .where(
                BindingCode.role == role,
                BindingCode.used_at.is_(None),
                BindingCode.revoked_at.is_(None),
                BindingCode.expires_at > now(),
            )
        )
        or 0
    )


def _pdf(slips: list[codes.Slip], role: str) -> Response:
    title = text("cli.codes.slip.title", role=text(f"cli.codes.role.{role}"))
    body = codes.slips_pdf(slips, svc().settings.line_basic_id, title, svc().settings.cjk_font)
    response = Response(body, mimetype="application/pdf")
    stamp = now().strftime("%Y%m%d-%H%M%S")
    response.headers["Content-Disposition"] = f'attachment; filename="codes-{role}-{stamp}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _page(
    status: int = 200, errors: list[str] | None = None, form: dict[str, str] | None = None
) -> Response:
    with reading() as session:
        classes = codes.binding_by_class(session)
    default_until = now() + timedelta(days=codes.binding.DEFAULT_VALID_DAYS)
    return render(
        "codes.html",
        status=status,
        classes=classes,
        errors=errors or [],
        form=form or {},
        roles=ROLE_CHOICES,
        default_until=default_until,
        basic_id=svc().settings.line_basic_id,
    )


@bp.get("/codes")
@page("codes")
def codes_page() -> Response:
    return _page()


def _issue(session: Session, role: str, days: int, **who: Any) -> list[codes.Slip]:
    students, staff = codes.choose_people(session, role, **who)
    before = _open_codes(session, role)
    slips = codes.issue_codes(session, role, now(), students, staff, days)
    where = (
        who.get("class_code")
        or (f"{who['grade']} 年級" if who.get("grade") else "")
        or who.get("person")
        or ("1" if who.get("person_id") else text("console.codes.all"))
    )
    record(
        session,
        REGISTRAR,
        "codes_reissue" if who.get("person_id") else "codes_issue",
        f"{text(f'cli.codes.role.{role}')} {where}：{len(slips)}",
        before=before,
        after=_open_codes(session, role),
    )
    return slips


@bp.post("/codes/issue")
@page("codes")
def codes_issue() -> Response:
    form = {
        k: request.form.get(k, "").strip() for k in ("role", "class", "grade", "person", "until")
    }
    errors: list[str] = []
    role = form["role"]
    if role not in ROLE_CHOICES:
        return _page(400, [text("console.codes.error.role")], form)
    grade = int(form["grade"]) if form["grade"] in ("1", "2", "3") else None
    until = None
    if form["until"]:
        try:
            until = parse_date(form["until"])
        except DateFormatError:
            errors.append(text("console.date_error"))
    if errors:
        return _page(400, errors, form)
    try:
        with transaction() as session:
            days = codes.valid_days(now(), until, None)
            slips = _issue(
                session,
                role,
                days,
                class_code=form["class"] or None,
                grade=grade,
                person=form["person"] or None,
            )
    except codes.CodesError as exc:
        return _page(400, [str(exc)], form)
    return _pdf(slips, role)


@bp.get("/codes/class/<int:class_id>")
@page("codes")
def codes_class(class_id: int) -> Response:
    with reading() as session:
        school_class = session.get(SchoolClass, class_id)
        require(school_class is not None)
        assert school_class is not None
        members = codes.class_members_binding(session, class_id)
        code = school_class.code
    return render("codes_class.html", members=members, class_code=code, class_id=class_id)


@bp.post("/codes/reissue")
@page("codes")
def codes_reissue() -> Response:
    role = request.form.get("role", "")
    person_id = request.form.get("person_id", type=int)
    if role not in ("student", "guardian") or person_id is None:
        return _page(400, [text("console.codes.error.role")])
    try:
        with transaction() as session:
            slips = _issue(session, role, codes.binding.DEFAULT_VALID_DAYS, person_id=person_id)
    except codes.CodesError as exc:
        return _page(400, [str(exc)])
    return _pdf(slips, role)
