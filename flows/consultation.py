"""課程諮詢紀錄 in chat: a consultation teacher records a consultation, lists and corrects their own
records and sees the course choices of the students they advise; students see their own records.

新增諮詢紀錄 → group or individual → class (only classes they advise) → whole class, picked
students or one student → date, start, end (LINE's date/time pickers, or typed) → place →
content and advice (≤ 150 characters) → optional attachments (PDF slides, photos) → confirm.
The draft lives in the conversation; saving makes one record (school/records.py). Correcting
opens the same flow at its confirmation card with the record's values.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from catalogue import TEXTS, text
from flows import intake
from flows import messages as m
from flows.context import Ctx
from flows.engine import END, STAY, Flow, Input, Step, step
from flows.frontdesk import FrontDesk
from flows.links import file_link
from flows.records import split_for_line
from flows.store import Conversation
from flows.upload import card, shorten
from media import fit as media
from school import items, records
from school.records import RecordError
from school.roster import parse_roster_date
from storage.clock import at_taipei, format_date, taipei, taipei_date
from storage.identity import CONSULTANT, CONVENER, HOMEROOM, STAFF, STUDENT, TEACHER, Identity
from storage.models.records import GROUP, INDIVIDUAL, Consultation
from storage.models.school import SchoolClass, Staff, Student

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
# Postbacks outside the flow.
PREFIX = "cons:"
NEW = "new"
LIST = "list:"
EDIT_RECORD = "edit:"
COURSES = "courses"
MINE = "mine:"

# Staff hear who may record when they are not consultants; students also see their own records.
STAFF_PEOPLE = (TEACHER, HOMEROOM, CONSULTANT, CONVENER, STAFF)
PEOPLE = (STUDENT, *STAFF_PEOPLE)
DONE_WORDS = frozenset({"完成", "略過", "跳過", "沒有", "無", "下一步"})
SAVE_WORDS = frozenset({"儲存", "確認", "送出"})
WHOLE_WORDS = frozenset({"全班"})
PICK_WORDS = frozenset({"挑選學生", "挑選", "部分學生"})
# A consultation is recorded after it happened, within a school year or so.
EARLIEST_DAYS = 366
PER_PAGE = 10
# Attachment buttons on one record card (a bubble must stay small).
MAX_LINKED_FILES = 3
MAX_QUICK_CLASSES = 12
MAX_NAMES = 8
CONTENT_PREVIEW = 80
DEFAULT_START = "13:00"

_SEPARATORS = re.compile(r"[\s,，、;；]+")
_SEAT_RANGE = re.compile(r"(\d{1,2})[-~～到至](\d{1,2})")
_TIME = re.compile(r"(\d{1,2})\s*[:：點时時]\s*(\d{1,2})?\s*分?")
_TIME_DIGITS = re.compile(r"(\d{1,2})(\d{2})")


# --- who is talking ---------------------------------------------------------------------------


def _staff(ctx: Ctx) -> Staff | None:
    account = ctx.account
    if account is None or account.staff_id is None:
        return None
    return ctx.session.get(Staff, account.staff_id)


def _consultant(ctx: Ctx) -> Staff | None:
    staff = _staff(ctx)
    return staff if staff is not None and records.is_consultant(staff) else None


def _student(ctx: Ctx) -> Student | None:
    account = ctx.account
    if account is None or account.student_id is None:
        return None
    student = ctx.session.get(Student, account.student_id)
    return student if student is not None and student.sealed_at is None else None


def _only_consultants(ctx: Ctx) -> None:
    ctx.reply(m.text(text("records.consult.only_consultants")))


# --- showing a record -------------------------------------------------------------------------


def _time_range(start: datetime, end: datetime) -> str:
    a, b = taipei(start), taipei(end)
    return text("records.consult.time_range", start=f"{a:%H:%M}", end=f"{b:%H:%M}")


def _names(students: list[Student], whole_class: SchoolClass | None) -> str:
    if whole_class is not None:
        return text("records.consult.students_whole", code=whole_class.code, n=len(students))
    names = "、".join(s.name for s in students[:MAX_NAMES])
    key = "records.consult.students_some" if len(students) <= MAX_NAMES \
        else "records.consult.students_more"
    return text(key, names=names, n=len(students))


def _kind_label(kind: str) -> str:
    return text(f"records.consult.kind.{kind}")


def _files_line(ctx: Ctx, file_ids: list[int]) -> str:
    found = records.attachment_records(ctx.session, file_ids)
    if not found:
        return text("records.consult.files_none")
    return "、".join(shorten(f.display_name or text("records.consult.file_unnamed"), 24)
                    for f in found)


# --- the draft in the conversation ------------------------------------------------------------


def _draft_students(ctx: Ctx, conv: Conversation) -> list[Student]:
    ids = [int(i) for i in conv.data.get("students", [])]
    found = {s.id: s for s in (ctx.session.get(Student, i) for i in ids) if s is not None}
    return [found[i] for i in ids if i in found]


def _draft_class(ctx: Ctx, conv: Conversation) -> SchoolClass | None:
    class_id = conv.data.get("class_id")
    return ctx.session.get(SchoolClass, int(class_id)) if class_id else None


def _draft_times(conv: Conversation) -> tuple[datetime, datetime] | None:
    try:
        day = date.fromisoformat(conv.data["date"])
        start = time.fromisoformat(conv.data["start"])
        end = time.fromisoformat(conv.data["end"])
    except (KeyError, TypeError, ValueError):
        return None
    return at_taipei(day, start.hour, start.minute), at_taipei(day, end.hour, end.minute)


def _load(conv: Conversation, record: Consultation) -> None:
    start, end = taipei(record.starts_at), taipei(record.ends_at)
    conv.data.update(
        editing=record.id, review=True, kind=record.kind,
        class_id=record.class_id or (record.participants[0].student.class_id
                                     if record.participants else None),
        whole=record.class_id is not None,
        students=[p.student_id for p in record.participants],
        date=start.date().isoformat(), start=f"{start:%H:%M}", end=f"{end:%H:%M}",
        place=record.place, content=record.content,
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
    if not records.advised_classes(ctx.session, staff.id):
        ctx.reply(m.text(text("records.consult.no_classes")))
        return END
    if args.get("consultation_id"):
        record = records.own_consultation(ctx.session, staff.id, int(args["consultation_id"]))
        if record is None:
            ctx.reply(m.text(text("records.consult.not_found")))
            return END
        _load(conv, record)
        return CONFIRM
    conv.data.update(students=[], files=[])
    return KIND


# --- group or individual ----------------------------------------------------------------------


def _kind_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    quick: list[Any] = [(_kind_label(k), "postback", f"{KIND_PICK}{k}") for k in records.KINDS]
    return [m.text(text("records.consult.ask_kind"), quick=quick + CANCEL_QUICK)]


def _kind_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    chosen: str | None = None
    if inp.kind == "postback" and inp.data.startswith(KIND_PICK):
        chosen = inp.data[len(KIND_PICK):]
    elif inp.kind == "text":
        chosen = next((k for k in records.KINDS
                       if inp.word in (_kind_label(k), _kind_label(k)[:2])), None)
    if chosen not in records.KINDS:
        ctx.reply(m.text(text("records.consult.pick_kind")))
        return KIND
    assert chosen is not None
    if conv.data.get("kind") != chosen:
        conv.data.update(kind=chosen, students=[], whole=False)
    staff = _consultant(ctx)
    classes = records.advised_classes(ctx.session, staff.id) if staff else []
    if len(classes) == 1:
        conv.data["class_id"] = classes[0].id
        return _after_class(conv)
    return CLASS


def _after_class(conv: Conversation) -> str:
    return WHO if conv.data.get("kind") == GROUP else STUDENTS


# --- the class --------------------------------------------------------------------------------


def _class_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    staff = _consultant(ctx)
    classes = records.advised_classes(ctx.session, staff.id) if staff else []
    quick: list[Any] = [(c.code, "postback", f"{CLASS_PICK}{c.id}")
                        for c in classes[:MAX_QUICK_CLASSES]]
    codes = "、".join(c.code for c in classes)
    example = classes[0].code if classes else "101"
    return [m.text(text("records.consult.ask_class", classes=codes, example=example),
                   quick=quick + CANCEL_QUICK)]


def _class_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    staff = _consultant(ctx)
    if staff is None:
        _only_consultants(ctx)
        return END
    found: SchoolClass | None = None
    code = ""
    if inp.kind == "postback" and inp.data.startswith(CLASS_PICK):
        raw = inp.data[len(CLASS_PICK):]
        found = ctx.session.get(SchoolClass, int(raw)) if raw.isdigit() else None
    elif inp.kind == "text":
        code = unicodedata.normalize("NFKC", inp.word).removesuffix("班").strip()
        found = records.class_by_code(ctx.session, code)
    if found is None:
        ctx.reply(m.text(text("records.consult.unknown_class", code=code or "?")))
        return CLASS
    if not records.advises_class(ctx.session, staff.id, found.id):
        ctx.reply(m.text(text("records.consult.not_advised_class", code=found.code)))
        return CLASS
    if conv.data.get("class_id") != found.id:
        conv.data.update(class_id=found.id, students=[], whole=False)
    return _after_class(conv)


# --- whole class or picked students -----------------------------------------------------------


def _who_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    school_class = _draft_class(ctx, conv)
    quick: list[Any] = [(text("records.consult.button_whole"), "postback", WHOLE),
                        (text("records.consult.button_pick"), "postback", PICK)]
    return [m.text(text("records.consult.ask_who",
                        code=school_class.code if school_class else "?"),
                   quick=quick + CANCEL_QUICK)]


def _who_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    school_class = _draft_class(ctx, conv)
    if school_class is None:
        return CLASS
    if inp.data == WHOLE or (inp.kind == "text" and inp.word in WHOLE_WORDS):
        students = records.class_students(ctx.session, school_class.id)
        if not students:
            ctx.reply(m.text(text("records.consult.no_students_in_class",
                                  code=school_class.code)))
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
    roster = "\n".join(text("records.consult.roster_line", seat=_seat(s), name=s.name)
                       for s in students) or text("records.consult.no_students_in_class",
                                                  code=school_class.code)
    key = "records.consult.ask_students_individual" if conv.data.get("kind") == INDIVIDUAL \
        else "records.consult.ask_students_group"
    body = split_for_line(text(key, code=school_class.code, roster=roster), max_parts=1)[0]
    return [m.text(body, quick=CANCEL_QUICK)]


def _seat(student: Student) -> str:
    return f"{student.seat_no:02d}" if student.seat_no is not None else "--"


def _pick_students(ctx: Ctx, staff: Staff, school_class: SchoolClass,
                   words: str) -> tuple[list[Student], str | None]:
    """The students the words name (seats in the class, or student numbers), or what is wrong."""
    by_seat = {s.seat_no: s for s in records.class_students(ctx.session, school_class.id)}
    chosen: dict[int, Student] = {}
    unknown: list[str] = []
    for token in _SEPARATORS.split(unicodedata.normalize("NFKC", words).strip()):
        token = token.removesuffix("號")
        if not token:
            continue
        seats = _SEAT_RANGE.fullmatch(token)
        if seats:
            low, high = sorted((int(seats.group(1)), int(seats.group(2))))
            for seat in range(low, high + 1):
                if seat in by_seat:
                    chosen.setdefault(by_seat[seat].id, by_seat[seat])
            continue
        if token.isdigit() and len(token) <= 2:
            student = by_seat.get(int(token))
        else:
            student = records.student_by_no(ctx.session, token)
            if student is not None and not records.advises_student(ctx.session, staff.id,
                                                                     student):
                return [], text("records.consult.not_advised_student", name=student.name,
                                no=student.student_no)
            if student is not None and (student.status != records.ACTIVE_STATUS
                                        or student.sealed_at is not None):
                student = None
        if student is None:
            unknown.append(token)
        else:
            chosen.setdefault(student.id, student)
    if unknown:
        return [], text("records.consult.unknown_students", tokens="、".join(unknown[:10]))
    if not chosen:
        return [], text("records.consult.no_students_named")
    return list(chosen.values()), None


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
    action = m.datetime_action(text("records.consult.button_date"), DATE_PICKED, mode="date",
                               initial=current or today.isoformat(),
                               minimum=(today - timedelta(days=EARLIEST_DAYS)).isoformat(),
                               maximum=today.isoformat())
    return [m.with_quick_reply(m.buttons(ask, ask, [action]), CANCEL_QUICK)]


def _date_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    today = _today(ctx)
    day: date | None = None
    try:
        if inp.kind == "postback" and inp.data == DATE_PICKED:
            day = date.fromisoformat(str(inp.params.get("date") or ""))
        elif inp.kind == "text":
            day = parse_roster_date(inp.text)
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


def parse_time(words: str) -> time | None:
    """13:10, 1310, 13點10分 or 13點, as people type them."""
    value = unicodedata.normalize("NFKC", words).strip()
    found = _TIME.fullmatch(value) or _TIME_DIGITS.fullmatch(value)
    if not found:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _picked_time(inp: Input) -> time | None:
    if inp.kind == "postback" and inp.data == TIME_PICKED:
        raw = inp.params.get("time")
        try:
            return time.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            return None
    return parse_time(inp.text) if inp.kind == "text" else None


def _time_prompt(ask: str, initial: str) -> list[dict[str, Any]]:
    action = m.datetime_action(text("records.consult.button_time"), TIME_PICKED, mode="time",
                               initial=initial)
    return [m.with_quick_reply(m.buttons(ask, ask, [action]), CANCEL_QUICK)]


def _start_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    current = conv.data.get("start")
    return _time_prompt(text("records.consult.ask_start") + _current(conv, current),
                        current or DEFAULT_START)


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
    return _time_prompt(text("records.consult.ask_end", start=start) + _current(conv, current),
                        current or start)


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
    return [m.text(text("records.consult.ask_place", limit=records.PLACE_LIMIT)
                   + _current(conv, conv.data.get("place")), quick=CANCEL_QUICK)]


def _place_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    place = " ".join(inp.text.split())
    if not place:
        ctx.reply(m.text(text("records.consult.type_it")))
        return PLACE
    if len(place) > records.PLACE_LIMIT:
        ctx.reply(m.text(text("records.consult.place_too_long", limit=records.PLACE_LIMIT,
                              n=len(place))))
        return PLACE
    conv.data["place"] = place
    return _or_review(conv, CONTENT)


def _content_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    return [m.text(text("records.consult.ask_content", limit=records.CONTENT_LIMIT)
                   + _current(conv, conv.data.get("content")), quick=CANCEL_QUICK)]


def _content_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    content = inp.text.strip()
    if not content:
        ctx.reply(m.text(text("records.consult.type_it")))
        return CONTENT
    # Characters as people count them (each Chinese character is one).
    if len(content) > records.CONTENT_LIMIT:
        ctx.reply(m.text(text("records.consult.content_too_long", limit=records.CONTENT_LIMIT,
                              n=len(content))))
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
    return [m.text(text("records.consult.ask_files", limit=records.MAX_ATTACHMENTS, files=files),
                   quick=_files_quick(conv))]


def _files_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    files: list[int] = list(conv.data.get("files", []))
    if inp.kind in ("video", "audio"):
        # Refused before fetching: a phone video can be hundreds of megabytes.
        ctx.reply(m.text(text("records.consult.file_kind"), quick=_files_quick(conv)))
        return STAY
    if inp.kind in intake.CONTENT_MESSAGES:
        if len(files) >= records.MAX_ATTACHMENTS:
            ctx.reply(m.text(text("records.consult.too_many_files",
                                  limit=records.MAX_ATTACHMENTS), quick=_files_quick(conv)))
            return STAY
        try:
            incoming = intake.receive(ctx, inp)
        except SQLAlchemyError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever broke, the teacher hears it
            ctx.reply(m.text(intake.failure_text(exc) + "\n" + text("records.consult.file_kind"),
                             quick=_files_quick(conv)))
            return STAY
        if incoming.category != intake.DOCUMENT:
            ctx.reply(m.text(text("records.consult.file_kind"), quick=_files_quick(conv)))
            return STAY
        # Kept as received: the record stays at school, so the central caps do not apply.
        record = items.new_file_record(
            ctx.session, incoming.stored.sha256, incoming.stored.size,
            media.mime_of(incoming.kind) or "application/octet-stream", intake.DOCUMENT, None,
            ctx.now,
            incoming.display_name or text(
                "records.consult.photo_default_name" if incoming.is_photo
                else "records.consult.file_default_name", n=len(files) + 1))
        files.append(record.id)
        conv.data["files"] = files
        ctx.reply(m.text(text("records.consult.file_kept", name=record.display_name,
                              n=len(files)), quick=_files_quick(conv)))
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


EDITS = (("students", "button_edit_students", KIND), ("when", "button_edit_when", DATE),
         ("place", "button_edit_place", PLACE), ("content", "button_edit_content", CONTENT),
         ("files", "button_edit_files", FILES))


def _button(label: str, data: str, primary: bool = False) -> dict[str, Any]:
    return {"type": "button", "height": "sm", "style": "primary" if primary else "secondary",
            "action": m.postback_action(label, data, label)}


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
    title = "records.consult.card_title_edit" if conv.data.get("editing") \
        else "records.consult.card_title"
    buttons = [_button(text("records.consult.button_save"), SAVE, primary=True)]
    buttons += [_button(text(f"records.consult.{label}"), f"{EDIT}{key}")
                for key, label, _state in EDITS]
    alt = text("records.consult.card_alt", date=day, students=_names(students, whole))
    return [m.with_quick_reply(card(text(title), rows, buttons, alt=shorten(alt, 300)),
                               [(text("records.consult.button_save"), "postback", SAVE),
                                *CANCEL_QUICK])]


# What to ask again when the whole record is refused on saving.
_RETRY = {"end_before_start": START, "place": PLACE, "content": CONTENT,
          "no_students": STUDENTS, "individual_one": STUDENTS, "too_many_files": FILES}


def _confirm_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    if inp.kind == "postback" and inp.data.startswith(EDIT):
        wanted = inp.data[len(EDIT):]
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
    entry = records.ConsultationInput(
        kind=conv.data.get("kind", GROUP), student_ids=[int(i) for i in conv.data["students"]],
        starts_at=times[0], ends_at=times[1], place=conv.data.get("place", ""),
        content=conv.data.get("content", ""),
        class_id=int(conv.data["class_id"]) if conv.data.get("whole") else None,
        file_ids=[int(i) for i in conv.data.get("files", [])],
    )
    editing = conv.data.get("editing")
    try:
        record = records.save_consultation(ctx.session, ctx.rules, staff.id, entry, ctx.now,
                                           consultation_id=int(editing) if editing else None)
    except RecordError as exc:
        key = f"records.consult.error.{exc.reason}"
        ctx.reply(m.text(text(key, **exc.values) if key in TEXTS
                         else text("records.consult.error.other")))
        return _RETRY.get(exc.reason, END)
    students = [p.student for p in record.participants]
    say = "records.consult.corrected" if editing else "records.consult.saved"
    ctx.reply(m.text(text(say, date=format_date(record.starts_at),
                          time=_time_range(record.starts_at, record.ends_at),
                          students=_names(students, record.school_class)),
                     quick=[("新增諮詢紀錄", "新增諮詢紀錄"), ("我的諮詢紀錄", "我的諮詢紀錄")]))
    return END


def _on_cancel(ctx: Ctx, conv: Conversation) -> str:
    return "records.consult.edit_cancelled" if conv.data.get("editing") \
        else "records.consult.cancelled"


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
        FILES: step(("image", "video", "audio", "file", "postback", "text"), _files_run,
                    _files_prompt),
        CONFIRM: step(typed, _confirm_run, _confirm_prompt),
    }


CONSULTATION_FLOW = Flow(name=FLOW, steps=_steps(), begin=_begin, on_cancel=_on_cancel,
                         help_key="records.consult.help")


# --- lists ------------------------------------------------------------------------------------


def _page_quick(prefix: str, page: int, pages: int) -> list[Any]:
    quick: list[Any] = []
    if page > 0:
        quick.append((text("records.page_prev"), "postback", f"{prefix}{page - 1}"))
    if page < pages - 1:
        quick.append((text("records.page_next"), "postback", f"{prefix}{page + 1}"))
    return quick


def _attachment_links(ctx: Ctx, record: Consultation, viewer: tuple[str, int]) -> list[str]:
    """Signed, expiring links to the attachments, for someone allowed to see them."""
    return [file_link(ctx, None, a.file_id, viewer, ctx.now) for a in record.attachments]


def _record_bubble(record: Consultation, editable: bool,
                   links: list[str] | None = None) -> dict[str, Any]:
    students = [p.student for p in record.participants]
    lines: list[dict[str, Any]] = [
        {"type": "text", "text": _kind_label(record.kind), "size": "xs", "color": "#888888"},
        {"type": "text", "weight": "bold", "size": "md", "wrap": True,
         "text": f"{format_date(record.starts_at)} "
                 f"{_time_range(record.starts_at, record.ends_at)}"},
        {"type": "text", "text": _names(students, record.school_class), "size": "sm",
         "wrap": True},
        {"type": "text", "text": text("records.consult.place_line", place=record.place),
         "size": "sm", "wrap": True, "color": "#555555"},
        {"type": "text", "text": shorten(record.content, CONTENT_PREVIEW), "size": "sm",
         "wrap": True, "margin": "md"},
    ]
    if record.attachments:
        lines.append({"type": "text", "size": "xs", "color": "#888888", "margin": "sm",
                      "text": text("records.consult.files_count", n=len(record.attachments))})
    bubble: dict[str, Any] = {"type": "bubble", "size": "kilo",
                              "body": {"type": "box", "layout": "vertical", "contents": lines}}
    buttons = [
        {"type": "button", "style": "link", "height": "sm",
         "action": m.uri_action(text("records.consult.button_file", n=n), url)}
        for n, url in enumerate((links or [])[:MAX_LINKED_FILES], start=1)
    ]
    if editable:
        buttons.append(
            _button(text("records.consult.button_edit"), f"{PREFIX}{EDIT_RECORD}{record.id}"))
    if buttons:
        bubble["footer"] = {"type": "box", "layout": "vertical", "contents": buttons}
    return bubble


def show_own_records(ctx: Ctx, staff: Staff, page: int) -> None:
    found, total = records.consultations_by(ctx.session, staff.id, offset=page * PER_PAGE,
                                            limit=PER_PAGE)
    if total == 0:
        ctx.reply(m.text(text("records.consult.list_empty"),
                         quick=[("新增諮詢紀錄", "新增諮詢紀錄")]))
        return
    pages = (total + PER_PAGE - 1) // PER_PAGE
    if not found:
        page = pages - 1
        found, _ = records.consultations_by(ctx.session, staff.id, offset=page * PER_PAGE,
                                            limit=PER_PAGE)
    carousel = m.flex(text("records.consult.list_alt", n=total),
                      m.carousel([
                          _record_bubble(r, editable=True, links=_attachment_links(
                              ctx, r, (items.VIEWER_STAFF, staff.id)))
                          for r in found]))
    quick = _page_quick(f"{PREFIX}{LIST}", page, pages) + [("新增諮詢紀錄", "新增諮詢紀錄")]
    ctx.reply(m.text(text("records.consult.list_head", total=total, page=page + 1, pages=pages)),
              m.with_quick_reply(carousel, quick))


def show_student_records(ctx: Ctx, student: Student, page: int) -> None:
    found, total = records.consultations_of_student(ctx.session, student.id,
                                                    offset=page * PER_PAGE, limit=PER_PAGE)
    if total == 0:
        ctx.reply(m.text(text("records.consult.student_empty")))
        return
    pages = (total + PER_PAGE - 1) // PER_PAGE
    entries = []
    for record in found:
        links = _attachment_links(ctx, record, (items.VIEWER_STUDENT, student.id))
        files = text("records.consult.student_files", n=len(links),
                     links="\n".join(links)) if links else ""
        entries.append(text(
            "records.consult.student_item", date=format_date(record.starts_at),
            time=_time_range(record.starts_at, record.ends_at), kind=_kind_label(record.kind),
            teacher=record.consultant.name, place=record.place, content=record.content,
            files=files))
    head = text("records.consult.student_head", total=total, page=page + 1, pages=pages)
    body = split_for_line(head + "\n\n" + "\n\n".join(entries), max_parts=1)[0]
    quick = _page_quick(f"{PREFIX}{MINE}", page, pages)
    ctx.reply(m.text(body, quick=quick or None))


def _menu(ctx: Ctx, staff: Staff) -> None:
    classes = records.advised_classes(ctx.session, staff.id)
    if not classes:
        ctx.reply(m.text(text("records.consult.no_classes")))
        return
    _, total = records.consultations_by(ctx.session, staff.id, limit=1)
    quick: list[Any] = [(text("records.consult.button_new"), "postback", f"{PREFIX}{NEW}"),
                        (text("records.consult.button_list"), "postback", f"{PREFIX}{LIST}0"),
                        (text("records.consult.button_courses"), "postback",
                         f"{PREFIX}{COURSES}")]
    codes = shorten("、".join(c.code for c in classes), 200)
    ctx.reply(m.text(text("records.consult.menu", name=staff.name, classes=codes, count=total),
                     quick=quick))


# --- course choices of advised students -------------------------------------------------------


def _pick_class_for_courses(ctx: Ctx, staff: Staff) -> None:
    classes = records.advised_classes(ctx.session, staff.id)
    if not classes:
        ctx.reply(m.text(text("records.consult.no_classes")))
        return
    if len(classes) == 1:
        show_course_choices(ctx, staff, classes[0].id)
        return
    quick: list[Any] = [(c.code, "postback", f"{PREFIX}{COURSES}:{c.id}")
                        for c in classes[:MAX_QUICK_CLASSES]]
    ctx.reply(m.text(text("records.courses.pick_class"), quick=quick))


def show_course_choices(ctx: Ctx, staff: Staff, class_id: int) -> None:
    school_class = ctx.session.get(SchoolClass, class_id)
    if school_class is None or not records.advises_class(ctx.session, staff.id, class_id):
        ctx.reply(m.text(text("records.consult.not_advised_class",
                              code=school_class.code if school_class else "?")))
        return
    term = items.current_term(ctx.rules, ctx.now)
    year = term.academic_year if term else records.term_of(ctx.rules, ctx.now).academic_year
    students = records.class_students(ctx.session, class_id)
    choices = records.course_choices(ctx.session, class_id, year)
    if not choices:
        ctx.reply(m.text(text("records.courses.empty", code=school_class.code, year=year)))
        return
    lines = [text("records.courses.head", code=school_class.code, year=year, n=len(students))]
    for term_choices in choices:
        lines.append("")
        lines.append(text("records.courses.term", year=term_choices.academic_year,
                          semester=term_choices.semester))
        lines.append(text("records.courses.common",
                          subjects="、".join(term_choices.common) or text("records.courses.none")))
        if not term_choices.others:
            lines.append(text("records.courses.all_same"))
            continue
        lines.append(text("records.courses.others_head"))
        for student in students:
            extra = term_choices.others.get(student.id)
            if extra:
                lines.append(text("records.courses.other_line", seat=_seat(student),
                                  name=student.name, subjects="、".join(extra)))
    parts = split_for_line("\n".join(lines), max_parts=4)
    ctx.reply(*[m.text(p) for p in parts])


# --- commands and buttons ---------------------------------------------------------------------


def on_consult(ctx: Ctx, ident: Identity, inp: Input) -> None:
    """The 諮詢紀錄 tile and keyword: the consultant's menu, or a student's own records."""
    staff = _consultant(ctx)
    if staff is not None:
        _menu(ctx, staff)
        return
    student = _student(ctx)
    if student is not None:
        show_student_records(ctx, student, 0)
        return
    _only_consultants(ctx)


def on_new(ctx: Ctx, ident: Identity, inp: Input) -> None:
    if _consultant(ctx) is None:
        _only_consultants(ctx)
        return
    from flows.frontdesk import desk

    desk().start_flow(ctx, FLOW)


def on_list(ctx: Ctx, ident: Identity, inp: Input) -> None:
    staff = _consultant(ctx)
    if staff is None:
        _only_consultants(ctx)
        return
    show_own_records(ctx, staff, 0)


def on_courses(ctx: Ctx, ident: Identity, inp: Input) -> None:
    staff = _consultant(ctx)
    if staff is None:
        _only_consultants(ctx)
        return
    _pick_class_for_courses(ctx, staff)


def _number(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None


def on_postback(ctx: Ctx, ident: Identity, inp: Input, rest: str) -> None:
    if rest.startswith(MINE):
        student = _student(ctx)
        if student is None:
            ctx.reply(m.text(text("desk.not_for_you")))
            return
        show_student_records(ctx, student, _number(rest[len(MINE):]) or 0)
        return
    staff = _consultant(ctx)
    if staff is None:
        _only_consultants(ctx)
        return
    if rest == NEW:
        on_new(ctx, ident, inp)
    elif rest.startswith(LIST):
        show_own_records(ctx, staff, _number(rest[len(LIST):]) or 0)
    elif rest.startswith(EDIT_RECORD) and (record_id := _number(rest[len(EDIT_RECORD):])):
        from flows.frontdesk import desk

        desk().start_flow(ctx, FLOW, consultation_id=record_id)
    elif rest == COURSES:
        _pick_class_for_courses(ctx, staff)
    elif rest.startswith(f"{COURSES}:") and (class_id := _number(rest[len(COURSES) + 1:])):
        show_course_choices(ctx, staff, class_id)
    else:
        ctx.reply(m.text(text("desk.stale_button")))


def register(desk: FrontDesk) -> None:
    desk.command("consult", ("諮詢紀錄", "課程諮詢"), PEOPLE)(on_consult)
    desk.command("consult_new", ("新增諮詢紀錄",), STAFF_PEOPLE)(on_new)
    desk.command("consult_list", ("我的諮詢紀錄",), STAFF_PEOPLE)(on_list)
    desk.command("consult_courses", ("學生選課",), STAFF_PEOPLE)(on_courses)
    desk.postback(PREFIX, PEOPLE)(on_postback)
    desk.add_flow(CONSULTATION_FLOW)
