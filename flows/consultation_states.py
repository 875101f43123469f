"""The consultation record flow's steps, buttons and words, and the draft it keeps in the
conversation (loaded from a record when correcting one, back to review after a change).
"""

from __future__ import annotations

from typing import Any

from catalogue import text
from flows.store import Conversation
from storage.clock import taipei
from storage.models.records import Consultation

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
