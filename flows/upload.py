"""課程學習成果 upload: course → work (photos, PDF, video/audio) → summary → confirmation → sent.

The draft is a CourseOutcome row in status draft with DraftPage rows for its photos, so it
survives a timeout: the engine offers it back ("你有一份尚未送出的草稿"). Windows and limits
come from the school's rules; what both upload flows share is in flows/submission.py.
"""

from __future__ import annotations

from typing import Any

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import END, Flow, Input, step
from flows.frontdesk import FrontDesk
from flows.my_portfolio import with_card_taps
from flows.store import Conversation
from flows.submission import (
    MENU_QUICK,
    REUPLOAD,
    chosen_term,
    current_student,
    limit_refusal,
    term_prompt,
    window_refusal,
)
from flows.upload_confirm import _confirm_prompt, _confirm_run, _summary_prompt, _summary_run
from flows.upload_course import _course_prompt, _course_run
from flows.upload_files import _files_prompt, _files_run
from flows.upload_states import CONFIRM, COURSE, FILES, FLOW, SUMMARY, TERM, _lost, _outcome
from rules.model import COURSE_OUTCOME
from school import draft_files, item_counts, outcomes, terms
from school.items import ItemError, TermRef
from storage.identity import STUDENT, Identity
from storage.models.portfolio import DRAFT, CourseOutcome
from storage.models.school import Student


def _begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    student = current_student(ctx)
    if student is None:
        ctx.reply(m.text(text("desk.not_for_you")))
        return END
    if args.get("draft_id"):
        outcome = outcomes.own_outcome(ctx.session, student.id, int(args["draft_id"]))
        if outcome is None or outcome.status != DRAFT:
            return _lost(ctx)
        conv.data["draft_id"] = outcome.id
        return _state_for(ctx, outcome)
    if args.get("replaces"):
        return _begin_replacement(ctx, conv, student, int(args["replaces"]))
    open_terms = terms.upload_terms(ctx.rules, COURSE_OUTCOME, student.grade, ctx.now)
    if len(open_terms) > 1:
        conv.data["terms"] = [[t.academic_year, t.semester] for t in open_terms]
        return TERM
    term = open_terms[0] if open_terms else terms.current_term(ctx.rules, ctx.now)
    if term is None:
        ctx.reply(m.text(text("upload.no_term")))
        return END
    return _start_term(ctx, conv, student, term)


def _term_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    student = current_student(ctx)
    if student is None:
        return _lost(ctx)
    term = chosen_term(conv, inp)
    if term is None:
        ctx.reply(m.text(text("school_rules.term.unknown")))
        return TERM
    return _start_term(ctx, conv, student, term)


def _start_term(ctx: Ctx, conv: Conversation, student: Student, term: TermRef) -> str:
    check = terms.check_window_for(
        ctx.session, ctx.rules, COURSE_OUTCOME, term, student.id, student.grade, ctx.now
    )
    if not check.open:
        ctx.reply(m.text(window_refusal(check, COURSE_OUTCOME)))
        return END
    usage = item_counts.room(ctx.session, ctx.rules, COURSE_OUTCOME, student.id, term)
    if usage.full_scope is not None:
        ctx.reply(m.text(limit_refusal(usage), quick=MENU_QUICK))
        return END
    courses = terms.enrolled_courses(ctx.session, student.id, term)
    if not courses:
        ctx.reply(m.text(text("upload.no_courses", term=term.label)))
        return END
    conv.data.update(
        course_ids=[c.id for c in courses], page=0, term=[term.academic_year, term.semester]
    )
    return COURSE


def _begin_replacement(ctx: Ctx, conv: Conversation, student: Student, rejected_id: int) -> str:
    try:
        rejected = outcomes.check_replaceable(ctx.session, student.id, rejected_id)
    except ItemError as exc:
        ctx.reply(m.text(text(f"upload.replace_{exc.reason}"), quick=MENU_QUICK))
        return END
    term = TermRef(rejected.academic_year, rejected.semester)
    check = terms.check_window_for(
        ctx.session,
        ctx.rules,
        COURSE_OUTCOME,
        term,
        student.id,
        student.grade,
        ctx.now,
        (rejected.id,),
    )
    if not check.open:
        ctx.reply(m.text(window_refusal(check, COURSE_OUTCOME)))
        return END
    usage = item_counts.room(
        ctx.session, ctx.rules, COURSE_OUTCOME, student.id, term, exclude={rejected.id}
    )
    if usage.full_scope is not None:
        ctx.reply(m.text(limit_refusal(usage), quick=MENU_QUICK))
        return END
    outcome = outcomes.create_outcome_draft(
        ctx.session, student.id, rejected.course, term, ctx.now, replaces=rejected
    )
    conv.data.update(draft_id=outcome.id, term=[term.academic_year, term.semester])
    ctx.reply(
        m.text(
            text(
                "upload.replacing",
                course=rejected.course.subject,
                reason=rejected.reject_reason or text("upload.no_reason"),
            )
        )
    )
    return FILES


def _state_for(ctx: Ctx, outcome: CourseOutcome) -> str:
    has_pages = draft_files.page_count(ctx.session, draft_files.OUTCOME_DRAFT, outcome.id) > 0
    if has_pages or (outcome.document_file_id is None and outcome.video_file_id is None):
        return FILES
    if not outcome.summary:
        return SUMMARY
    return CONFIRM


def _on_cancel(ctx: Ctx, conv: Conversation) -> str:
    outcome = _outcome(ctx, conv)
    if outcome is None:
        return "flow.cancelled"
    outcomes.discard_outcome_draft(ctx.session, outcome)
    return "upload.cancelled"


def _describe(ctx: Ctx, conv: Conversation) -> str:
    outcome = _outcome(ctx, conv)
    if outcome is None:
        return ""
    return text("upload.draft_description", course=outcome.course.subject)


UPLOAD = Flow(
    name=FLOW,
    steps={
        TERM: step(
            ("postback", "text"), _term_run, lambda ctx, conv: term_prompt(conv, COURSE_OUTCOME)
        ),
        COURSE: step(("postback", "text"), with_card_taps(_course_run), _course_prompt),
        FILES: step(
            ("image", "video", "audio", "file", "postback", "text"),
            with_card_taps(_files_run),
            _files_prompt,
        ),
        SUMMARY: step(
            ("text", "postback"),
            with_card_taps(_summary_run),
            _summary_prompt,
            unexpected_key="upload.summary_expected",
        ),
        CONFIRM: step(("postback", "text"), with_card_taps(_confirm_run), _confirm_prompt),
    },
    begin=_begin,
    on_cancel=_on_cancel,
    resumable=True,
    describe_draft=_describe,
)


# --- entry points -----------------------------------------------------------------------------


def on_upload(ctx: Ctx, ident: Identity, inp: Input) -> None:
    ctx.start_flow(FLOW)


def start_replacement(ctx: Ctx, outcome_id: int) -> None:
    """Start the replacement of a rejected item, its course already chosen."""
    ctx.start_flow(FLOW, replaces=outcome_id)


def resume_draft(ctx: Ctx, outcome_id: int) -> None:
    """Open a draft that has no conversation any more (e.g. after a refused submission)."""
    ctx.start_flow(FLOW, draft_id=outcome_id)


def on_reupload(ctx: Ctx, ident: Identity, inp: Input, rest: str) -> None:
    try:
        outcome_id = int(rest)
    except ValueError:
        ctx.reply(m.text(text("desk.stale_button")))
        return
    start_replacement(ctx, outcome_id)


def register(desk: FrontDesk) -> None:
    desk.command("upload", ("上傳", "上傳成果", "課程學習成果"), (STUDENT,))(on_upload)
    desk.postback(REUPLOAD, (STUDENT,))(on_reupload)
    desk.add_flow(UPLOAD)
