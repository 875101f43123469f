"""Grade-12 documents in chat: students draft 自傳 and 學習計畫 (career plan, expectations,
strengths, interests) in as many messages as they like, with a preview; homeroom teachers and the
counselling office read them and comment, and a student hears of new comments on their next reply.

Every message is saved as it arrives (school/student_documents.py), so nothing is lost when the chat
times out or is cancelled: the draft simply waits for the next 自傳 / 學習計畫.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from catalogue import TEXTS, text
from flows import messages as m
from flows.context import Ctx
from flows.engine import END, STAY, Flow, Input, Step, step
from flows.frontdesk import FrontDesk
from flows.line_limits import MAX_MESSAGES_PER_REQUEST
from flows.long_text import split_for_line
from flows.store import Conversation
from school import records, student_documents
from school.records import RecordError
from school.student_documents import AUTOBIOGRAPHY, PLAN_SECTIONS, SECTIONS, STUDY_PLAN
from storage.clock import format_date
from storage.identity import HOMEROOM, STAFF, STUDENT, Identity
from storage.models.records import DocumentComment
from storage.models.school import SchoolClass, Staff, Student

FLOW = "write_autobiography"
SECTION = "g12:section"
WRITE = "g12:write"
PREVIEW = "g12:preview"
CLEAR = "g12:clear"

REVIEW_FLOW = "review_autobiography"
R_CLASS = "g12r:class"
R_STUDENT = "g12r:student"
R_VIEW = "g12r:view"
R_COMMENT = "g12r:comment"

# Postbacks inside the flows.
SECTION_PICK = "gd:sec:"
COMMENTS = "gd:comments"
DONE = "gd:done"
MORE = "gd:more"
SECTIONS_BACK = "gd:sections"
ERASE = "gd:erase"
ERASE_SURE = "gd:erase!"
KEEP = "gd:keep"
FINISH = "gd:end"
R_CLASS_PICK = "gr:class:"
R_DOC = "gr:doc:"
R_COMMENT_TAP = "gr:comment"
R_STUDENTS = "gr:students"
R_END = "gr:end"

KEYWORD_DOCUMENTS = {"自傳": AUTOBIOGRAPHY, "學習計畫": STUDY_PLAN}
DONE_WORDS = frozenset({"完成", "好了", "預覽", "寫完了"})
# A preview leaves room in the reply for its heading message and the buttons (5 per reply).
PREVIEW_PARTS = 3
MAX_QUICK_CLASSES = 12
COMMENTS_SHOWN = 10
NEWS_SHOWN = 3
CANCEL_QUICK: list[Any] = [("取消", "取消")]


def section_label(section: str) -> str:
    return text(f"records.g12.section.{section}")


def document_label(document: str) -> str:
    return text(f"records.g12.document.{document}")


def _student(ctx: Ctx) -> Student | None:
    account = ctx.account
    if account is None or account.student_id is None:
        return None
    student = ctx.session.get(Student, account.student_id)
    return student if student is not None and student.sealed_at is None else None


def _staff(ctx: Ctx) -> Staff | None:
    account = ctx.account
    if account is None or account.staff_id is None:
        return None
    return ctx.session.get(Staff, account.staff_id)


def _section(conv: Conversation) -> str:
    section = conv.data.get("section")
    return section if section in SECTIONS else AUTOBIOGRAPHY


def _count_line(ctx: Ctx, student_id: int, section: str) -> str:
    body = student_documents.section_text(ctx.session, student_id, section)
    if not body:
        return text("records.g12.count_empty", limit=student_documents.SECTION_LIMITS[section])
    return text("records.g12.count", n=len(body), limit=student_documents.SECTION_LIMITS[section])


# --- the student's flow -----------------------------------------------------------------------


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


def _comment_lines(comments: list[DocumentComment]) -> str:
    return "\n\n".join(
        text(
            "records.g12.comment_line",
            teacher=c.author.name,
            document=document_label(c.document),
            date=format_date(c.created_at),
            body=c.body,
        )
        for c in comments
    )


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


# --- reading and commenting (homeroom teachers, counselling office) ---------------------------


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


# --- the command and the news of comments -----------------------------------------------------


def on_documents(ctx: Ctx, ident: Identity, inp: Input) -> None:
    """自傳 / 學習計畫 (and the schedule's write_autobiography notice): write, or review."""
    if STUDENT in ident.roles:
        ctx.start_flow(FLOW, document=KEYWORD_DOCUMENTS.get(inp.word))
        return
    ctx.start_flow(REVIEW_FLOW)


def tell_comments(ctx: Ctx, ident: Identity) -> None:
    """desk.after_reply: a student's reply carries new comments on their documents, for free."""
    if ident.student is None or STUDENT not in ident.roles:
        return
    if len(ctx.replies) >= MAX_MESSAGES_PER_REQUEST:
        return  # a sixth message would be a paid push; the next reply carries it
    news = student_documents.untold_comments(ctx.session, ident.student.id)[:NEWS_SHOWN]
    if not news:
        return
    body = text("records.g12.news", comments=_comment_lines(news))
    ctx.replies.append(m.text(split_for_line(body, max_parts=1)[0]))
    student_documents.mark_told(news, ctx.now)


def offered_to(ident: Identity) -> bool:
    """自傳 in the fallback quick replies: for students who write one, and for the staff."""
    return ident.student is None or student_documents.writes_documents(ident.student)


def register(desk: FrontDesk) -> None:
    desk.command(
        "write_autobiography",
        tuple(KEYWORD_DOCUMENTS),
        (STUDENT, HOMEROOM, STAFF),
        offered=offered_to,
    )(on_documents)
    desk.add_flow(WRITE_FLOW)
    desk.add_flow(REVIEW)
    desk.after_reply.append(tell_comments)
