"""Homeroom teachers and the counselling office reading grade-12 documents: pick a class, a
student, read the document and leave a comment.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from catalogue import TEXTS, text
from flows import messages as m
from flows.context import Ctx
from flows.engine import END, STAY, Flow, Input, Step, step
from flows.grade12_states import (
    CANCEL_QUICK,
    COMMENTS_SHOWN,
    MAX_QUICK_CLASSES,
    R_CLASS,
    R_CLASS_PICK,
    R_COMMENT,
    R_COMMENT_TAP,
    R_DOC,
    R_END,
    R_STUDENT,
    R_STUDENTS,
    R_VIEW,
    REVIEW_FLOW,
    _staff,
    document_label,
    section_label,
)
from flows.grade12_writing import _preview_messages
from flows.long_text import split_for_line
from flows.store import Conversation
from school import records, student_documents
from school.records import RecordError
from school.student_documents import AUTOBIOGRAPHY, PLAN_SECTIONS, STUDY_PLAN
from storage.clock import format_date
from storage.models.school import SchoolClass, Student


def _review_begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    staff = _staff(ctx)
    classes = student_documents.reviewable_classes(ctx.session, staff) if staff is not None else []
    if staff is None or not classes:
        ctx.reply(m.text(text("records.g12.no_classes_to_review")))
        return END
    if len(classes) == 1:
        conv.data["class_id"] = classes[0].id
        return R_STUDENT
    return R_CLASS


def _review_class(ctx: Ctx, conv: Conversation) -> SchoolClass | None:
    class_id = conv.data.get("class_id")
    return ctx.session.get(SchoolClass, int(class_id)) if class_id else None


def _review_student(ctx: Ctx, conv: Conversation) -> Student | None:
    staff = _staff(ctx)
    student_id = conv.data.get("student_id")
    student = ctx.session.get(Student, int(student_id)) if student_id else None
    if (
        staff is None
        or student is None
        or not student_documents.may_review(ctx.session, staff, student)
    ):
        return None
    return student


def _r_class_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    staff = _staff(ctx)
    classes = student_documents.reviewable_classes(ctx.session, staff) if staff is not None else []
    quick: list[Any] = [
        (c.code, "postback", f"{R_CLASS_PICK}{c.id}") for c in classes[:MAX_QUICK_CLASSES]
    ]
    return [
        m.text(
            text("records.g12.ask_class", classes="、".join(c.code for c in classes)),
            quick=quick + CANCEL_QUICK,
        )
    ]


def _r_class_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    staff = _staff(ctx)
    if staff is None:
        return END
    allowed = {c.id: c for c in student_documents.reviewable_classes(ctx.session, staff)}
    found: SchoolClass | None = None
    if inp.kind == "postback" and inp.data.startswith(R_CLASS_PICK):
        raw = inp.data[len(R_CLASS_PICK) :]
        found = allowed.get(int(raw)) if raw.isdigit() else None
    elif inp.kind == "text":
        code = unicodedata.normalize("NFKC", inp.word).removesuffix("班").strip()
        found = next((c for c in allowed.values() if c.code == code), None)
    if found is None:
        ctx.reply(m.text(text("records.g12.unknown_class")))
        return R_CLASS
    conv.data["class_id"] = found.id
    return R_STUDENT


def _student_status(ctx: Ctx, student: Student) -> str:
    rows = student_documents.document_sections(ctx.session, student.id)
    auto = rows.get(AUTOBIOGRAPHY)
    plan_done = sum(1 for s in PLAN_SECTIONS if s in rows and rows[s].body)
    comments = len(student_documents.comments_on(ctx.session, student.id, limit=100))
    return text(
        "records.g12.student_line",
        seat=f"{student.seat_no or 0:02d}",
        name=student.name,
        auto=len(auto.body) if auto else 0,
        plan=plan_done,
        total=len(PLAN_SECTIONS),
        comments=comments,
    )


def _r_student_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    school_class = _review_class(ctx, conv)
    if school_class is None:
        return [m.text(text("records.g12.unknown_class"))]
    students = records.class_students(ctx.session, school_class.id)
    listing = "\n".join(_student_status(ctx, s) for s in students) or text(
        "records.g12.no_students"
    )
    body = text("records.g12.ask_student", code=school_class.code, listing=listing)
    return [m.text(split_for_line(body, max_parts=1)[0], quick=CANCEL_QUICK)]


def _r_student_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    staff = _staff(ctx)
    school_class = _review_class(ctx, conv)
    if staff is None or school_class is None:
        return END
    word = unicodedata.normalize("NFKC", inp.word).removesuffix("號")
    student: Student | None = None
    if word.isdigit() and len(word) <= 2:
        student = next(
            (
                s
                for s in records.class_students(ctx.session, school_class.id)
                if s.seat_no == int(word)
            ),
            None,
        )
    elif word:
        student = records.student_by_no(ctx.session, word)
    if student is None:
        ctx.reply(m.text(text("records.g12.unknown_student")))
        return R_STUDENT
    if not student_documents.may_review(ctx.session, staff, student):
        ctx.reply(m.text(text("records.g12.not_your_student", name=student.name)))
        return R_STUDENT
    conv.data.update(student_id=student.id, document=AUTOBIOGRAPHY)
    return R_VIEW


def document_text(ctx: Ctx, student_id: int, document: str) -> str:
    """The document as one text: 自傳 as written; 學習計畫 with a heading per part."""
    rows = student_documents.document_sections(ctx.session, student_id)
    if document == AUTOBIOGRAPHY:
        row = rows.get(AUTOBIOGRAPHY)
        return row.body if row else ""
    parts = [
        f"【{section_label(s)}】\n{rows[s].body}"
        for s in PLAN_SECTIONS
        if s in rows and rows[s].body
    ]
    return "\n\n".join(parts)


def _r_view_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    student = _review_student(ctx, conv)
    if student is None:
        return [m.text(text("records.g12.unknown_student"))]
    document = conv.data.get("document", AUTOBIOGRAPHY)
    other = STUDY_PLAN if document == AUTOBIOGRAPHY else AUTOBIOGRAPHY
    quick: list[Any] = [
        (text("records.g12.button_comment"), "postback", R_COMMENT_TAP),
        (
            text("records.g12.button_view", document=document_label(other)),
            "postback",
            f"{R_DOC}{other}",
        ),
        (text("records.g12.button_other_student"), "postback", R_STUDENTS),
        (text("records.g12.button_finish"), "postback", R_END),
    ]
    body = document_text(ctx, student.id, document)
    rows = student_documents.document_sections(ctx.session, student.id)
    written = student_documents.last_written(
        {k: v for k, v in rows.items() if student_documents.document_of(k) == document}
    )
    comments = student_documents.comments_on(
        ctx.session, student.id, (document,), limit=COMMENTS_SHOWN
    )
    if not body:
        return [
            m.text(
                text(
                    "records.g12.review_empty", name=student.name, document=document_label(document)
                ),
                quick=quick,
            )
        ]
    heading = text(
        "records.g12.review_head",
        name=student.name,
        where=student.class_seat,
        document=document_label(document),
        n=len(body),
        date=format_date(written) if written else "—",
        comments=len(comments),
    )
    return _preview_messages(heading, body, quick)


def _r_view_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    if inp.data.startswith(R_DOC) and inp.data[len(R_DOC) :] in student_documents.DOCUMENTS:
        conv.data["document"] = inp.data[len(R_DOC) :]
        return R_VIEW
    if inp.data == R_COMMENT_TAP:
        return R_COMMENT
    if inp.data == R_STUDENTS:
        return R_STUDENT
    if inp.data == R_END:
        ctx.reply(m.text(text("records.g12.review_done")))
        return END
    ctx.reply(m.text(text("records.g12.review_hint")))
    return STAY


def _r_comment_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    student = _review_student(ctx, conv)
    document = conv.data.get("document", AUTOBIOGRAPHY)
    return [
        m.text(
            text(
                "records.g12.ask_comment",
                name=student.name if student else "",
                document=document_label(document),
                limit=student_documents.COMMENT_LIMIT,
            ),
            quick=CANCEL_QUICK,
        )
    ]


def _r_comment_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    staff = _staff(ctx)
    student = _review_student(ctx, conv)
    if staff is None or student is None:
        ctx.reply(m.text(text("records.g12.unknown_student")))
        return END
    document = conv.data.get("document", AUTOBIOGRAPHY)
    try:
        student_documents.add_comment(ctx.session, staff, student, document, inp.text, ctx.now)
    except RecordError as exc:
        key = f"records.g12.error.{exc.reason}"
        ctx.reply(
            m.text(text(key, **exc.values) if key in TEXTS else text("records.g12.review_hint"))
        )
        return R_COMMENT
    ctx.reply(
        m.text(
            text("records.g12.comment_saved", name=student.name, document=document_label(document))
        )
    )
    return R_STUDENT


def _review_steps() -> dict[str, Step]:
    typed = ("postback", "text")
    return {
        R_CLASS: step(typed, _r_class_run, _r_class_prompt),
        R_STUDENT: step("text", _r_student_run, _r_student_prompt),
        R_VIEW: step(typed, _r_view_run, _r_view_prompt),
        R_COMMENT: step("text", _r_comment_run, _r_comment_prompt),
    }


REVIEW = Flow(
    name=REVIEW_FLOW, steps=_review_steps(), begin=_review_begin, help_key="records.g12.review_help"
)
