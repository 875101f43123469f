"""An upload's summary and its confirmation card: the student writes the summary, sees the
whole item, and sends it (or goes back to change the summary or add files).
"""

from __future__ import annotations

from typing import Any

from catalogue import text
from flows import messages as m
from flows.cards import button, card
from flows.context import Ctx
from flows.engine import END, STAY, Input
from flows.links import file_link
from flows.store import Conversation
from flows.submission import (
    MENU_QUICK,
    SUMMARY_LIMIT,
    check_summary,
    count_line,
    current_student,
    describe_files,
    refuse_submission,
)
from flows.upload_states import (
    ADD_FILES,
    CONFIRM,
    EDIT_SUMMARY,
    FILES,
    KEEP_SUMMARY,
    SUBMIT,
    SUBMIT_WORDS,
    SUMMARY,
    _lost,
    _outcome,
    _term,
)
from rules.model import COURSE_OUTCOME
from school import file_access, item_counts, outcomes, terms
from school.items import TermRef
from storage.clock import format_date
from storage.models.portfolio import CourseOutcome
from storage.models.school import Student


def _summary_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    outcome = _outcome(ctx, conv)
    quick: list[Any] = [("取消", "取消")]
    if outcome is not None and outcome.summary:
        quick.insert(0, (text("upload.button_keep_summary"), "postback", KEEP_SUMMARY))
        return [
            m.text(
                text("upload.ask_summary_again", summary=outcome.summary, limit=SUMMARY_LIMIT),
                quick=quick,
            )
        ]
    return [m.text(text("upload.ask_summary", limit=SUMMARY_LIMIT), quick=quick)]


def _summary_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    outcome = _outcome(ctx, conv)
    if outcome is None:
        return _lost(ctx)
    if inp.kind == "postback":
        if inp.data == KEEP_SUMMARY and outcome.summary:
            return CONFIRM
        ctx.reply(m.text(text("upload.summary_needed")))
        return SUMMARY
    summary, problem = check_summary(inp.text)
    if summary is None:
        ctx.reply(m.text(problem or ""))
        return SUMMARY
    outcome.summary = summary
    return CONFIRM


# --- the confirmation card ---


def confirmation_card(ctx: Ctx, outcome: CourseOutcome, student: Student) -> dict[str, Any]:
    term = TermRef(outcome.academic_year, outcome.semester)
    usage = item_counts.room(
        ctx.session, ctx.rules, COURSE_OUTCOME, student.id, term, exclude={outcome.id}
    )
    deadline = terms.certification_deadline(ctx.rules, term, student.grade)
    course = outcome.course
    teacher = course.teacher.name if course.teacher else text("upload.teacher_unknown")
    rows = [
        (
            text("upload.card_course"),
            text("upload.card_course_value", course=course.subject, teacher=teacher),
        ),
        (text("upload.card_summary"), outcome.summary),
        (text("upload.card_files"), describe_files([outcome.document, outcome.video])),
        (text("upload.card_count"), count_line(usage, usage.semester.used + 1)),
        (
            text("upload.card_deadline"),
            format_date(deadline) if deadline else text("upload.deadline_unknown"),
        ),
    ]
    buttons: list[dict[str, Any]] = [
        button(
            m.postback_action(text("upload.button_submit"), SUBMIT, text("upload.button_submit")),
            primary=True,
        ),
        button(
            m.postback_action(
                text("upload.button_edit_summary"), EDIT_SUMMARY, text("upload.button_edit_summary")
            )
        ),
        button(
            m.postback_action(
                text("upload.button_more_files"), ADD_FILES, text("upload.button_more_files")
            )
        ),
    ]
    if outcome.document_file_id is not None:
        link = file_link(
            ctx, None, outcome.document_file_id, (file_access.VIEWER_STUDENT, student.id), ctx.now
        )
        buttons.append(button(m.uri_action(text("upload.button_view"), link)))
    return card(
        text("upload.card_title"), rows, buttons, alt=text("upload.card_alt", course=course.subject)
    )


def _confirm_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    outcome = _outcome(ctx, conv)
    student = current_student(ctx)
    if outcome is None or student is None:
        return [m.text(text("upload.draft_gone"))]
    # The card carries the one 送出 button; the quick reply only offers a way out.
    return [m.with_quick_reply(confirmation_card(ctx, outcome, student), [("取消", "取消")])]


def _confirm_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    outcome = _outcome(ctx, conv)
    if outcome is None:
        return _lost(ctx)
    if inp.data == EDIT_SUMMARY:
        return SUMMARY
    if inp.data == ADD_FILES:
        return FILES
    if inp.data != SUBMIT and inp.word not in SUBMIT_WORDS:
        ctx.reply(m.text(text("upload.confirm_hint")))
        return STAY
    result = outcomes.submit_outcome(ctx.session, ctx.rules, outcome.id, ctx.now)
    if result.ok:
        ctx.session.refresh(outcome)
        teacher = outcome.certifier.name if outcome.certifier else text("upload.teacher_unknown")
        assert result.room is not None
        student = outcome.student
        deadline = terms.certification_deadline(ctx.rules, _term(conv, outcome), student.grade)
        ctx.reply(
            m.text(
                text(
                    "upload.submitted",
                    course=outcome.course.subject,
                    teacher=teacher,
                    count=count_line(result.room, result.number),
                    deadline=format_date(deadline) if deadline else text("upload.deadline_unknown"),
                ),
                quick=MENU_QUICK,
            )
        )
        return END
    if result.reason == "no_files":
        return FILES
    if result.reason == "no_summary":
        return SUMMARY
    refuse_submission(ctx, result, COURSE_OUTCOME)
    return END
