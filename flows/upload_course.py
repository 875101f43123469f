"""Choosing the course an upload is for: the student's courses of the term as quick replies,
a page at a time.
"""

from __future__ import annotations

from typing import Any

from catalogue import text
from flows import messages as m
from flows.cards import shorten
from flows.context import Ctx
from flows.engine import Input
from flows.store import Conversation
from flows.submission import (
    count_line,
    current_student,
)
from flows.upload_states import (
    COURSE,
    COURSE_PAGE,
    COURSE_PICK,
    FILES,
    PAGE_SIZE,
    QUICK_LIMIT,
    _lost,
    _term,
)
from rules.model import COURSE_OUTCOME
from school import item_counts, outcomes
from storage.models.school import Course


def _courses(ctx: Ctx, conv: Conversation) -> list[Course]:
    ids = [int(i) for i in conv.data.get("course_ids", [])]
    found = {c.id: c for c in (ctx.session.get(Course, i) for i in ids) if c is not None}
    return [found[i] for i in ids if i in found]


def _course_labels(courses: list[Course]) -> dict[int, str]:
    subjects = [c.subject for c in courses]
    labels = {}
    for course in courses:
        label = (
            course.subject
            if subjects.count(course.subject) == 1
            else f"{course.subject} {course.code}"
        )
        labels[course.id] = shorten(label)
    return labels


def _course_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    courses = _courses(ctx, conv)
    labels = _course_labels(courses)
    student = current_student(ctx)
    usage = (
        item_counts.room(ctx.session, ctx.rules, COURSE_OUTCOME, student.id, _term(conv))
        if student
        else None
    )
    count = count_line(usage, usage.semester.used + 1) if usage else ""
    if len(courses) <= QUICK_LIMIT:
        quick: list[Any] = [(labels[c.id], "postback", f"{COURSE_PICK}{c.id}") for c in courses]
        return [m.text(text("upload.ask_course", count=count), quick=quick)]
    pages = (len(courses) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(int(conv.data.get("page", 0)), 0), pages - 1)
    shown = courses[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    quick = [(labels[c.id], "postback", f"{COURSE_PICK}{c.id}") for c in shown]
    if page > 0:
        quick.insert(0, (text("upload.page_prev"), "postback", f"{COURSE_PAGE}{page - 1}"))
    if page < pages - 1:
        quick.append((text("upload.page_next"), "postback", f"{COURSE_PAGE}{page + 1}"))
    listing = "\n".join(f"・{labels[c.id]}" for c in shown)
    return [
        m.text(
            text(
                "upload.ask_course_paged", count=count, page=page + 1, pages=pages, listing=listing
            ),
            quick=quick,
        )
    ]


def _course_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    student = current_student(ctx)
    if student is None:
        return _lost(ctx)
    courses = _courses(ctx, conv)
    chosen: Course | None = None
    if inp.kind == "postback" and inp.data.startswith(COURSE_PAGE):
        try:
            conv.data["page"] = int(inp.data[len(COURSE_PAGE) :])
        except ValueError:
            pass
        return COURSE
    if inp.kind == "postback" and inp.data.startswith(COURSE_PICK):
        wanted = inp.data[len(COURSE_PICK) :]
        chosen = next((c for c in courses if str(c.id) == wanted), None)
    elif inp.kind == "text":
        labels = _course_labels(courses)
        chosen = next((c for c in courses if inp.word in (c.subject, c.code, labels[c.id])), None)
    if chosen is None:
        ctx.reply(m.text(text("upload.course_unknown")))
        return COURSE
    outcome = outcomes.create_outcome_draft(ctx.session, student.id, chosen, _term(conv), ctx.now)
    conv.data["draft_id"] = outcome.id
    return FILES
