"""Grade-12 documents in chat: students draft 自傳 and 學習計畫 (career plan, expectations,
strengths, interests) in as many messages as they like, with a preview; homeroom teachers and the
counselling office read them and comment, and a student hears of new comments on their next reply.

Every message is saved as it arrives (school/student_documents.py), so nothing is lost when the chat
times out or is cancelled: the draft simply waits for the next 自傳 / 學習計畫.
"""

from __future__ import annotations

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import Input
from flows.frontdesk import FrontDesk
from flows.grade12_review import REVIEW
from flows.grade12_states import FLOW, KEYWORD_DOCUMENTS, NEWS_SHOWN, REVIEW_FLOW, _comment_lines
from flows.grade12_writing import WRITE_FLOW
from flows.line_limits import MAX_MESSAGES_PER_REQUEST
from flows.long_text import split_for_line
from school import student_documents
from storage.identity import HOMEROOM, STAFF, STUDENT, Identity


def on_documents(ctx: Ctx, ident: Identity, inp: Input) -> None:
    """自傳 / 學習計畫 (and the schedule's write_autobiography notice): write, or review."""
    if STUDENT in ident.roles:
        ctx.start_flow(FLOW, document=KEYWORD_DOCUMENTS.get(inp.word))
        return
    ctx.start_flow(REVIEW_FLOW)


def tell_comments(ctx: Ctx, ident: Identity) -> None:
    """desk.after_reply: a student's reply carries new comments on their documents, for free."""
    if ident.student is None or STUDENT not in ident.roles:
        return
    if len(ctx.replies) >= MAX_MESSAGES_PER_REQUEST:
        return  # a sixth message would be a paid push; the next reply carries it
    news = student_documents.untold_comments(ctx.session, ident.student.id)[:NEWS_SHOWN]
    if not news:
        return
    body = text("records.g12.news", comments=_comment_lines(news))
    ctx.replies.append(m.text(split_for_line(body, max_parts=1)[0]))
    student_documents.mark_told(news, ctx.now)


def offered_to(ident: Identity) -> bool:
    """自傳 in the fallback quick replies: for students who write one, and for the staff."""
    return ident.student is None or student_documents.writes_documents(ident.student)


def register(desk: FrontDesk) -> None:
    desk.command(
        "write_autobiography",
        tuple(KEYWORD_DOCUMENTS),
        (STUDENT, HOMEROOM, STAFF),
        offered=offered_to,
    )(on_documents)
    desk.add_flow(WRITE_FLOW)
    desk.add_flow(REVIEW)
    desk.after_reply.append(tell_comments)
