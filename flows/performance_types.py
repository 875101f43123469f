"""The central database's 多元表現 record types, declared as data: each type's own fields and how
each field is asked and checked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from catalogue import TEXTS, text

EARLIEST_DATE = date(2000, 1, 1)
DEFAULT_TEXT_LENGTH = 50
# How far ahead an end date may be (a cadre term or a course still running).
FUTURE_DAYS = 366


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
