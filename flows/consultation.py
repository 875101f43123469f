"""課程諮詢紀錄 in chat, the record flow: a consultation teacher records a consultation or corrects
one (the lists, course choices and buttons are in flows/consultation_menu.py).

新增諮詢紀錄 → group or individual → class (only classes they advise) → whole class, picked
students or one student → date, start, end (LINE's date/time pickers, or typed) → place →
content and advice (≤ 150 characters) → optional attachments (PDF slides, photos) → confirm.
The draft lives in the conversation; saving makes one record (school/consultations.py). Correcting
opens the same flow at its confirmation card with the record's values.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from catalogue import TEXTS, text
from flows import intake
from flows import messages as m
from flows.cards import card, postback_button, shorten
from flows.consultation_details import (
    _content_prompt,
    _content_run,
    _date_prompt,
    _date_run,
    _end_prompt,
    _end_run,
    _place_prompt,
    _place_run,
    _start_prompt,
    _start_run,
)
from flows.consultation_record import (
    _consultant,
    _draft_class,
    _draft_students,
    _draft_times,
    _files_line,
    _kind_label,
    _names,
    _only_consultants,
    _time_range,
)
from flows.consultation_states import (
    CANCEL_QUICK,
    CLASS,
    CLEAR,
    CONFIRM,
    CONTENT,
    DATE,
    DONE,
    DONE_WORDS,
    EDIT,
    END_TIME,
    FILES,
    FLOW,
    KIND,
    PLACE,
    SAVE,
    SAVE_WORDS,
    START,
    STUDENTS,
    WHO,
    _load,
)
from flows.consultation_who import (
    _class_prompt,
    _class_run,
    _kind_prompt,
    _kind_run,
    _students_prompt,
    _students_run,
    _who_prompt,
    _who_run,
)
from flows.context import Ctx
from flows.engine import END, STAY, Flow, Input, Step, step
from flows.store import Conversation
from media.kinds import mime_of
from school import consultants, consultations, draft_files
from school.records import RecordError
from storage.clock import format_date
from storage.models.records import GROUP


def _begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    staff = _consultant(ctx)
    if staff is None:
        _only_consultants(ctx)
        return END
    if not consultants.advised_classes(ctx.session, staff.id):
        ctx.reply(m.text(text("records.consult.no_classes")))
        return END
    if args.get("consultation_id"):
        record = consultations.own_consultation(ctx.session, staff.id, int(args["consultation_id"]))
        if record is None:
            ctx.reply(m.text(text("records.consult.not_found")))
            return END
        _load(conv, record)
        return CONFIRM
    conv.data.update(students=[], files=[])
    return KIND


def _files_quick(conv: Conversation) -> list[Any]:
    quick: list[Any] = [(text("records.consult.button_done"), "postback", DONE)]
    if conv.data.get("files"):
        quick.append((text("records.consult.button_clear_files"), "postback", CLEAR))
    return quick + CANCEL_QUICK


def _files_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    files = _files_line(ctx, conv.data.get("files", []))
    return [
        m.text(
            text("records.consult.ask_files", limit=consultations.MAX_ATTACHMENTS, files=files),
            quick=_files_quick(conv),
        )
    ]


def _files_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    files: list[int] = list(conv.data.get("files", []))
    if inp.kind in ("video", "audio"):
        # Refused before fetching: a phone video can be hundreds of megabytes.
        ctx.reply(m.text(text("records.consult.file_kind"), quick=_files_quick(conv)))
        return STAY
    if inp.kind in intake.CONTENT_MESSAGES:
        if len(files) >= consultations.MAX_ATTACHMENTS:
            ctx.reply(
                m.text(
                    text("records.consult.too_many_files", limit=consultations.MAX_ATTACHMENTS),
                    quick=_files_quick(conv),
                )
            )
            return STAY
        try:
            incoming = intake.receive(ctx, inp)
        except SQLAlchemyError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever broke, the teacher hears it
            ctx.reply(
                m.text(
                    intake.failure_text(exc) + "\n" + text("records.consult.file_kind"),
                    quick=_files_quick(conv),
                )
            )
            return STAY
        if incoming.category != intake.DOCUMENT:
            ctx.reply(m.text(text("records.consult.file_kind"), quick=_files_quick(conv)))
            return STAY
        # Kept as received: the record stays at school, so the central caps do not apply.
        record = draft_files.new_file_record(
            ctx.session,
            incoming.stored.sha256,
            incoming.stored.size,
            mime_of(incoming.kind) or "application/octet-stream",
            intake.DOCUMENT,
            None,
            ctx.now,
            incoming.display_name
            or text(
                "records.consult.photo_default_name"
                if incoming.is_photo
                else "records.consult.file_default_name",
                n=len(files) + 1,
            ),
        )
        files.append(record.id)
        conv.data["files"] = files
        ctx.reply(
            m.text(
                text("records.consult.file_kept", name=record.display_name, n=len(files)),
                quick=_files_quick(conv),
            )
        )
        return STAY
    if inp.data == CLEAR:
        conv.data["files"] = []
        ctx.reply(m.text(text("records.consult.files_cleared")))
        return FILES
    if inp.data == DONE or (inp.kind == "text" and inp.word in DONE_WORDS):
        conv.data["review"] = True
        return CONFIRM
    ctx.reply(m.text(text("records.consult.files_hint"), quick=_files_quick(conv)))
    return STAY


# --- confirmation -----------------------------------------------------------------------------


EDITS = (
    ("students", "button_edit_students", KIND),
    ("when", "button_edit_when", DATE),
    ("place", "button_edit_place", PLACE),
    ("content", "button_edit_content", CONTENT),
    ("files", "button_edit_files", FILES),
)


def _confirm_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    students = _draft_students(ctx, conv)
    whole = _draft_class(ctx, conv) if conv.data.get("whole") else None
    times = _draft_times(conv)
    day = format_date(date.fromisoformat(conv.data["date"])) if conv.data.get("date") else "—"
    rows = [
        (text("records.consult.card_kind"), _kind_label(conv.data.get("kind", GROUP))),
        (text("records.consult.card_students"), _names(students, whole)),
        (text("records.consult.card_date"), day),
        (text("records.consult.card_time"), _time_range(*times) if times else "—"),
        (text("records.consult.card_place"), conv.data.get("place", "")),
        (text("records.consult.card_content"), conv.data.get("content", "")),
        (text("records.consult.card_files"), _files_line(ctx, conv.data.get("files", []))),
    ]
    title = (
        "records.consult.card_title_edit"
        if conv.data.get("editing")
        else "records.consult.card_title"
    )
    buttons = [postback_button(text("records.consult.button_save"), SAVE, primary=True)]
    buttons += [
        postback_button(text(f"records.consult.{label}"), f"{EDIT}{key}")
        for key, label, _state in EDITS
    ]
    alt = text("records.consult.card_alt", date=day, students=_names(students, whole))
    return [
        m.with_quick_reply(
            card(text(title), rows, buttons, alt=shorten(alt, 300)),
            [(text("records.consult.button_save"), "postback", SAVE), *CANCEL_QUICK],
        )
    ]


# What to ask again when the whole record is refused on saving.
_RETRY = {
    "end_before_start": START,
    "place": PLACE,
    "content": CONTENT,
    "no_students": STUDENTS,
    "individual_one": STUDENTS,
    "too_many_files": FILES,
}


def _confirm_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    if inp.kind == "postback" and inp.data.startswith(EDIT):
        wanted = inp.data[len(EDIT) :]
        for key, _label, state in EDITS:
            if key == wanted:
                return state
    if inp.data != SAVE and not (inp.kind == "text" and inp.word in SAVE_WORDS):
        ctx.reply(m.text(text("records.consult.confirm_hint")))
        return STAY
    staff = _consultant(ctx)
    times = _draft_times(conv)
    if staff is None:
        _only_consultants(ctx)
        return END
    if times is None:
        return DATE
    entry = consultations.ConsultationInput(
        kind=conv.data.get("kind", GROUP),
        student_ids=[int(i) for i in conv.data["students"]],
        starts_at=times[0],
        ends_at=times[1],
        place=conv.data.get("place", ""),
        content=conv.data.get("content", ""),
        class_id=int(conv.data["class_id"]) if conv.data.get("whole") else None,
        file_ids=[int(i) for i in conv.data.get("files", [])],
    )
    editing = conv.data.get("editing")
    try:
        record = consultations.save_consultation(
            ctx.session,
            ctx.rules,
            staff.id,
            entry,
            ctx.now,
            consultation_id=int(editing) if editing else None,
        )
    except RecordError as exc:
        key = f"records.consult.error.{exc.reason}"
        ctx.reply(
            m.text(text(key, **exc.values) if key in TEXTS else text("records.consult.error.other"))
        )
        return _RETRY.get(exc.reason, END)
    students = [p.student for p in record.participants]
    say = "records.consult.corrected" if editing else "records.consult.saved"
    ctx.reply(
        m.text(
            text(
                say,
                date=format_date(record.starts_at),
                time=_time_range(record.starts_at, record.ends_at),
                students=_names(students, record.school_class),
            ),
            quick=[("新增諮詢紀錄", "新增諮詢紀錄"), ("我的諮詢紀錄", "我的諮詢紀錄")],
        )
    )
    return END


def _on_cancel(ctx: Ctx, conv: Conversation) -> str:
    return (
        "records.consult.edit_cancelled"
        if conv.data.get("editing")
        else "records.consult.cancelled"
    )


def _steps() -> dict[str, Step]:
    typed = ("postback", "text")
    return {
        KIND: step(typed, _kind_run, _kind_prompt),
        CLASS: step(typed, _class_run, _class_prompt),
        WHO: step(typed, _who_run, _who_prompt),
        STUDENTS: step("text", _students_run, _students_prompt),
        DATE: step(typed, _date_run, _date_prompt),
        START: step(typed, _start_run, _start_prompt),
        END_TIME: step(typed, _end_run, _end_prompt),
        PLACE: step("text", _place_run, _place_prompt),
        CONTENT: step("text", _content_run, _content_prompt),
        FILES: step(
            ("image", "video", "audio", "file", "postback", "text"), _files_run, _files_prompt
        ),
        CONFIRM: step(typed, _confirm_run, _confirm_prompt),
    }


CONSULTATION_FLOW = Flow(
    name=FLOW, steps=_steps(), begin=_begin, on_cancel=_on_cancel, help_key="records.consult.help"
)
