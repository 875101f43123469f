"""A 多元表現 record type's own fields, one state each: dates by LINE's date picker, numbers
checked, choices as quick replies."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import Input
from flows.performance_draft import draft, field_state, is_edit, lost, next_state, step_head
from flows.performance_types import EARLIEST_DATE, FUTURE_DAYS, TYPES, FieldSpec, field_label
from flows.store import Conversation
from school import dates as school_dates
from school.dates import DateFormatError
from storage.clock import academic_year_of, format_date, taipei_date
from storage.models.portfolio import Performance

DATE_PICKED = "pf:date"
SKIP = "pf:skip"
KEEP = "pf:keep"

SKIP_WORDS = frozenset({"略過", "跳過", "沒有", "無"})  # optional fields only


def _today(ctx: Ctx) -> date:
    return taipei_date(ctx.now)


def show_value(spec: FieldSpec, value: Any) -> str:
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


def field_prompt_for(record_type: str, spec: FieldSpec):  # type: ignore[no-untyped-def]
    def prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
        performance = draft(ctx, conv)
        label = field_label(record_type, spec)
        step_no = [f.key for f in TYPES[record_type].fields].index(spec.key) + 1
        head = step_head(record_type, step_no)
        current = ""
        if performance is not None and spec.key in performance.fields:
            current = "\n" + text(
                "performance.current_value", value=show_value(spec, performance.fields[spec.key])
            )
        quick: list[Any] = []
        if is_edit(performance) and current:
            quick.append((text("performance.button_keep"), "postback", KEEP))
        # A date's card carries its own 略過 button: the chips need not say it twice.
        if not spec.required and spec.kind != "date":
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


def field_run_for(record_type: str, spec: FieldSpec):  # type: ignore[no-untyped-def]
    state = field_state(record_type, spec.key)

    def run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
        performance = draft(ctx, conv)
        if performance is None or performance.record_type != record_type:
            return lost(ctx)
        if inp.data == KEEP and spec.key in performance.fields:
            return next_state(performance, spec.key)
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
        return next_state(performance, spec.key)

    return run
