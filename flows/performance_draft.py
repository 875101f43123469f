"""The 多元表現 draft a conversation works on: its states, finding it again, the way from one
field to the next, and the step heads that say how far the student is."""

from __future__ import annotations

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import END
from flows.performance_types import TYPES
from flows.store import Conversation
from flows.submission import (
    MENU_QUICK,
    current_student,
    type_label,
)
from school import performances
from storage.models.portfolio import DRAFT, Performance

TERM = "performance:term"
TYPE = "performance:type"
SUMMARY = "performance:summary"
FILES = "performance:files"
CONFIRM = "performance:confirm"

# Steps after a type's own fields: 內容簡述, then the files.
AFTER_FIELDS = 2


def field_state(record_type: str, key: str) -> str:
    return f"performance:{record_type}:{key}"


def draft(ctx: Ctx, conv: Conversation) -> Performance | None:
    draft_id = conv.data.get("draft_id")
    student = current_student(ctx)
    if not draft_id or student is None:
        return None
    found = performances.own_performance(ctx.session, student.id, int(draft_id))
    return found if found is not None and found.status == DRAFT else None


def lost(ctx: Ctx) -> str:
    ctx.reply(m.text(text("upload.draft_gone"), quick=MENU_QUICK))
    return END


def is_edit(performance: Performance | None) -> bool:
    """Whether the draft edits a saved 多元表現 (school.performance_edits) rather than adds one."""
    return performance is not None and performance.edits_id is not None


def next_state(performance: Performance, after: str | None = None) -> str:
    """The state after field `after` (None: the first field). An edit goes back to its card
    after the fields: its 內容簡述 and proof have their own buttons there."""
    fields = TYPES[performance.record_type].fields
    keys = [f.key for f in fields]
    index = 0 if after is None else keys.index(after) + 1
    if index < len(keys):
        return field_state(performance.record_type, keys[index])
    return CONFIRM if is_edit(performance) else SUMMARY


def step_head(record_type: str, step_no: int) -> str:
    """「服務學習紀錄（3/7）」: the steps are the type's fields, then 內容簡述 and the files."""
    total = len(TYPES[record_type].fields) + AFTER_FIELDS
    return text("performance.field_head", type=type_label(record_type), n=step_no, total=total)


def head_after_fields(performance: Performance | None, offset: int) -> str:
    if performance is None or performance.record_type not in TYPES:
        return ""
    fields = len(TYPES[performance.record_type].fields)
    return step_head(performance.record_type, fields + offset) + "\n"
