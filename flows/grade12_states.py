"""The grade-12 document flows' steps, buttons and words, and what both flows look up: the
labels, who is asking, the section being written and the comments on it.
"""

from __future__ import annotations

from typing import Any

from catalogue import text
from flows.context import Ctx
from flows.store import Conversation
from school import student_documents
from school.student_documents import AUTOBIOGRAPHY, SECTIONS, STUDY_PLAN
from storage.clock import format_date
from storage.models.records import DocumentComment
from storage.models.school import Staff, Student

FLOW = "write_autobiography"
SECTION = "g12:section"
WRITE = "g12:write"
PREVIEW = "g12:preview"
CLEAR = "g12:clear"

REVIEW_FLOW = "review_autobiography"
R_CLASS = "g12r:class"
R_STUDENT = "g12r:student"
R_VIEW = "g12r:view"
R_COMMENT = "g12r:comment"

# Postbacks inside the flows.
SECTION_PICK = "gd:sec:"
COMMENTS = "gd:comments"
DONE = "gd:done"
MORE = "gd:more"
SECTIONS_BACK = "gd:sections"
ERASE = "gd:erase"
ERASE_SURE = "gd:erase!"
KEEP = "gd:keep"
FINISH = "gd:end"
R_CLASS_PICK = "gr:class:"
R_DOC = "gr:doc:"
R_COMMENT_TAP = "gr:comment"
R_STUDENTS = "gr:students"
R_END = "gr:end"

KEYWORD_DOCUMENTS = {"自傳": AUTOBIOGRAPHY, "學習計畫": STUDY_PLAN}
DONE_WORDS = frozenset({"完成", "好了", "預覽", "寫完了"})
# A preview leaves room in the reply for its heading message and the buttons (5 per reply).
PREVIEW_PARTS = 3
MAX_QUICK_CLASSES = 12
COMMENTS_SHOWN = 10
NEWS_SHOWN = 3
CANCEL_QUICK: list[Any] = [("取消", "取消")]


def section_label(section: str) -> str:
    return text(f"records.g12.section.{section}")


def document_label(document: str) -> str:
    return text(f"records.g12.document.{document}")


def _student(ctx: Ctx) -> Student | None:
    account = ctx.account
    if account is None or account.student_id is None:
        return None
    student = ctx.session.get(Student, account.student_id)
    return student if student is not None and student.sealed_at is None else None


def _staff(ctx: Ctx) -> Staff | None:
    account = ctx.account
    if account is None or account.staff_id is None:
        return None
    return ctx.session.get(Staff, account.staff_id)


def _section(conv: Conversation) -> str:
    section = conv.data.get("section")
    return section if section in SECTIONS else AUTOBIOGRAPHY


def _count_line(ctx: Ctx, student_id: int, section: str) -> str:
    body = student_documents.section_text(ctx.session, student_id, section)
    if not body:
        return text("records.g12.count_empty", limit=student_documents.SECTION_LIMITS[section])
    return text("records.g12.count", n=len(body), limit=student_documents.SECTION_LIMITS[section])


def _comment_lines(comments: list[DocumentComment]) -> str:
    return "\n\n".join(
        text(
            "records.g12.comment_line",
            teacher=c.author.name,
            document=document_label(c.document),
            date=format_date(c.created_at),
            body=c.body,
        )
        for c in comments
    )
