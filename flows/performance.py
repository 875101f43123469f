"""多元表現: pick a record type of the central database → its own fields → 內容簡述 → proof → saved.

Every record type and its fields are declared as data (RECORD_TYPES): dates are asked with
LINE's date picker, numbers are checked, choices are quick replies. Each field is its own
state, so 上一步 walks back one field at a time. The draft is a Performance row in status
draft; it survives a timeout like the course-outcome draft. 修改 on a saved item (我的歷程)
opens the same steps on an edit draft of it (school.performance_edits), starting at its card.
"""

from __future__ import annotations

from typing import Any

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import END, Flow, Input, Step, step
from flows.frontdesk import FrontDesk
from flows.my_portfolio import with_card_taps
from flows.performance_draft import (
    CONFIRM,
    FILES,
    SUMMARY,
    TERM,
    TYPE,
    draft,
    field_state,
    is_edit,
    lost,
    next_state,
)
from flows.performance_fields import field_prompt_for, field_run_for
from flows.performance_finish import (
    cannot_edit,
    confirm_prompt,
    confirm_run,
    files_prompt,
    files_run,
    summary_prompt,
    summary_run,
)
from flows.performance_types import RECORD_TYPES, TYPES
from flows.store import Conversation
from flows.submission import (
    MENU_QUICK,
    PERFORMANCE_FLOW,
    chosen_term,
    count_line,
    current_student,
    limit_refusal,
    term_prompt,
    type_label,
    window_refusal,
)
from rules.model import PERFORMANCE
from school import draft_files, item_counts, performance_edits, performances, terms
from school.items import ItemError
from school.terms import TermRef
from storage.identity import STUDENT, Identity
from storage.models.portfolio import DRAFT, Performance

FLOW = PERFORMANCE_FLOW
TYPE_PICK = "pf:type:"


def _resume_state(ctx: Ctx, performance: Performance) -> str:
    if performance.record_type not in TYPES:
        return TYPE
    for spec in TYPES[performance.record_type].fields:
        if spec.key not in performance.fields:
            return field_state(performance.record_type, spec.key)
    if not performance.summary:
        return SUMMARY
    if draft_files.page_count(ctx.session, draft_files.PERFORMANCE_DRAFT, performance.id):
        return FILES
    return CONFIRM


def _begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    student = current_student(ctx)
    if student is None:
        ctx.reply(m.text(text("desk.not_for_you")))
        return END
    if args.get("draft_id"):
        found = performances.own_performance(ctx.session, student.id, int(args["draft_id"]))
        if found is None or found.status != DRAFT:
            return lost(ctx)
        conv.data["draft_id"] = found.id
        return _resume_state(ctx, found)
    if args.get("edit_id"):
        return _begin_edit(ctx, conv, student, int(args["edit_id"]))
    open_terms = terms.upload_terms(ctx.rules, PERFORMANCE, student.grade, ctx.now)
    if len(open_terms) > 1:
        conv.data["terms"] = [[t.academic_year, t.semester] for t in open_terms]
        return TERM
    term = open_terms[0] if open_terms else terms.current_term(ctx.rules, ctx.now)
    if term is None:
        ctx.reply(m.text(text("upload.no_term")))
        return END
    return _start_term(ctx, conv, student, term)


def _begin_edit(ctx: Ctx, conv: Conversation, student: Any, performance_id: int) -> str:
    """修改 on a saved 多元表現: its edit draft (a copy) opens on the card."""
    try:
        copy = performance_edits.open_edit(
            ctx.session, ctx.rules, student.id, performance_id, ctx.now
        )
    except ItemError as exc:
        ctx.reply(m.text(cannot_edit(exc.reason), quick=[("我的歷程", "我的歷程")]))
        return END
    conv.data["draft_id"] = copy.id
    return _resume_state(ctx, copy)


def _term_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    student = current_student(ctx)
    if student is None:
        return lost(ctx)
    term = chosen_term(conv, inp)
    if term is None:
        ctx.reply(m.text(text("school_rules.term.unknown")))
        return TERM
    return _start_term(ctx, conv, student, term)


def _start_term(ctx: Ctx, conv: Conversation, student: Any, term: TermRef) -> str:
    check = terms.check_window_for(
        ctx.session, ctx.rules, PERFORMANCE, term, student.id, student.grade, ctx.now
    )
    if not check.open:
        ctx.reply(m.text(window_refusal(check, PERFORMANCE)))
        return END
    usage = item_counts.room(ctx.session, ctx.rules, PERFORMANCE, student.id, term)
    if usage.full_scope is not None:
        ctx.reply(m.text(limit_refusal(usage), quick=MENU_QUICK))
        return END
    conv.data["term"] = [term.academic_year, term.semester]
    return TYPE


# --- the record type ---


def _type_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    student = current_student(ctx)
    count = ""
    if student is not None and conv.data.get("term"):
        year, semester = conv.data["term"]
        usage = item_counts.room(
            ctx.session, ctx.rules, PERFORMANCE, student.id, TermRef(int(year), int(semester))
        )
        count = count_line(usage, usage.semester.used + 1)
    quick: list[Any] = [
        (type_label(t.key)[:20], "postback", f"{TYPE_PICK}{t.key}") for t in RECORD_TYPES
    ]
    listing = "\n".join(f"・{type_label(t.key)}" for t in RECORD_TYPES)
    return [m.text(text("performance.ask_type", count=count, listing=listing), quick=quick)]


def _type_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    student = current_student(ctx)
    if student is None:
        return lost(ctx)
    chosen: str | None = None
    if inp.kind == "postback" and inp.data.startswith(TYPE_PICK):
        chosen = inp.data[len(TYPE_PICK) :]
    elif inp.kind == "text":
        chosen = next(
            (
                t.key
                for t in RECORD_TYPES
                if inp.word in (type_label(t.key), type_label(t.key)[:20])
            ),
            None,
        )
    if chosen not in TYPES:
        ctx.reply(m.text(text("performance.type_unknown")))
        return TYPE
    assert chosen is not None
    performance = draft(ctx, conv)
    if performance is None:
        if conv.data.get("term"):
            year, semester = conv.data["term"]
            term = TermRef(int(year), int(semester))
        else:
            found = terms.current_term(ctx.rules, ctx.now)
            if found is None:
                return lost(ctx)
            term = found
        performance = performances.create_performance_draft(
            ctx.session, student.id, chosen, term, ctx.now
        )
        conv.data["draft_id"] = performance.id
    elif performance.record_type != chosen:
        # Back at the start with another type: the old type's fields (and the way back
        # through them) do not apply.
        performance.record_type = chosen
        performance.fields = {}
        conv.history.clear()
    return next_state(performance)


def _on_cancel(ctx: Ctx, conv: Conversation) -> str:
    performance = draft(ctx, conv)
    if performance is None:
        return "flow.cancelled"
    performances.discard_performance_draft(ctx.session, performance)
    return "performance.edit_cancelled" if is_edit(performance) else "upload.cancelled"


def _describe(ctx: Ctx, conv: Conversation) -> str:
    performance = draft(ctx, conv)
    if performance is None:
        return ""
    key = (
        "performance.edit_description" if is_edit(performance) else "performance.draft_description"
    )
    return text(key, type=type_label(performance.record_type))


def _steps() -> dict[str, Step]:
    steps: dict[str, Step] = {
        TERM: step(
            ("postback", "text"), _term_run, lambda ctx, conv: term_prompt(conv, PERFORMANCE)
        ),
        TYPE: step(("postback", "text"), with_card_taps(_type_run), _type_prompt),
    }
    for record_type in RECORD_TYPES:
        for spec in record_type.fields:
            steps[field_state(record_type.key, spec.key)] = step(
                ("postback", "text"),
                with_card_taps(field_run_for(record_type.key, spec)),
                field_prompt_for(record_type.key, spec),
            )
    steps[SUMMARY] = step(
        ("text", "postback"),
        with_card_taps(summary_run),
        summary_prompt,
        unexpected_key="upload.summary_expected",
    )
    steps[FILES] = step(
        ("image", "video", "audio", "file", "postback", "text"),
        with_card_taps(files_run),
        files_prompt,
    )
    steps[CONFIRM] = step(("postback", "text"), with_card_taps(confirm_run), confirm_prompt)
    return steps


PERFORMANCE_FLOW = Flow(
    name=FLOW,
    steps=_steps(),
    begin=_begin,
    on_cancel=_on_cancel,
    resumable=True,
    describe_draft=_describe,
)


def on_performance(ctx: Ctx, ident: Identity, inp: Input) -> None:
    ctx.start_flow(FLOW)


def resume_draft(ctx: Ctx, performance_id: int) -> None:
    ctx.start_flow(FLOW, draft_id=performance_id)


def register(desk: FrontDesk) -> None:
    desk.command("performance", ("多元表現", "登錄多元表現"), (STUDENT,))(on_performance)
    desk.add_flow(PERFORMANCE_FLOW)
