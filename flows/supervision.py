"""科別進度 (附表二 五 督導): a subject's convener sees upload and certification progress per
course and teacher this semester, counted as every other view counts."""

from __future__ import annotations

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import Input
from flows.frontdesk import FrontDesk
from school import progress
from storage.identity import CONVENER, HOMEROOM, STAFF, TEACHER, Identity

MAX_LINES = 40


def progress_lines(rows: list[progress.CourseProgress]) -> list[str]:
    lines = []
    for row in rows[:MAX_LINES]:
        course = row.course
        lines.append(
            text(
                "school_rules.supervision.line",
                cls=course.school_class.code if course.school_class else "—",
                subject=course.subject,
                teacher=course.teacher.name if course.teacher else "—",
                uploaded=row.uploaded_students,
                enrolled=row.enrolled,
                pending=row.pending,
                certified=row.certified,
                rejected=row.rejected,
            )
        )
    return lines


def on_subject_progress(ctx: Ctx, ident: Identity, inp: Input) -> None:
    if ident.staff is None:
        ctx.reply(m.text(text("desk.not_for_you")))
        return
    semester = ctx.rules.current_semester(ctx.now)
    if semester is None:
        ctx.reply(m.text(text("progress.no_semester")))
        return
    courses = progress.convened_courses(
        ctx.session, ident.staff.id, semester.academic_year, semester.number, ctx.now
    )
    if not courses:
        ctx.reply(m.text(text("school_rules.supervision.none")))
        return
    rows = progress.course_progress(ctx.session, courses, semester.academic_year, semester.number)
    head = text("school_rules.supervision.head", term=semester.label)
    ctx.reply(m.text("\n".join([head, *progress_lines(rows)])))


def register(desk: FrontDesk) -> None:
    desk.command("subject_progress", ("科別進度", "督導"), (CONVENER, TEACHER, HOMEROOM, STAFF))(
        on_subject_progress
    )
