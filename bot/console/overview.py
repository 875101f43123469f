"""總覽: this semester's progress per class and course, the lists behind every number."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Response, g, request, url_for
from markupsafe import Markup

from bot.console.core import (
    OFFICE_STAFF,
    bp,
    moment,
    now,
    page,
    reading,
    render,
    require,
    svc,
    user,
    wants_xlsx,
    xlsx,
)
from catalogue import TEXTS, text
from rules.model import NotConfigured, Semester
from school import overview as ov
from school.dates import show_date


def _semester() -> Semester | None:
    return svc().rules.current_semester(now())


def _scope(session: Any, semester: Semester) -> ov.Scope:
    who = user()
    return ov.scope_for(
        session,
        who.staff_id,
        who.has(*OFFICE_STAFF),
        who.homeroom_class_ids,
        semester.academic_year,
        semester.number,
    )


def _window(semester: Semester) -> tuple[Any, Any] | None:
    try:
        upload = semester.window("upload")
    except NotConfigured:
        return None
    return upload.first_day, upload.last_day


def _messages(session: Any) -> ov.Messages | None:
    if not user().has(*OFFICE_STAFF):
        return None
    rules = svc().rules
    limit = min(svc().settings.line_monthly_quota, rules.monthly_quota or 10**9)
    return ov.monthly_messages(session, now(), limit)


@bp.get("/")
@page("overview")
def overview() -> Response:
    semester = _semester()
    if semester is None:
        return render("overview.html", data=None)
    window = _window(semester)
    with reading() as session:
        scope = _scope(session, semester)
        data = ov.overview(session, scope, semester.academic_year, semester.number, window)
        messages = _messages(session)
    chart = {
        "classes": ov.per_class_labels(data.classes),
        "days": {
            "labels": [show_date(d) for d, _ in data.per_day],
            "counts": [n for _, n in data.per_day],
        },
        "names": {
            key: text(f"console.overview.series.{key}")
            for key in ("certified", "pending", "rejected", "performances", "silent", "uploads")
        },
    }
    return render(
        "overview.html",
        data=data,
        semester=semester,
        window=window,
        messages=messages,
        chart_json=Markup(json.dumps(chart, ensure_ascii=False).replace("<", "\\u003c")),
    )


@bp.app_template_global()
def progress_link(kind: str, class_id: int | None = None, course_id: int | None = None) -> str:
    """The list behind one number (built by hand: the overview has over a thousand of them)."""
    base = g.get("list_base")
    if base is None:
        base = g.list_base = url_for("console.progress_list", kind="_").removesuffix("_")
    where = urlencode(
        {k: v for k, v in (("class", class_id), ("course", course_id)) if v is not None}
    )
    return f"{base}{kind}?{where}" if where else f"{base}{kind}"


@bp.get("/list/<kind>")
@page("overview")
def progress_list(kind: str) -> Response:
    require(kind in ov.LIST_KINDS)
    semester = _semester()
    require(semester is not None)
    assert semester is not None
    class_id = request.args.get("class", type=int)
    course_id = request.args.get("course", type=int)
    with reading() as session:
        scope = _scope(session, semester)
        # A crafted URL for another class or course: 403, nothing shown.
        if class_id is not None:
            require(scope.sees_class(class_id))
        if course_id is not None:
            require(scope.sees_course(course_id))
        if class_id is None and course_id is None:
            require(scope.whole_school or bool(scope.class_ids) or kind in ov.OUTCOME_STATES)
        found = ov.listing(
            session,
            scope,
            semester.academic_year,
            semester.number,
            kind,
            class_id=class_id,
            course_id=course_id,
            page=None if wants_xlsx() else request.args.get("page", 1, type=int),
        )
    rows = found.rows
    title = text(f"console.list.{kind}")
    if wants_xlsx():
        headers = [
            text(f"console.list.col.{c}")
            for c in ("student_no", "name", "class", "seat", "what", "status", "at")
        ]
        return xlsx(
            f"list-{kind}",
            headers,
            [
                [
                    r.student_no,
                    r.name,
                    r.class_code,
                    r.seat,
                    r.what,
                    status_name(r.status),
                    moment(r.at) if r.at else "",
                ]
                for r in rows
            ],
        )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render(
        "list.html",
        title=title,
        rows=rows,
        kind=kind,
        found=found,
        page_url=lambda n: url_for("console.progress_list", kind=kind, page=n, **args),
        xlsx_url=url_for("console.progress_list", kind=kind, format="xlsx", **args),
    )


@bp.app_template_filter("status")
def status_name(status: str) -> str:
    key = f"console.status.{status}"
    return text(key) if key in TEXTS else status
