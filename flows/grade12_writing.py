"""A student writing 自傳 or a 學習計畫 section: pick a section, write in as many messages as
needed (each saved as it arrives, school/records.py), preview, or clear it and start again.
"""

from __future__ import annotations

from typing import Any

from catalogue import TEXTS, text
from flows import messages as m
from flows.context import Ctx
from flows.engine import END, STAY, Flow, Input, Step, step
from flows.grade12_states import (
    CANCEL_QUICK,
    CLEAR,
    COMMENTS,
    COMMENTS_SHOWN,
    DONE,
    DONE_WORDS,
    ERASE,
    ERASE_SURE,
    FINISH,
    FLOW,
    KEEP,
    MORE,
    PREVIEW,
    PREVIEW_PARTS,
    SECTION,
    SECTION_PICK,
    SECTIONS_BACK,
    WRITE,
    _comment_lines,
    _count_line,
    _section,
    _student,
    section_label,
)
from flows.long_text import split_for_line
from flows.store import Conversation
from school import student_documents
from school.records import RecordError
from school.student_documents import AUTOBIOGRAPHY, SECTIONS
from storage.models.school import Student


def _begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    student = _student(ctx)
    if student is None:
        ctx.reply(m.text(text("desk.not_for_you")))
        return END
    if not student_documents.writes_documents(student):
        ctx.reply(m.text(text("records.g12.not_grade12")))
        return END
    if args.get("document") == AUTOBIOGRAPHY:
        conv.data["section"] = AUTOBIOGRAPHY
        return WRITE
    return SECTION


def _overview(ctx: Ctx, student: Student) -> str:
    rows = student_documents.document_sections(ctx.session, student.id)
    lines = []
    for section in SECTIONS:
        body = rows[section].body if section in rows else ""
        state = (
            text("records.g12.overview_count", n=len(body))
            if body
            else text("records.g12.overview_empty")
        )
        lines.append(text("records.g12.overview_line", section=section_label(section), state=state))
    comments = student_documents.comments_on(ctx.session, student.id, limit=COMMENTS_SHOWN)
    tail = text("records.g12.overview_comments", n=len(comments)) if comments else ""
    return text("records.g12.overview", lines="\n".join(lines), comments=tail)


def _section_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    student = _student(ctx)
    if student is None:
        return [m.text(text("desk.not_for_you"))]
    quick: list[Any] = [(section_label(s), "postback", f"{SECTION_PICK}{s}") for s in SECTIONS]
    if student_documents.comments_on(ctx.session, student.id, limit=1):
        quick.append((text("records.g12.button_comments"), "postback", COMMENTS))
    quick.append((text("records.g12.button_finish"), "postback", FINISH))
    return [m.text(_overview(ctx, student), quick=quick)]


def _section_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    student = _student(ctx)
    if student is None:
        return END
    if inp.data == FINISH:
        ctx.reply(m.text(text("records.g12.kept")))
        return END
    if inp.data == COMMENTS:
        comments = student_documents.comments_on(ctx.session, student.id, limit=COMMENTS_SHOWN)
        student_documents.mark_told([c for c in comments if c.told_at is None], ctx.now)
        body = _comment_lines(comments) or text("records.g12.no_comments")
        ctx.reply(m.text(split_for_line(body, max_parts=1)[0]))
        return SECTION
    chosen: str | None = None
    if inp.kind == "postback" and inp.data.startswith(SECTION_PICK):
        chosen = inp.data[len(SECTION_PICK) :]
    elif inp.kind == "text":
        chosen = next((s for s in SECTIONS if inp.word == section_label(s)), None)
    if chosen not in SECTIONS:
        ctx.reply(m.text(text("records.g12.pick_section")))
        return SECTION
    conv.data["section"] = chosen
    return WRITE


def _write_quick(ctx: Ctx, student_id: int, section: str) -> list[Any]:
    quick: list[Any] = [(text("records.g12.button_done"), "postback", DONE)]
    if student_documents.section_text(ctx.session, student_id, section):
        quick.append((text("records.g12.button_erase"), "postback", ERASE))
    quick.append((text("records.g12.button_sections"), "postback", SECTIONS_BACK))
    return quick + CANCEL_QUICK


def _write_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    student = _student(ctx)
    if student is None:
        return [m.text(text("desk.not_for_you"))]
    section = _section(conv)
    return [
        m.text(
            text(
                f"records.g12.ask.{section}",
                label=section_label(section),
                count=_count_line(ctx, student.id, section),
            ),
            quick=_write_quick(ctx, student.id, section),
        )
    ]


def _write_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    student = _student(ctx)
    if student is None:
        return END
    section = _section(conv)
    if inp.data == DONE or (inp.kind == "text" and inp.word in DONE_WORDS):
        return PREVIEW
    if inp.data == ERASE:
        return CLEAR
    if inp.data == SECTIONS_BACK:
        return SECTION
    if inp.kind != "text":
        ctx.reply(m.text(text("records.g12.type_it"), quick=_write_quick(ctx, student.id, section)))
        return STAY
    try:
        row = student_documents.append_text(ctx.session, student.id, section, inp.text, ctx.now)
    except RecordError as exc:
        key = f"records.g12.error.{exc.reason}"
        ctx.reply(
            m.text(
                text(key, **exc.values) if key in TEXTS else text("records.g12.type_it"),
                quick=_write_quick(ctx, student.id, section),
            )
        )
        return STAY
    ctx.reply(
        m.text(
            text(
                "records.g12.added",
                label=section_label(section),
                n=len(row.body),
                limit=student_documents.SECTION_LIMITS[section],
            ),
            quick=_write_quick(ctx, student.id, section),
        )
    )
    return STAY


def _preview_messages(heading: str, body: str, quick: list[Any]) -> list[dict[str, Any]]:
    """A heading, then the body in as few texts as fit (trimmed past PREVIEW_PARTS)."""
    parts = split_for_line(body, max_parts=PREVIEW_PARTS) if body else []
    out = [m.text(heading)] + [m.text(p) for p in parts]
    out[-1] = m.with_quick_reply(out[-1], quick)
    return out


def _preview_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    student = _student(ctx)
    if student is None:
        return [m.text(text("desk.not_for_you"))]
    section = _section(conv)
    body = student_documents.section_text(ctx.session, student.id, section)
    quick: list[Any] = [(text("records.g12.button_more"), "postback", MORE)]
    if body:
        quick.append((text("records.g12.button_erase"), "postback", ERASE))
    quick += [
        (text("records.g12.button_sections"), "postback", SECTIONS_BACK),
        (text("records.g12.button_finish"), "postback", FINISH),
    ]
    if not body:
        return [
            m.text(text("records.g12.preview_empty", label=section_label(section)), quick=quick)
        ]
    heading = text("records.g12.preview_head", label=section_label(section), n=len(body))
    return _preview_messages(heading, body, quick)


def _preview_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    if inp.data == MORE:
        return WRITE
    if inp.data == ERASE:
        return CLEAR
    if inp.data == SECTIONS_BACK:
        return SECTION
    if inp.data == FINISH:
        ctx.reply(m.text(text("records.g12.kept")))
        return END
    ctx.reply(m.text(text("records.g12.preview_hint")))
    return STAY


def _clear_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    label = section_label(_section(conv))
    question = text("records.g12.erase_question", label=label)
    return [
        m.confirm(
            question,
            question,
            m.postback_action(
                text("records.g12.button_erase_sure"),
                ERASE_SURE,
                text("records.g12.button_erase_sure"),
            ),
            m.postback_action(
                text("records.g12.button_keep"), KEEP, text("records.g12.button_keep")
            ),
        )
    ]


def _clear_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    student = _student(ctx)
    if student is None:
        return END
    if inp.data == ERASE_SURE:
        student_documents.clear_section(ctx.session, student.id, _section(conv), ctx.now)
        ctx.reply(m.text(text("records.g12.erased", label=section_label(_section(conv)))))
    return WRITE


def _on_cancel(ctx: Ctx, conv: Conversation) -> str:
    return "records.g12.kept"


def _student_steps() -> dict[str, Step]:
    typed = ("postback", "text")
    return {
        SECTION: step(typed, _section_run, _section_prompt),
        WRITE: step(
            typed + ("image", "video", "audio", "file", "sticker"), _write_run, _write_prompt
        ),
        PREVIEW: step(typed, _preview_run, _preview_prompt),
        CLEAR: step(typed, _clear_run, _clear_prompt),
    }


WRITE_FLOW = Flow(
    name=FLOW,
    steps=_student_steps(),
    begin=_begin,
    on_cancel=_on_cancel,
    help_key="records.g12.help",
)
