"""多元表現: pick a record type of the central database → its own fields → 內容簡述 → proof → saved.

Every record type and its fields are declared as data (RECORD_TYPES): dates are asked with
LINE's date picker, numbers are checked, choices are quick replies. Each field is its own
state, so 上一步 walks back one field at a time. The draft is a Performance row in status
draft; it survives a timeout like the course-outcome draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from catalogue import TEXTS, text
from flows import intake
from flows import messages as m
from flows.cards import card
from flows.context import Ctx
from flows.engine import END, STAY, Flow, Input, Step, step
from flows.frontdesk import FrontDesk
from flows.my_portfolio import with_card_taps
from flows.store import Conversation
from flows.submission import (
    MENU_QUICK,
    PERFORMANCE_FLOW,
    check_summary,
    chosen_term,
    count_line,
    current_student,
    describe_files,
    limit_refusal,
    refuse_submission,
    send_failure,
    term_prompt,
    type_label,
    window_refusal,
)
from rules.model import PERFORMANCE
from school import dates as school_dates
from school import items
from school.dates import DateFormatError
from school.items import TermRef
from storage.clock import academic_year_of, format_date, taipei_date
from storage.identity import STUDENT, Identity
from storage.models.portfolio import DRAFT, Performance

FLOW = PERFORMANCE_FLOW
TERM = "performance:term"
TYPE = "performance:type"
SUMMARY = "performance:summary"
FILES = "performance:files"
CONFIRM = "performance:confirm"

TYPE_PICK = "pf:type:"
DATE_PICKED = "pf:date"
SKIP = "pf:skip"
NEXT = "pf:next"
CLEAR = "pf:clear"
SAVE = "pf:save"
EDIT_SUMMARY = "pf:edit"
ADD_FILES = "pf:more"

SKIP_WORDS = frozenset({"略過", "跳過", "沒有", "無"})  # optional fields only
NEXT_WORDS = frozenset({"下一步", "完成", "好了", "略過", "沒有"})
SAVE_WORDS = frozenset({"儲存", "送出", "確認"})
EARLIEST_DATE = date(2000, 1, 1)
# How far ahead an end date may be (a cadre term or a course still running).
FUTURE_DAYS = 366
DEFAULT_TEXT_LENGTH = 50


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record type: how it is asked and checked."""

    key: str
    kind: str  # text | date | number | choice | year | semester
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int = DEFAULT_TEXT_LENGTH
    minimum: Decimal = Decimal(0)
    maximum: Decimal = Decimal(10_000)
    integer: bool = False
    # Dates: not before this other date field (an end after its start), and whether a date
    # after today makes sense (an end date may lie ahead; a result date may not).
    not_before: str | None = None
    future_ok: bool = False


@dataclass(frozen=True)
class RecordType:
    key: str
    fields: tuple[FieldSpec, ...]


def _text(key: str, required: bool = True, max_length: int = DEFAULT_TEXT_LENGTH) -> FieldSpec:
    return FieldSpec(key, "text", required, max_length=max_length)


def _date(
    key: str, required: bool = True, not_before: str | None = None, future_ok: bool = False
) -> FieldSpec:
    return FieldSpec(key, "date", required, not_before=not_before, future_ok=future_ok)


def _number(
    key: str, minimum: str, maximum: str, integer: bool = False, required: bool = True
) -> FieldSpec:
    return FieldSpec(
        key, "number", required, minimum=Decimal(minimum), maximum=Decimal(maximum), integer=integer
    )


def _choice(key: str, *choices: str, required: bool = True) -> FieldSpec:
    return FieldSpec(key, "choice", required, choices=choices)


_YEAR = FieldSpec("year", "year")
_SEMESTER = FieldSpec("semester", "semester")
_START = _date("start")
_END = _date("end", not_before="start", future_ok=True)

# The central database's record types (DOMAIN.md §2), each with its own fields beyond 內容簡述
# and proof. Choice values are the database's own category names: they are stored and exported
# as they are, so they live here as data rather than in the text catalogue.
RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType(
        "cadre",
        (
            _text("unit"),
            _START,
            _date("end", required=False, not_before="start", future_ok=True),
            _text("position"),
            _choice("level", "校級幹部", "班級幹部", "社團幹部", "其他幹部"),
        ),
    ),
    RecordType(
        "competition",
        (
            _text("name"),
            _text("item"),
            _choice("level", "校級", "縣市級", "區域（跨縣市）級", "全國", "國際"),
            _text("award"),
            _date("result_date"),
            _choice("team", "個人", "團體"),
        ),
    ),
    RecordType(
        "certificate",
        (
            _text("code"),
            _number("score", "0", "10000", required=False),
            _text("sub_scores", required=False, max_length=100),
            _date("obtained"),
            _text("number", required=False),
            _text("group", required=False),
        ),
    ),
    RecordType(
        "service",
        (
            _text("name"),
            _text("organisation"),
            _START,
            _END,
            _number("hours", "0.5", "2000"),
        ),
    ),
    RecordType(
        "flexible",
        (
            _choice(
                "category",
                "自主學習",
                "選手培訓",
                "充實（增廣）性教學",
                "補強性教學",
                "學校特色活動",
            ),
            _text("title"),
            _text("organiser"),
            _YEAR,
            _SEMESTER,
            _number("periods_per_week", "1", "40", integer=True),
            _number("weeks", "1", "25", integer=True),
        ),
    ),
    RecordType(
        "group_activity",
        (
            _choice(
                "category",
                "班級活動",
                "社團活動",
                "學生自治會活動",
                "學生服務學習活動",
                "週會或講座",
            ),
            _text("organiser"),
            _text("title"),
            _YEAR,
            _SEMESTER,
            _number("periods", "1", "300", integer=True),
        ),
    ),
    RecordType(
        "workplace",
        (
            _choice("category", "職場見習", "職場體驗", "職場實習", "其他"),
            _text("organisation"),
            _START,
            _END,
            _number("hours", "0.5", "2000"),
        ),
    ),
    RecordType("works", (_text("title"), _date("date"))),
    RecordType(
        "university_course",
        (
            _text("programme"),
            _text("organiser"),
            _text("course"),
            _START,
            _END,
            _number("credits", "0", "20"),
            _number("hours", "0.5", "500"),
        ),
    ),
    RecordType(
        "other",
        (
            _text("title"),
            _text("organiser"),
            _START,
            _date("end", required=False, not_before="start", future_ok=True),
            _number("hours", "0.5", "2000", required=False),
        ),
    ),
)
TYPES = {t.key: t for t in RECORD_TYPES}


def field_label(record_type: str, spec: FieldSpec) -> str:
    """A type's own wording for a field where it has one, else the common one."""
    own = f"performance.field.{record_type}.{spec.key}"
    return text(own) if own in TEXTS else text(f"performance.field.{spec.key}")


def field_state(record_type: str, key: str) -> str:
    return f"performance:{record_type}:{key}"


# --- the draft --------------------------------------------------------------------------------


def _draft(ctx: Ctx, conv: Conversation) -> Performance | None:
    draft_id = conv.data.get("draft_id")
    student = current_student(ctx)
    if not draft_id or student is None:
        return None
    found = items.own_performance(ctx.session, student.id, int(draft_id))
    return found if found is not None and found.status == DRAFT else None


def _lost(ctx: Ctx) -> str:
    ctx.reply(m.text(text("upload.draft_gone"), quick=MENU_QUICK))
    return END


def _next_state(performance: Performance, after: str | None = None) -> str:
    """The state after field `after` (None: the first field)."""
    fields = TYPES[performance.record_type].fields
    keys = [f.key for f in fields]
    index = 0 if after is None else keys.index(after) + 1
    if index < len(keys):
        return field_state(performance.record_type, keys[index])
    return SUMMARY


def _resume_state(ctx: Ctx, performance: Performance) -> str:
    if performance.record_type not in TYPES:
        return TYPE
    for spec in TYPES[performance.record_type].fields:
        if spec.key not in performance.fields:
            return field_state(performance.record_type, spec.key)
    if not performance.summary:
        return SUMMARY
    if items.page_count(ctx.session, items.PERFORMANCE_DRAFT, performance.id):
        return FILES
    return CONFIRM


def _term(performance: Performance) -> TermRef:
    return TermRef(performance.academic_year, performance.semester)


def _begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    student = current_student(ctx)
    if student is None:
        ctx.reply(m.text(text("desk.not_for_you")))
        return END
    if args.get("draft_id"):
        found = items.own_performance(ctx.session, student.id, int(args["draft_id"]))
        if found is None or found.status != DRAFT:
            return _lost(ctx)
        conv.data["draft_id"] = found.id
        return _resume_state(ctx, found)
    open_terms = items.upload_terms(ctx.rules, PERFORMANCE, student.grade, ctx.now)
    if len(open_terms) > 1:
        conv.data["terms"] = [[t.academic_year, t.semester] for t in open_terms]
        return TERM
    term = open_terms[0] if open_terms else items.current_term(ctx.rules, ctx.now)
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


def _start_term(ctx: Ctx, conv: Conversation, student: Any, term: TermRef) -> str:
    check = items.check_window_for(
        ctx.session, ctx.rules, PERFORMANCE, term, student.id, student.grade, ctx.now
    )
    if not check.open:
        ctx.reply(m.text(window_refusal(check, PERFORMANCE)))
        return END
    usage = items.room(ctx.session, ctx.rules, PERFORMANCE, student.id, term)
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
        usage = items.room(
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
        return _lost(ctx)
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
    performance = _draft(ctx, conv)
    if performance is None:
        if conv.data.get("term"):
            year, semester = conv.data["term"]
            term = TermRef(int(year), int(semester))
        else:
            found = items.current_term(ctx.rules, ctx.now)
            if found is None:
                return _lost(ctx)
            term = found
        performance = items.create_performance_draft(ctx.session, student.id, chosen, term, ctx.now)
        conv.data["draft_id"] = performance.id
    elif performance.record_type != chosen:
        # Back at the start with another type: the old type's fields (and the way back
        # through them) do not apply.
        performance.record_type = chosen
        performance.fields = {}
        conv.history.clear()
    return _next_state(performance)


# --- the fields ---


def _today(ctx: Ctx) -> date:
    return taipei_date(ctx.now)


def _show(spec: FieldSpec, value: Any) -> str:
    if value is None:
        return text("performance.skipped")
    if spec.kind == "date":
        return format_date(date.fromisoformat(str(value)))
    if spec.kind == "semester":
        return text("performance.semester_value", n=value)
    return str(value)


def _year_choices(ctx: Ctx) -> list[str]:
    current = academic_year_of(_today(ctx))
    return [str(current - n) for n in range(3)]


# Steps after a type's own fields: 內容簡述, then the files.
AFTER_FIELDS = 2


def _field_prompt_for(record_type: str, spec: FieldSpec):  # type: ignore[no-untyped-def]
    def prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
        performance = _draft(ctx, conv)
        label = field_label(record_type, spec)
        step_no = [f.key for f in TYPES[record_type].fields].index(spec.key) + 1
        head = _step_head(record_type, step_no)
        current = ""
        if performance is not None and spec.key in performance.fields:
            current = "\n" + text(
                "performance.current_value", value=_show(spec, performance.fields[spec.key])
            )
        quick: list[Any] = []
        if not spec.required:
            quick.append((text("performance.button_skip"), "postback", SKIP))
        quick.append(("取消", "取消"))
        if spec.kind == "date":
            today = _today(ctx)
            latest = today + timedelta(days=FUTURE_DAYS) if spec.future_ok else today
            ask = text("performance.ask_date", label=label)
            actions = [
                m.datetime_action(
                    text("performance.button_pick_date"),
                    DATE_PICKED,
                    mode="date",
                    initial=min(today, latest).isoformat(),
                    minimum=EARLIEST_DATE.isoformat(),
                    maximum=latest.isoformat(),
                )
            ]
            if not spec.required:
                actions.append(
                    m.postback_action(
                        text("performance.button_skip"), SKIP, text("performance.button_skip")
                    )
                )
            template = m.buttons(f"{head} {ask}", ask[:60], actions, title=head[:40])
            return ([m.text(current.strip())] if current else []) + [
                m.with_quick_reply(template, quick)
            ]
        if spec.kind == "choice":
            choice_quick: list[Any] = [(c[:20], c) for c in spec.choices]
            return [
                m.text(
                    f"{head}\n" + text("performance.ask_choice", label=label) + current,
                    quick=choice_quick + quick,
                )
            ]
        if spec.kind == "year":
            year_quick: list[Any] = [(y, y) for y in _year_choices(ctx)]
            return [
                m.text(
                    f"{head}\n" + text("performance.ask_year", label=label) + current,
                    quick=year_quick + quick,
                )
            ]
        if spec.kind == "semester":
            sem_quick: list[Any] = [
                (text("performance.semester_value", n=n), str(n)) for n in (1, 2)
            ]
            return [
                m.text(
                    f"{head}\n" + text("performance.ask_choice", label=label) + current,
                    quick=sem_quick + quick,
                )
            ]
        if spec.kind == "number":
            ask = text(
                "performance.ask_number",
                label=label,
                unit=text("performance.integer_hint") if spec.integer else "",
            )
            return [m.text(f"{head}\n{ask}{current}", quick=quick)]
        ask = text("performance.ask_text", label=label, limit=spec.max_length)
        return [m.text(f"{head}\n{ask}{current}", quick=quick)]

    return prompt


def parse_date(words: str) -> date | None:
    """A typed date (2026-10-01, 2026/10/1, 民國 115/10/1), read by the one parser of every face."""
    try:
        return school_dates.parse_date(words)
    except DateFormatError:
        return None


def check_value(
    ctx: Ctx, performance: Performance, spec: FieldSpec, inp: Input
) -> tuple[Any, str | None]:
    """(value, None) when the input fits the field, else (None, what to tell the student)."""
    label = field_label(performance.record_type, spec)
    word = inp.word if inp.kind == "text" else ""
    if spec.kind == "date":
        picked = (
            inp.params.get("date") if inp.kind == "postback" and inp.data == DATE_PICKED else None
        )
        day = None
        if isinstance(picked, str):
            try:
                day = date.fromisoformat(picked)
            except ValueError:
                day = None
        elif word:
            day = parse_date(word)
        if day is None:
            return None, text("performance.bad_date", label=label)
        today = _today(ctx)
        if (
            day < EARLIEST_DATE
            or (not spec.future_ok and day > today)
            or day > today + timedelta(days=FUTURE_DAYS)
        ):
            return None, text("performance.date_out_of_range", label=label)
        if spec.not_before and performance.fields.get(spec.not_before):
            start = date.fromisoformat(str(performance.fields[spec.not_before]))
            if day < start:
                return None, text(
                    "performance.date_before_start", label=label, start=format_date(start)
                )
        return day.isoformat(), None
    if inp.kind != "text":
        return None, text("performance.type_it", label=label)
    if spec.kind == "choice":
        if word in spec.choices:
            return word, None
        return None, text("performance.pick_choice", label=label)
    if spec.kind == "year":
        if word.isdigit() and 90 <= int(word) <= 200:
            return int(word), None
        return None, text("performance.bad_year")
    if spec.kind == "semester":
        semesters = {
            "1": 1,
            "2": 2,
            "上": 1,
            "下": 2,
            text("performance.semester_value", n=1): 1,
            text("performance.semester_value", n=2): 2,
        }
        if word in semesters:
            return semesters[word], None
        return None, text("performance.pick_choice", label=label)
    if spec.kind == "number":
        try:
            number = Decimal(word.replace(",", ""))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            return None, text("performance.bad_number", label=label)
        if spec.integer and number != number.to_integral_value():
            return None, text("performance.whole_number", label=label)
        if number < spec.minimum or number > spec.maximum:
            return None, text(
                "performance.number_range", label=label, low=spec.minimum, high=spec.maximum
            )
        if number.as_tuple().exponent < -1:  # type: ignore[operator]
            return None, text("performance.one_decimal", label=label)
        return (
            int(number) if spec.integer or number == number.to_integral_value() else float(number)
        ), None
    if not word:
        return None, text("performance.empty_text", label=label)
    if len(word) > spec.max_length:
        return None, text(
            "performance.text_too_long", label=label, limit=spec.max_length, n=len(word)
        )
    return word, None


def _field_run_for(record_type: str, spec: FieldSpec):  # type: ignore[no-untyped-def]
    state = field_state(record_type, spec.key)

    def run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
        performance = _draft(ctx, conv)
        if performance is None or performance.record_type != record_type:
            return _lost(ctx)
        # Typed words only skip optional fields: "無" is a fair answer to a required one.
        skipping = inp.data == SKIP or (
            not spec.required and inp.kind == "text" and inp.word in SKIP_WORDS
        )
        if skipping:
            if spec.required:
                ctx.reply(
                    m.text(text("performance.required", label=field_label(record_type, spec)))
                )
                return state
            value: Any = None
        else:
            value, problem = check_value(ctx, performance, spec, inp)
            if problem is not None:
                ctx.reply(m.text(problem))
                return state
        # A new dict, so the JSON column sees the change.
        performance.fields = {**performance.fields, spec.key: value}
        return _next_state(performance, spec.key)

    return run


# --- summary, proof, confirmation ---


def _step_head(record_type: str, step_no: int) -> str:
    """「服務學習紀錄（3/7）」: the steps are the type's fields, then 內容簡述 and the files."""
    total = len(TYPES[record_type].fields) + AFTER_FIELDS
    return text("performance.field_head", type=type_label(record_type), n=step_no, total=total)


def _head_after_fields(performance: Performance | None, offset: int) -> str:
    if performance is None or performance.record_type not in TYPES:
        return ""
    fields = len(TYPES[performance.record_type].fields)
    return _step_head(performance.record_type, fields + offset) + "\n"


def _summary_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    performance = _draft(ctx, conv)
    current = ""
    if performance is not None and performance.summary:
        current = "\n" + text("performance.current_value", value=performance.summary)
    return [
        m.text(
            _head_after_fields(performance, 1)
            + text("performance.ask_summary", limit=100)
            + current,
            quick=[("取消", "取消")],
        )
    ]


def _summary_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    performance = _draft(ctx, conv)
    if performance is None:
        return _lost(ctx)
    if inp.kind != "text":
        ctx.reply(m.text(text("upload.summary_needed")))
        return SUMMARY
    summary, problem = check_summary(inp.text)
    if summary is None:
        ctx.reply(m.text(problem or ""))
        return SUMMARY
    performance.summary = summary
    return FILES


def _files_quick(ctx: Ctx, performance: Performance | None) -> list[Any]:
    quick: list[Any] = [(text("performance.button_files_done"), "postback", NEXT)]
    if performance is not None and (
        performance.proofs or items.page_count(ctx.session, items.PERFORMANCE_DRAFT, performance.id)
    ):
        quick.append((text("upload.button_clear"), "postback", CLEAR))
    quick.append(("取消", "取消"))
    return quick


def _files_status(ctx: Ctx, performance: Performance) -> str:
    pages = items.page_count(ctx.session, items.PERFORMANCE_DRAFT, performance.id)
    return describe_files([p.file for p in performance.proofs], pages)


def _files_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    performance = _draft(ctx, conv)
    if performance is None:
        return [m.text(text("upload.draft_gone"))]
    return [
        m.text(
            _head_after_fields(performance, 2)
            + text("performance.ask_files", status=_files_status(ctx, performance)),
            quick=_files_quick(ctx, performance),
        )
    ]


def _files_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    performance = _draft(ctx, conv)
    if performance is None:
        return _lost(ctx)
    if inp.kind in intake.CONTENT_MESSAGES:
        try:
            taken = intake.take(
                ctx, inp, items.PERFORMANCE_DRAFT, performance.id, performance.student_id
            )
        except SQLAlchemyError:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever broke, the student hears it
            send_failure(ctx, exc, _files_quick(ctx, performance))
            return STAY
        if taken.slot == "page":
            if taken.set_total and not taken.set_complete:
                return STAY
            ack = (
                text("upload.got_photos", n=taken.set_total or 1, total=taken.pages)
                if taken.set_total
                else text("upload.got_photo", total=taken.pages)
            )
            ctx.reply(
                m.text(
                    ack + "\n" + text("performance.more_or_next"),
                    quick=_files_quick(ctx, performance),
                )
            )
            return STAY
        assert taken.fitted is not None
        items.add_proof(ctx.session, performance, taken.fitted.record)
        ctx.reply(
            m.text(
                taken.fitted.message + "\n" + text("performance.more_or_next"),
                quick=_files_quick(ctx, performance),
            )
        )
        return STAY
    if inp.data == CLEAR:
        items.clear_pages(ctx.session, items.PERFORMANCE_DRAFT, performance.id)
        performance.proofs.clear()
        ctx.session.flush()
        ctx.reply(m.text(text("upload.cleared")))
        return FILES
    if inp.data == NEXT or (inp.kind == "text" and inp.word in NEXT_WORDS):
        if items.page_count(ctx.session, items.PERFORMANCE_DRAFT, performance.id):
            try:
                fitted = intake.combine_pages(
                    ctx, items.PERFORMANCE_DRAFT, performance.id, performance.student_id
                )
            except SQLAlchemyError:
                raise
            except Exception as exc:  # noqa: BLE001
                ctx.reply(
                    m.text(
                        intake.failure_text(exc) + "\n" + text("upload.photos_kept"),
                        quick=_files_quick(ctx, performance),
                    )
                )
                return STAY
            assert fitted is not None
            items.add_proof(ctx.session, performance, fitted.record)
            # The photos are one proof now; more photos later make another.
            items.clear_pages(ctx.session, items.PERFORMANCE_DRAFT, performance.id)
            ctx.reply(m.text(fitted.message))
        return CONFIRM
    ctx.reply(m.text(text("performance.files_hint"), quick=_files_quick(ctx, performance)))
    return STAY


def confirmation_card(ctx: Ctx, performance: Performance) -> dict[str, Any]:
    usage = items.room(
        ctx.session,
        ctx.rules,
        PERFORMANCE,
        performance.student_id,
        _term(performance),
        exclude={performance.id},
    )
    spec_of = {s.key: s for s in TYPES[performance.record_type].fields}
    rows = [(text("performance.card_type"), type_label(performance.record_type))]
    for key, spec in spec_of.items():
        if key in performance.fields:
            rows.append(
                (field_label(performance.record_type, spec), _show(spec, performance.fields[key]))
            )
    rows += [
        (text("performance.card_summary"), performance.summary),
        (text("performance.card_files"), describe_files([p.file for p in performance.proofs])),
        (text("upload.card_count"), count_line(usage, usage.semester.used + 1)),
    ]
    buttons = [
        {
            "type": "button",
            "style": "primary",
            "height": "sm",
            "action": m.postback_action(
                text("performance.button_save"), SAVE, text("performance.button_save")
            ),
        },
        {
            "type": "button",
            "style": "secondary",
            "height": "sm",
            "action": m.postback_action(
                text("upload.button_edit_summary"), EDIT_SUMMARY, text("upload.button_edit_summary")
            ),
        },
        {
            "type": "button",
            "style": "secondary",
            "height": "sm",
            "action": m.postback_action(
                text("upload.button_more_files"), ADD_FILES, text("upload.button_more_files")
            ),
        },
    ]
    return card(
        text("performance.card_title"),
        rows,
        buttons,
        alt=text("performance.card_alt", type=type_label(performance.record_type)),
    )


def _confirm_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    performance = _draft(ctx, conv)
    if performance is None:
        return [m.text(text("upload.draft_gone"))]
    # The card carries the one 送出/儲存 button; the quick reply only offers a way out.
    return [m.with_quick_reply(confirmation_card(ctx, performance), [("取消", "取消")])]


def _confirm_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    performance = _draft(ctx, conv)
    if performance is None:
        return _lost(ctx)
    if inp.data == EDIT_SUMMARY:
        return SUMMARY
    if inp.data == ADD_FILES:
        return FILES
    if inp.data != SAVE and not (inp.kind == "text" and inp.word in SAVE_WORDS):
        ctx.reply(m.text(text("performance.confirm_hint")))
        return STAY
    result = items.submit_performance(ctx.session, ctx.rules, performance.id, ctx.now)
    if result.ok:
        assert result.room is not None
        ctx.reply(
            m.text(
                text(
                    "performance.saved",
                    type=type_label(performance.record_type),
                    count=count_line(result.room, result.number),
                ),
                quick=MENU_QUICK,
            )
        )
        return END
    if result.reason == "no_summary":
        return SUMMARY
    refuse_submission(ctx, result, PERFORMANCE)
    return END


def _on_cancel(ctx: Ctx, conv: Conversation) -> str:
    performance = _draft(ctx, conv)
    if performance is None:
        return "flow.cancelled"
    items.discard_performance_draft(ctx.session, performance)
    return "upload.cancelled"


def _describe(ctx: Ctx, conv: Conversation) -> str:
    performance = _draft(ctx, conv)
    if performance is None:
        return ""
    return text("performance.draft_description", type=type_label(performance.record_type))


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
                with_card_taps(_field_run_for(record_type.key, spec)),
                _field_prompt_for(record_type.key, spec),
            )
    steps[SUMMARY] = step(
        ("text", "postback"),
        with_card_taps(_summary_run),
        _summary_prompt,
        unexpected_key="upload.summary_expected",
    )
    steps[FILES] = step(
        ("image", "video", "audio", "file", "postback", "text"),
        with_card_taps(_files_run),
        _files_prompt,
    )
    steps[CONFIRM] = step(("postback", "text"), with_card_taps(_confirm_run), _confirm_prompt)
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
