"""課程諮詢紀錄 in chat, the record flow: a consultation teacher records a consultation or corrects
one (the lists, course choices and buttons are in flows/consultation_menu.py).

新增諮詢紀錄 → group or individual → class (only classes they advise) → whole class, picked
students or one student → date, start, end (LINE's date/time pickers, or typed) → place →
content and advice (≤ 150 characters) → optional attachments (PDF slides, photos) → confirm.
The draft lives in the conversation; saving makes one record (school/consultations.py). Correcting
opens the same flow at its confirmation card with the record's values.
"""

from __future__ import annotations

import unicodedata
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from catalogue import TEXTS, text
from flows import intake
from flows import messages as m
from flows.cards import card, postback_button, shorten
from flows.consultation_record import (
    MAX_QUICK_CLASSES,
    _consultant,
    _draft_class,
    _draft_students,
    _draft_times,
    _files_line,
    _kind_label,
    _names,
    _only_consultants,
    _pick_students,
    _seat,
    _time_range,
    parse_time,
)
from flows.context import Ctx
from flows.engine import END, STAY, Flow, Input, Step, step
from flows.long_text import split_for_line
from flows.store import Conversation
from media.kinds import mime_of
from school import consultants, consultations, items, records
from school.dates import parse_date
from school.records import RecordError
from storage.clock import format_date, taipei, taipei_date
from storage.models.records import GROUP, INDIVIDUAL, Consultation
from storage.models.school import SchoolClass

FLOW = "record_consultation"
KIND = "consult:kind"
CLASS = "consult:class"
WHO = "consult:who"
STUDENTS = "consult:students"
DATE = "consult:date"
START = "consult:start"
END_TIME = "consult:end"
PLACE = "consult:place"
CONTENT = "consult:content"
FILES = "consult:files"
CONFIRM = "consult:confirm"

# Postbacks inside the flow (a stale one with no flow open is answered as a stale button).
KIND_PICK = "cs:kind:"
CLASS_PICK = "cs:class:"
WHOLE = "cs:whole"
PICK = "cs:pick"
DATE_PICKED = "cs:date"
TIME_PICKED = "cs:time"
DONE = "cs:done"
CLEAR = "cs:clear"
SAVE = "cs:save"
EDIT = "cs:edit:"

DONE_WORDS = frozenset({"完成", "略過", "跳過", "沒有", "無", "下一步"})
SAVE_WORDS = frozenset({"儲存", "確認", "送出"})
WHOLE_WORDS = frozenset({"全班"})
PICK_WORDS = frozenset({"挑選學生", "挑選", "部分學生"})
# A consultation is recorded after it happened, within a school year or so.
EARLIEST_DAYS = 366
DEFAULT_START = "13:00"


# --- the draft in the conversation ------------------------------------------------------------


def _load(conv: Conversation, record: Consultation) -> None:
    start, end = taipei(record.starts_at), taipei(record.ends_at)
    conv.data.update(
        editing=record.id,
        review=True,
        kind=record.kind,
        class_id=record.class_id
        or (record.participants[0].student.class_id if record.participants else None),
        whole=record.class_id is not None,
        students=[p.student_id for p in record.participants],
        date=start.date().isoformat(),
        start=f"{start:%H:%M}",
        end=f"{end:%H:%M}",
        place=record.place,
        content=record.content,
        files=[a.file_id for a in record.attachments],
    )


def _or_review(conv: Conversation, state: str) -> str:
    return CONFIRM if conv.data.get("review") else state


def _current(conv: Conversation, value: str | None) -> str:
    if not value:
        return ""
    return "\n" + text("records.consult.current", value=value)


CANCEL_QUICK: list[Any] = [("取消", "取消")]


# --- begin ------------------------------------------------------------------------------------


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


# --- group or individual ----------------------------------------------------------------------


def _kind_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    quick: list[Any] = [
        (_kind_label(k), "postback", f"{KIND_PICK}{k}") for k in consultations.KINDS
    ]
    return [m.text(text("records.consult.ask_kind"), quick=quick + CANCEL_QUICK)]


def _kind_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    chosen: str | None = None
    if inp.kind == "postback" and inp.data.startswith(KIND_PICK):
        chosen = inp.data[len(KIND_PICK) :]
    elif inp.kind == "text":
        chosen = next(
            (k for k in consultations.KINDS if inp.word in (_kind_label(k), _kind_label(k)[:2])),
            None,
        )
    if chosen not in consultations.KINDS:
        ctx.reply(m.text(text("records.consult.pick_kind")))
        return KIND
    assert chosen is not None
    if conv.data.get("kind") != chosen:
        conv.data.update(kind=chosen, students=[], whole=False)
    staff = _consultant(ctx)
    classes = consultants.advised_classes(ctx.session, staff.id) if staff else []
    if len(classes) == 1:
        conv.data["class_id"] = classes[0].id
        return _after_class(conv)
    return CLASS


def _after_class(conv: Conversation) -> str:
    return WHO if conv.data.get("kind") == GROUP else STUDENTS


# --- the class --------------------------------------------------------------------------------


def _class_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    staff = _consultant(ctx)
    classes = consultants.advised_classes(ctx.session, staff.id) if staff else []
    quick: list[Any] = [
        (c.code, "postback", f"{CLASS_PICK}{c.id}") for c in classes[:MAX_QUICK_CLASSES]
    ]
    codes = "、".join(c.code for c in classes)
    example = classes[0].code if classes else "101"
    return [
        m.text(
            text("records.consult.ask_class", classes=codes, example=example),
            quick=quick + CANCEL_QUICK,
        )
    ]


def _class_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    staff = _consultant(ctx)
    if staff is None:
        _only_consultants(ctx)
        return END
    found: SchoolClass | None = None
    code = ""
    if inp.kind == "postback" and inp.data.startswith(CLASS_PICK):
        raw = inp.data[len(CLASS_PICK) :]
        found = ctx.session.get(SchoolClass, int(raw)) if raw.isdigit() else None
    elif inp.kind == "text":
        code = unicodedata.normalize("NFKC", inp.word).removesuffix("班").strip()
        found = records.class_by_code(ctx.session, code)
    if found is None:
        ctx.reply(m.text(text("records.consult.unknown_class", code=code or "?")))
        return CLASS
    if not consultants.advises_class(ctx.session, staff.id, found.id):
        ctx.reply(m.text(text("records.consult.not_advised_class", code=found.code)))
        return CLASS
    if conv.data.get("class_id") != found.id:
        conv.data.update(class_id=found.id, students=[], whole=False)
    return _after_class(conv)


# --- whole class or picked students -----------------------------------------------------------


def _who_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    school_class = _draft_class(ctx, conv)
    quick: list[Any] = [
        (text("records.consult.button_whole"), "postback", WHOLE),
        (text("records.consult.button_pick"), "postback", PICK),
    ]
    return [
        m.text(
            text("records.consult.ask_who", code=school_class.code if school_class else "?"),
            quick=quick + CANCEL_QUICK,
        )
    ]


def _who_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    school_class = _draft_class(ctx, conv)
    if school_class is None:
        return CLASS
    if inp.data == WHOLE or (inp.kind == "text" and inp.word in WHOLE_WORDS):
        students = records.class_students(ctx.session, school_class.id)
        if not students:
            ctx.reply(m.text(text("records.consult.no_students_in_class", code=school_class.code)))
            return CLASS
        conv.data.update(whole=True, students=[s.id for s in students])
        return _or_review(conv, DATE)
    if inp.data == PICK or (inp.kind == "text" and inp.word in PICK_WORDS):
        conv.data["whole"] = False
        return STUDENTS
    ctx.reply(m.text(text("records.consult.pick_who")))
    return WHO


# --- the students -----------------------------------------------------------------------------


def _students_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    school_class = _draft_class(ctx, conv)
    if school_class is None:
        return [m.text(text("records.consult.no_students_in_class", code="?"))]
    students = records.class_students(ctx.session, school_class.id)
    roster = "\n".join(
        text("records.consult.roster_line", seat=_seat(s), name=s.name) for s in students
    ) or text("records.consult.no_students_in_class", code=school_class.code)
    key = (
        "records.consult.ask_students_individual"
        if conv.data.get("kind") == INDIVIDUAL
        else "records.consult.ask_students_group"
    )
    body = split_for_line(text(key, code=school_class.code, roster=roster), max_parts=1)[0]
    return [m.text(body, quick=CANCEL_QUICK)]


def _students_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    staff = _consultant(ctx)
    school_class = _draft_class(ctx, conv)
    if staff is None or school_class is None:
        return CLASS
    students, problem = _pick_students(ctx, staff, school_class, inp.text)
    if problem is None and conv.data.get("kind") == INDIVIDUAL and len(students) != 1:
        problem = text("records.consult.one_student")
    if problem is not None:
        ctx.reply(m.text(problem))
        return STUDENTS
    conv.data.update(whole=False, students=[s.id for s in students])
    return _or_review(conv, DATE)


# --- date and times ---------------------------------------------------------------------------


def _today(ctx: Ctx) -> date:
    return taipei_date(ctx.now)


def _date_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    today = _today(ctx)
    current = conv.data.get("date")
    shown = format_date(date.fromisoformat(current)) if current else None
    ask = text("records.consult.ask_date", example=format_date(today)) + _current(conv, shown)
    action = m.datetime_action(
        text("records.consult.button_date"),
        DATE_PICKED,
        mode="date",
        initial=current or today.isoformat(),
        minimum=(today - timedelta(days=EARLIEST_DAYS)).isoformat(),
        maximum=today.isoformat(),
    )
    return [m.with_quick_reply(m.buttons(ask, ask, [action]), CANCEL_QUICK)]


def _date_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    today = _today(ctx)
    day: date | None = None
    try:
        if inp.kind == "postback" and inp.data == DATE_PICKED:
            day = date.fromisoformat(str(inp.params.get("date") or ""))
        elif inp.kind == "text":
            day = parse_date(inp.text)
    except ValueError:
        day = None
    if day is None:
        ctx.reply(m.text(text("records.consult.bad_date", example=format_date(today))))
        return DATE
    if day > today or day < today - timedelta(days=EARLIEST_DAYS):
        ctx.reply(m.text(text("records.consult.date_range")))
        return DATE
    conv.data["date"] = day.isoformat()
    return START


def _picked_time(inp: Input) -> time | None:
    if inp.kind == "postback" and inp.data == TIME_PICKED:
        raw = inp.params.get("time")
        try:
            return time.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            return None
    return parse_time(inp.text) if inp.kind == "text" else None


def _time_prompt(ask: str, initial: str) -> list[dict[str, Any]]:
    action = m.datetime_action(
        text("records.consult.button_time"), TIME_PICKED, mode="time", initial=initial
    )
    return [m.with_quick_reply(m.buttons(ask, ask, [action]), CANCEL_QUICK)]


def _start_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    current = conv.data.get("start")
    return _time_prompt(
        text("records.consult.ask_start") + _current(conv, current), current or DEFAULT_START
    )


def _start_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    picked = _picked_time(inp)
    if picked is None:
        ctx.reply(m.text(text("records.consult.bad_time")))
        return START
    conv.data["start"] = f"{picked:%H:%M}"
    return END_TIME


def _end_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    start = conv.data.get("start") or DEFAULT_START
    current = conv.data.get("end")
    if current and current <= start:
        current = None
    return _time_prompt(
        text("records.consult.ask_end", start=start) + _current(conv, current), current or start
    )


def _end_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    picked = _picked_time(inp)
    if picked is None:
        ctx.reply(m.text(text("records.consult.bad_time")))
        return END_TIME
    start = conv.data.get("start") or DEFAULT_START
    if f"{picked:%H:%M}" <= start:
        ctx.reply(m.text(text("records.consult.end_before_start", start=start)))
        return END_TIME
    conv.data["end"] = f"{picked:%H:%M}"
    return _or_review(conv, PLACE)


# --- place and content ------------------------------------------------------------------------


def _place_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    return [
        m.text(
            text("records.consult.ask_place", limit=consultations.PLACE_LIMIT)
            + _current(conv, conv.data.get("place")),
            quick=CANCEL_QUICK,
        )
    ]


def _place_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    place = " ".join(inp.text.split())
    if not place:
        ctx.reply(m.text(text("records.consult.type_it")))
        return PLACE
    if len(place) > consultations.PLACE_LIMIT:
        ctx.reply(
            m.text(
                text(
                    "records.consult.place_too_long", limit=consultations.PLACE_LIMIT, n=len(place)
                )
            )
        )
        return PLACE
    conv.data["place"] = place
    return _or_review(conv, CONTENT)


def _content_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    return [
        m.text(
            text("records.consult.ask_content", limit=consultations.CONTENT_LIMIT)
            + _current(conv, conv.data.get("content")),
            quick=CANCEL_QUICK,
        )
    ]


def _content_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    content = inp.text.strip()
    if not content:
        ctx.reply(m.text(text("records.consult.type_it")))
        return CONTENT
    # Characters as people count them (each Chinese character is one).
    if len(content) > consultations.CONTENT_LIMIT:
        ctx.reply(
            m.text(
                text(
                    "records.consult.content_too_long",
                    limit=consultations.CONTENT_LIMIT,
                    n=len(content),
                )
            )
        )
        return CONTENT
    conv.data["content"] = content
    return _or_review(conv, FILES)


# --- attachments ------------------------------------------------------------------------------


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
        record = items.new_file_record(
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
