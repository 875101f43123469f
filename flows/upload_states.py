"""The course-outcome upload flow's steps, buttons and words, and the draft it works on (a
CourseOutcome row in status draft, found again from the conversation).
"""

from __future__ import annotations

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import END
from flows.store import Conversation
from flows.submission import (
    MENU_QUICK,
    UPLOAD_FLOW,
    current_student,
)
from school import outcomes
from school.items import TermRef
from storage.models.portfolio import DRAFT, CourseOutcome

FLOW = UPLOAD_FLOW
TERM = "upload:term"
COURSE = "upload:course"
FILES = "upload:files"
SUMMARY = "upload:summary"
CONFIRM = "upload:confirm"

# Postback data (all under 300 characters; ids are validated against the student's own rows).
COURSE_PICK = "upload:course:"
COURSE_PAGE = "upload:page:"
NEXT = "upload:next"
CLEAR = "upload:clear"
KEEP_SUMMARY = "upload:keep"
SUBMIT = "upload:submit"
EDIT_SUMMARY = "upload:edit"
ADD_FILES = "upload:more"

NEXT_WORDS = frozenset({"下一步", "完成", "好了", "傳完了", "next"})
SUBMIT_WORDS = frozenset({"送出", "確認送出"})
# LINE shows at most 13 quick replies: a course list longer than that is paged, two kept for
# the page buttons.
QUICK_LIMIT = 13
PAGE_SIZE = 11


# --- the flow ---------------------------------------------------------------------------------


def _outcome(ctx: Ctx, conv: Conversation) -> CourseOutcome | None:
    draft_id = conv.data.get("draft_id")
    student = current_student(ctx)
    if not draft_id or student is None:
        return None
    outcome = outcomes.own_outcome(ctx.session, student.id, int(draft_id))
    return outcome if outcome is not None and outcome.status == DRAFT else None


def _lost(ctx: Ctx) -> str:
    ctx.reply(m.text(text("upload.draft_gone"), quick=MENU_QUICK))
    return END


def _term(conv: Conversation, outcome: CourseOutcome | None = None) -> TermRef:
    if outcome is not None:
        return TermRef(outcome.academic_year, outcome.semester)
    year, semester = conv.data["term"]
    return TermRef(int(year), int(semester))
