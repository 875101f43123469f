"""The central database's format: its record types, sheets and columns, and cells as it reads."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from media.kinds import AV_LIMIT, DOCUMENT_LIMIT, Kind
from rules.model import COURSE_OUTCOME
from storage.clock import taipei

NATIONAL_ID: Final = "身分證號"
BIRTH_DATE: Final = "出生日期"
SUMMARY: Final = "內容簡述"
OUTCOME_SUMMARY: Final = "成果簡述"
DOCUMENT_LINK: Final = "證明文件連結"
AV_LINK: Final = "影音檔案連結"
OUTCOME_DOCUMENT_LINK: Final = "成果檔案連結"
SCHOOL_REF: Final = "校內編號"

# Course learning outcomes: one sheet.
COURSE_OUTCOME_SHEET: Final = "課程學習成果"
COURSE_OUTCOME_COLUMNS: Final = (
    NATIONAL_ID,
    BIRTH_DATE,
    "學年度",
    "學期",
    "課程代碼",
    "科目名稱",
    OUTCOME_SUMMARY,
    OUTCOME_DOCUMENT_LINK,
    AV_LINK,
    SCHOOL_REF,
)
# 成果簡述 is at most 100 characters (national rule).
OUTCOME_SUMMARY_MAX: Final = 100


@dataclass(frozen=True)
class RecordType:
    """A 多元表現 record type: its key (Performance.record_type), sheet name and fields in order."""

    key: str
    label: str
    fields: tuple[tuple[str, str], ...]  # (key in Performance.fields, column header)

    @property
    def columns(self) -> tuple[str, ...]:
        return (
            NATIONAL_ID,
            BIRTH_DATE,
            *(h for _, h in self.fields),
            SUMMARY,
            DOCUMENT_LINK,
            AV_LINK,
            SCHOOL_REF,
        )


# The field keys are those flows/performance_types.py stores in Performance.fields (RECORD_TYPES);
# the headers are the central database's column names, in its order.
RECORD_TYPES: Final[tuple[RecordType, ...]] = (
    RecordType(
        "cadre",
        "幹部經歷暨事蹟紀錄",
        (
            ("unit", "單位名稱"),
            ("start", "開始日期"),
            ("end", "結束日期"),
            ("position", "擔任職務"),
            ("level", "幹部等級"),
        ),
    ),
    RecordType(
        "competition",
        "競賽參與紀錄",
        (
            ("name", "競賽名稱"),
            ("item", "項目"),
            ("level", "競賽等級"),
            ("award", "獎項"),
            ("result_date", "結果公布日期"),
            ("team", "參與類型"),
        ),
    ),
    RecordType(
        "certificate",
        "檢定證照紀錄",
        (
            ("code", "證照代碼"),
            ("score", "分數"),
            ("sub_scores", "分項結果"),
            ("obtained", "取得證照日期"),
            ("number", "證照字號"),
            ("group", "檢定組別"),
        ),
    ),
    RecordType(
        "service",
        "服務學習紀錄",
        (
            ("name", "服務名稱"),
            ("organisation", "服務單位"),
            ("start", "開始日期"),
            ("end", "結束日期"),
            ("hours", "服務時數"),
        ),
    ),
    RecordType(
        "flexible",
        "彈性學習時間紀錄",
        (
            ("category", "類別"),
            ("title", "名稱"),
            ("organiser", "開設單位"),
            ("year", "學年度"),
            ("semester", "學期"),
            ("periods_per_week", "每週節數"),
            ("weeks", "週數"),
        ),
    ),
    RecordType(
        "group_activity",
        "團體活動時間紀錄",
        (
            ("category", "類別"),
            ("organiser", "辦理單位"),
            ("title", "名稱"),
            ("year", "學年度"),
            ("semester", "學期"),
            ("periods", "節數"),
        ),
    ),
    RecordType(
        "workplace",
        "職場學習紀錄",
        (
            ("category", "類別"),
            ("organisation", "單位名稱"),
            ("start", "開始日期"),
            ("end", "結束日期"),
            ("hours", "時數"),
        ),
    ),
    RecordType("works", "作品成果紀錄", (("title", "作品名稱"), ("date", "發表日期"))),
    RecordType(
        "university_course",
        "大學及技專校院先修課程紀錄",
        (
            ("programme", "計畫名稱"),
            ("organiser", "開設單位"),
            ("course", "課程名稱"),
            ("start", "開始日期"),
            ("end", "結束日期"),
            ("credits", "學分數"),
            ("hours", "時數"),
        ),
    ),
    RecordType(
        "other",
        "其他多元表現紀錄",
        (
            ("title", "名稱"),
            ("organiser", "主辦單位"),
            ("start", "開始日期"),
            ("end", "結束日期"),
            ("hours", "時數"),
        ),
    ),
)
RECORD_TYPE_BY_KEY: Final = {t.key: t for t in RECORD_TYPES}

# What the central database takes, by slot, and how big.
DOCUMENT: Final = "document"
AV: Final = "av"
SLOT_KINDS: Final = {
    DOCUMENT: frozenset({Kind.PDF, Kind.JPEG, Kind.PNG}),
    AV: frozenset({Kind.MP3, Kind.MP4}),
}
SLOT_LIMITS: Final = {DOCUMENT: DOCUMENT_LIMIT, AV: AV_LIMIT}
SLOT_NAMES: Final = {DOCUMENT: "doc", AV: "av"}

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def central_date(day: date) -> str:
    """Dates as the central database's rosters write them: Minguo year, 7 digits (0990305)."""
    return f"{day.year - 1911:03d}{day.month:02d}{day.day:02d}"


def cell(value: Any) -> str:
    """A roster cell: always text (leading zeros survive); ISO dates become central dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return central_date(taipei(value).date())
    if isinstance(value, date):
        return central_date(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "、".join(cell(v) for v in value)
    if isinstance(value, dict):
        return "、".join(f"{k} {cell(v)}" for k, v in value.items())
    text = str(value).strip()
    match = _ISO_DATE.match(text)
    if match:
        try:
            return central_date(date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            return text
    return text


def sheet_columns(kind: str) -> Iterable[tuple[str, tuple[str, ...]]]:
    """Sheet names and their columns, as the export writes them (for --help and tests)."""
    if kind == COURSE_OUTCOME:
        return [(COURSE_OUTCOME_SHEET, COURSE_OUTCOME_COLUMNS)]
    return [(t.label, t.columns) for t in RECORD_TYPES]
