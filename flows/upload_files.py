"""Receiving an upload's work: photos, PDF, video or audio, each checked and kept on the draft
until the student says they are done.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from catalogue import text
from flows import intake
from flows import messages as m
from flows.context import Ctx
from flows.engine import STAY, Input
from flows.store import Conversation
from flows.submission import (
    describe_files,
    send_failure,
)
from flows.upload_states import CLEAR, FILES, NEXT, NEXT_WORDS, SUMMARY, _lost, _outcome
from school import draft_files
from storage.models.portfolio import CourseOutcome


def _files_quick(ctx: Ctx, outcome: CourseOutcome | None) -> list[Any]:
    quick: list[Any] = [(text("upload.button_next"), "postback", NEXT)]
    if outcome is not None and (
        outcome.document_file_id
        or outcome.video_file_id
        or draft_files.page_count(ctx.session, draft_files.OUTCOME_DRAFT, outcome.id)
    ):
        quick.append((text("upload.button_clear"), "postback", CLEAR))
    quick.append(("取消", "取消"))
    return quick


def _files_status(ctx: Ctx, outcome: CourseOutcome) -> str:
    pages = draft_files.page_count(ctx.session, draft_files.OUTCOME_DRAFT, outcome.id)
    document = outcome.document if pages == 0 else None
    return describe_files([document, outcome.video], pages)


def _files_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    outcome = _outcome(ctx, conv)
    if outcome is None:
        return [m.text(text("upload.draft_gone"))]
    return [
        m.text(
            text(
                "upload.ask_files",
                course=outcome.course.subject,
                status=_files_status(ctx, outcome),
            ),
            quick=_files_quick(ctx, outcome),
        )
    ]


def _files_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    outcome = _outcome(ctx, conv)
    if outcome is None:
        return _lost(ctx)
    if inp.kind in intake.CONTENT_MESSAGES:
        return _receive(ctx, conv, outcome, inp)
    if inp.data == CLEAR:
        draft_files.clear_pages(ctx.session, draft_files.OUTCOME_DRAFT, outcome.id)
        outcome.document_file_id = None
        outcome.video_file_id = None
        conv.data.pop("fitted_pages", None)
        ctx.reply(m.text(text("upload.cleared")))
        return FILES
    if inp.data == NEXT or inp.word in NEXT_WORDS:
        return _files_done(ctx, conv, outcome)
    ctx.reply(m.text(text("upload.files_hint"), quick=_files_quick(ctx, outcome)))
    return STAY


def _receive(ctx: Ctx, conv: Conversation, outcome: CourseOutcome, inp: Input) -> str:
    student_id = outcome.student_id
    try:
        taken = intake.take(ctx, inp, draft_files.OUTCOME_DRAFT, outcome.id, student_id)
    except SQLAlchemyError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever broke, the student hears it, draft kept
        send_failure(ctx, exc, _files_quick(ctx, outcome))
        return STAY
    notes: list[str] = []
    if taken.slot == "page":
        conv.data.pop("fitted_pages", None)
        if conv.data.get("doc_from") == "pdf" and outcome.document_file_id is not None:
            outcome.document_file_id = None
            notes.append(text("upload.photos_replace_pdf"))
        if taken.set_total and not taken.set_complete:
            return STAY  # the rest of the set is on its way; one answer for the whole set
        ack = (
            text("upload.got_photos", n=taken.set_total or 1, total=taken.pages)
            if taken.set_total
            else text("upload.got_photo", total=taken.pages)
        )
        ctx.reply(
            m.text(
                "\n".join([ack, *notes, text("upload.more_or_next")]),
                quick=_files_quick(ctx, outcome),
            )
        )
        return STAY
    assert taken.fitted is not None
    if taken.slot == "document":
        dropped = draft_files.clear_pages(ctx.session, draft_files.OUTCOME_DRAFT, outcome.id)
        if dropped:
            notes.append(text("upload.pdf_replaces_photos", n=dropped))
        elif outcome.document_file_id is not None:
            notes.append(text("upload.replaced_document"))
        outcome.document_file_id = taken.fitted.record.id
        conv.data["doc_from"] = "pdf"
        conv.data.pop("fitted_pages", None)
    else:
        if outcome.video_file_id is not None:
            notes.append(text("upload.replaced_video"))
        outcome.video_file_id = taken.fitted.record.id
    ctx.session.flush()
    ctx.reply(
        m.text(
            "\n".join([taken.fitted.message, *notes, text("upload.more_or_next")]),
            quick=_files_quick(ctx, outcome),
        )
    )
    return STAY


def _files_done(ctx: Ctx, conv: Conversation, outcome: CourseOutcome) -> str:
    pages = draft_files.page_count(ctx.session, draft_files.OUTCOME_DRAFT, outcome.id)
    if pages and conv.data.get("fitted_pages") != pages:
        try:
            fitted = intake.combine_pages(
                ctx, draft_files.OUTCOME_DRAFT, outcome.id, outcome.student_id
            )
        except SQLAlchemyError:
            raise
        except Exception as exc:  # noqa: BLE001
            quick = _files_quick(ctx, outcome)
            ctx.reply(
                m.text(intake.failure_text(exc) + "\n" + text("upload.photos_kept"), quick=quick)
            )
            return STAY
        assert fitted is not None
        outcome.document_file_id = fitted.record.id
        conv.data["doc_from"] = "pages"
        conv.data["fitted_pages"] = pages
        ctx.session.flush()
        ctx.reply(m.text(fitted.message))
    if outcome.document_file_id is None and outcome.video_file_id is None:
        ctx.reply(m.text(text("upload.nothing_yet"), quick=_files_quick(ctx, outcome)))
        return STAY
    return SUMMARY
