"""What both upload flows (課程學習成果, 多元表現) and 我的學習歷程 share: who the student is,
window and limit refusals, counts, the summary check, and the names that open the flows."""

from __future__ import annotations

from typing import Any

from catalogue import text
from flows import intake
from flows import messages as m
from flows.context import Ctx
from flows.engine import Input
from flows.store import Conversation
from media.kinds import mb
from rules.model import COURSE_OUTCOME, PERFORMANCE
from school import item_counts, items
from school.item_counts import Room
from school.terms import TermRef, WindowCheck
from storage.clock import format_date
from storage.models.portfolio import CERTIFIED, FileRecord
from storage.models.school import Student

# A tap on one of two open semesters (postback data "term:115:1").
TERM_PICK = "term:"

# The flows' names and the 重新上傳 postback, here so 我的歷程 opens them without importing them.
UPLOAD_FLOW = "upload"
PERFORMANCE_FLOW = "performance"
REUPLOAD = "reupload:"

SUMMARY_LIMIT = 100

MENU_QUICK: list[m.QuickItem] = [("我的歷程", "我的歷程")]


def current_student(ctx: Ctx) -> Student | None:
    account = ctx.account
    if account is None or account.student_id is None:
        return None
    student = ctx.session.get(Student, account.student_id)
    if student is None or student.sealed_at is not None:
        return None
    return student


def window_refusal(check: WindowCheck, item_kind: str) -> str:
    """Why the window refuses, with its dates."""
    label = text(f"upload.window_name.{item_kind}")
    if check.window is None:
        return text("upload.window_none", window=label)
    values = {
        "window": label,
        "start": format_date(check.window.first_day),
        "end": format_date(check.window.last_day),
    }
    key = "upload.window_not_open" if check.reason == "not_open" else "upload.window_closed"
    return text(key, **values)


def item_title(item: item_counts.CountedItem) -> str:
    if item.kind == PERFORMANCE:
        return text(f"performance.type.{item.title}")
    return item.title


def limit_refusal(usage_room: Room) -> str:
    """Which scope is full, the items that count, and how to free a slot."""
    full = usage_room.full_scope
    assert full is not None
    kind = usage_room.item_kind
    lines = [
        text(
            "upload.limit_reached",
            what=text(f"upload.item_name.{kind}"),
            scope=text(f"upload.scope.{full.scope}"),
            limit=full.limit or 0,
        )
    ]
    for number, item in enumerate(full.items, start=1):
        lines.append(
            text(
                "upload.limit_item",
                n=number,
                title=item_title(item),
                term=f"{item.academic_year}-{item.semester}",
                status=text(f"upload.status.{item.status}"),
            )
        )
    withdrawable = [i for i in full.items if i.status != CERTIFIED]
    if kind == COURSE_OUTCOME:
        lines.append(
            text("upload.limit_how_outcome" if withdrawable else "upload.limit_all_certified")
        )
    else:
        lines.append(text("upload.limit_how_performance"))
    return "\n".join(lines)


def count_line(usage_room: Room, number: int | None = None) -> str:
    """With number: 本學期第 3/6 件 (the item about to be sent); without: 本學期 2/6 件 used.
    The year is added where the school caps it."""
    semester = usage_room.semester
    year = usage_room.year
    if number is None:
        keys, sem_n, year_n = ("upload.used_semester", "upload.used_year"), semester.used, year.used
    else:
        keys = ("upload.count_semester", "upload.count_year")
        sem_n, year_n = number, year.used - semester.used + number
    parts = [_of(text(keys[0], n=sem_n), semester.limit)]
    if year.limit is not None:
        parts.append(_of(text(keys[1], n=year_n), year.limit))
    return "、".join(parts)


def _of(base: str, limit: int | None) -> str:
    if limit is None:
        return text("upload.count_no_limit", count=base)
    return text("upload.count_of_limit", count=base, limit=limit)


def describe_files(records: list[FileRecord | None], pages: int = 0) -> str:
    parts = []
    if pages:
        parts.append(text("upload.files_photos", n=pages))
    for record in records:
        if record is None:
            continue
        name = record.display_name or text("upload.file_kind." + record.mime.split("/")[0])
        parts.append(text("upload.files_one", name=name, size=mb(record.size)))
    return "、".join(parts) if parts else text("upload.files_none")


def send_failure(ctx: Ctx, exc: Exception, quick: list[Any]) -> None:
    # Mid-flow: the student is still here, so say what stays and what to do now (not 草稿已保留).
    ctx.reply(
        m.text(intake.failure_text(exc) + "\n" + text("upload.files_kept_send_again"), quick=quick)
    )


def type_label(key: str) -> str:
    return text(f"performance.type.{key}")


def check_summary(words: str) -> tuple[str | None, str | None]:
    """(summary, None) when fine, else (None, what to tell the student)."""
    summary = words.strip()
    if not summary:
        return None, text("upload.summary_empty")
    # 100 characters as people count them (each Chinese character is one), not bytes.
    if len(summary) > SUMMARY_LIMIT:
        return None, text("upload.summary_too_long", limit=SUMMARY_LIMIT, n=len(summary))
    return summary, None


def refuse_submission(ctx: Ctx, result: items.Submitted, item_kind: str) -> None:
    """Why a submission did not go through (window, limit, already done); the draft is kept."""
    if result.reason == "window" and result.window is not None:
        ctx.reply(
            m.text(window_refusal(result.window, item_kind) + "\n" + text("upload.draft_kept"))
        )
    elif result.reason == "limit" and result.room is not None:
        ctx.reply(
            m.text(limit_refusal(result.room) + "\n" + text("upload.draft_kept"), quick=MENU_QUICK)
        )
    elif result.reason == "replaced":
        ctx.reply(m.text(text("upload.replace_already_replaced"), quick=MENU_QUICK))
    else:
        ctx.reply(m.text(text("upload.already_sent"), quick=MENU_QUICK))


def term_prompt(conv: Conversation, item_kind: str) -> list[dict[str, Any]]:
    """Two semesters' windows are open at once: one tap says which the item belongs to."""
    terms = [TermRef(int(y), int(n)) for y, n in conv.data.get("terms", [])]
    quick: list[Any] = [
        (
            text("school_rules.term.button", term=t.label),
            "postback",
            f"{TERM_PICK}{t.academic_year}:{t.semester}",
        )
        for t in terms
    ]
    return [
        m.text(
            text(
                "school_rules.term.ask",
                what=text(f"upload.item_name.{item_kind}"),
                terms="、".join(t.label for t in terms),
            ),
            quick=quick,
        )
    ]


def chosen_term(conv: Conversation, inp: Input) -> TermRef | None:
    """The semester the student tapped (or typed, e.g. 115-1), if it is one of those offered."""
    terms = [TermRef(int(y), int(n)) for y, n in conv.data.get("terms", [])]
    wanted = ""
    if inp.kind == "postback" and inp.data.startswith(TERM_PICK):
        wanted = inp.data[len(TERM_PICK) :].replace(":", "-")
    elif inp.kind == "text":
        wanted = inp.word.replace("學期", "").strip()
    return next((t for t in terms if t.label == wanted), None)
