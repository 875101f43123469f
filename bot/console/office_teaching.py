"""教學 (任課教師, 導師, 科召集人 and anyone certifying as a proxy): the items waiting for my
certification — decided here with the same function as the chat, the first decision standing —
my courses' items, and for a 導師 every item of the class (both kinds) and the class's picking."""

from __future__ import annotations

from flask import Response, redirect, request, url_for

from bot.console.core import bp, now, page, reading, render, require, svc, transaction, user
from catalogue import TEXTS, text
from flows.certify_news import tell_rejection
from flows.links import file_link
from jobs.queue import DELIVERY
from school import certification as cert
from school import picking, teaching_desk, yearend
from storage.outbox import Outbox


def _links(file_ids: tuple[int, ...]) -> list[str]:
    settings = svc().settings
    return [
        file_link(
            settings.secret_key, settings.public_base_url, f, ("staff", user().staff_id), now()
        )
        for f in file_ids
    ]


def _label(row: teaching_desk.ItemRow) -> str:
    key = f"performance.type.{row.what}"
    return text(key) if row.kind == "performance" and key in TEXTS else row.what


@bp.get("/teaching", endpoint="teaching")
@page("console.teaching")
def teaching_page() -> Response:
    semester = svc().rules.current_semester(now())
    year, number = (semester.academic_year, semester.number) if semester else (0, 0)
    who = user()
    with reading() as session:
        waiting = teaching_desk.waiting_for(session, who.staff_id)
        mine = teaching_desk.course_items(session, who.staff_id, year, number)
        homeroom = teaching_desk.class_items(session, who.homeroom_class_ids, year, number)
        classes = (
            yearend.picking_by_class(
                session, picking.picking_year(svc().rules, now()), who.homeroom_class_ids
            )
            if who.homeroom_class_ids
            else []
        )
    links: dict[tuple[str, int], list[str]] = {
        (r.kind, r.id): _links(r.file_ids) for r in [*waiting, *mine, *homeroom]
    }
    return render(
        "office_teaching.html",
        waiting=waiting,
        mine=mine,
        homeroom=homeroom,
        classes=classes,
        links=links,
        label=_label,
        term=f"{year}-{number}",
        done=request.args.get("done"),
        refused=request.args.get("refused"),
    )


@bp.post("/teaching/decide")
@page("console.teaching_decide")
def teaching_decide() -> Response:
    form = request.form
    verdict = form.get("verdict")
    require(
        verdict in (cert.APPROVE, cert.REJECT)
        and form.get("id", "").isdigit()
        and form.get("version", "").isdigit()
    )
    reason = (form.get("reason") or "").strip()
    if verdict == cert.REJECT and not reason:
        return redirect(url_for("console.teaching", refused="no_reason"), code=303)
    if len(reason) > cert.REJECT_REASON_MAX:
        return redirect(url_for("console.teaching", refused="too_long"), code=303)
    with transaction() as session:
        result = cert.decide(
            session,
            int(form["id"]),
            user().staff_id,
            verdict,
            now(),
            svc().rules,
            reason=reason or None,
            version=int(form["version"]),
        )
        if result.ok and verdict == cert.REJECT and result.outcome is not None:
            tell_rejection(session, Outbox(session, now()), svc().rules, now(), result.outcome)
    if not result.ok:
        return redirect(url_for("console.teaching", refused=result.status), code=303)
    if verdict == cert.REJECT:
        svc().queue.enqueue("jobs.delivery.deliver_due_job", queue=DELIVERY)
    return redirect(url_for("console.teaching", done=verdict), code=303)
