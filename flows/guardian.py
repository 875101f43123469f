"""孩子進度: a guardian sees their own children's progress, and never another child's."""

from __future__ import annotations

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import Input
from flows.frontdesk import FrontDesk
from rules.model import COURSE_OUTCOME, PERFORMANCE
from school import item_counts
from storage.identity import GUARDIAN, Identity
from storage.models.school import Student

CHILD_PREFIX = "child:"


def on_child_progress(ctx: Ctx, ident: Identity, inp: Input) -> None:
    if not ctx.rules.guardian_progress:
        ctx.reply(m.text(text("guardian.progress_off")))
        return
    children = ident.children
    if not children:
        ctx.reply(m.text(text("guardian.no_children")))
        return
    if len(children) == 1:
        _show(ctx, children[0])
        return
    ctx.reply(
        m.text(
            text("guardian.pick_child"),
            quick=[(c.name[:20], "postback", f"{CHILD_PREFIX}{c.id}") for c in children[:13]],
        )
    )


def on_child_postback(ctx: Ctx, ident: Identity, inp: Input, rest: str) -> None:
    if not ctx.rules.guardian_progress:
        ctx.reply(m.text(text("guardian.progress_off")))
        return
    # The id in the data is only a hint: authority comes from the guardian's own links.
    allowed = {c.id: c for c in ident.children}
    child = allowed.get(int(rest)) if rest.isdigit() else None
    if child is None:
        ctx.reply(m.text(text("guardian.not_your_child")))
        return
    _show(ctx, child)


def _show(ctx: Ctx, child: Student) -> None:
    semester = ctx.rules.current_semester(ctx.now)
    if semester is None:
        ctx.reply(m.text(text("guardian.no_semester", name=child.name)))
        return
    year, number = semester.academic_year, semester.number

    outcomes = item_counts.tally(ctx.session, ctx.rules, COURSE_OUTCOME, child.id, year, number)
    performances = item_counts.tally(ctx.session, ctx.rules, PERFORMANCE, child.id, year)
    ctx.reply(
        m.text(
            text(
                "guardian.progress",
                name=child.name,
                term=semester.label,
                uploaded=outcomes.counted,
                limit=outcomes.limit,
                certified=outcomes.certified,
                pending=outcomes.pending,
                rejected=outcomes.rejected,
                performances=performances.counted,
            )
        )
    )


def register(desk: FrontDesk) -> None:
    desk.command("child_progress", ("孩子進度",), (GUARDIAN,))(on_child_progress)
    desk.postback(CHILD_PREFIX, (GUARDIAN,))(on_child_postback)
