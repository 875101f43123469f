"""A consultation record as people read it and as the conversation holds its draft, and who may
write one (shared by the record flow and the 諮詢紀錄 menu)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time

from catalogue import text
from flows import messages as m
from flows.cards import shorten
from flows.context import Ctx
from flows.store import Conversation
from school import consultants, consultations, records
from storage.clock import at_taipei, taipei
from storage.identity import CONSULTANT, CONVENER, HOMEROOM, STAFF, STUDENT, TEACHER
from storage.models.school import SchoolClass, Staff, Student

# Staff hear who may record when they are not consultants; students also see their own records.
STAFF_PEOPLE = (TEACHER, HOMEROOM, CONSULTANT, CONVENER, STAFF)


PEOPLE = (STUDENT, *STAFF_PEOPLE)


# Attachment buttons on one record card (a bubble must stay small).
MAX_LINKED_FILES = 3


MAX_QUICK_CLASSES = 12


MAX_NAMES = 8


CONTENT_PREVIEW = 80


def _staff(ctx: Ctx) -> Staff | None:
    account = ctx.account
    if account is None or account.staff_id is None:
        return None
    return ctx.session.get(Staff, account.staff_id)


def _consultant(ctx: Ctx) -> Staff | None:
    staff = _staff(ctx)
    return staff if staff is not None and consultants.is_consultant(staff) else None


def _student(ctx: Ctx) -> Student | None:
    account = ctx.account
    if account is None or account.student_id is None:
        return None
    student = ctx.session.get(Student, account.student_id)
    return student if student is not None and student.sealed_at is None else None


def _only_consultants(ctx: Ctx) -> None:
    ctx.reply(m.text(text("records.consult.only_consultants")))


def _time_range(start: datetime, end: datetime) -> str:
    a, b = taipei(start), taipei(end)
    return text("records.consult.time_range", start=f"{a:%H:%M}", end=f"{b:%H:%M}")


def _names(students: list[Student], whole_class: SchoolClass | None) -> str:
    if whole_class is not None:
        return text("records.consult.students_whole", code=whole_class.code, n=len(students))
    names = "、".join(s.name for s in students[:MAX_NAMES])
    key = (
        "records.consult.students_some"
        if len(students) <= MAX_NAMES
        else "records.consult.students_more"
    )
    return text(key, names=names, n=len(students))


def _kind_label(kind: str) -> str:
    return text(f"records.consult.kind.{kind}")


def _files_line(ctx: Ctx, file_ids: list[int]) -> str:
    found = consultations.attachment_records(ctx.session, file_ids)
    if not found:
        return text("records.consult.files_none")
    return "、".join(
        shorten(f.display_name or text("records.consult.file_unnamed"), 24) for f in found
    )


def _draft_students(ctx: Ctx, conv: Conversation) -> list[Student]:
    ids = [int(i) for i in conv.data.get("students", [])]
    found = {s.id: s for s in (ctx.session.get(Student, i) for i in ids) if s is not None}
    return [found[i] for i in ids if i in found]


def _draft_class(ctx: Ctx, conv: Conversation) -> SchoolClass | None:
    class_id = conv.data.get("class_id")
    return ctx.session.get(SchoolClass, int(class_id)) if class_id else None


def _draft_times(conv: Conversation) -> tuple[datetime, datetime] | None:
    try:
        day = date.fromisoformat(conv.data["date"])
        start = time.fromisoformat(conv.data["start"])
        end = time.fromisoformat(conv.data["end"])
    except (KeyError, TypeError, ValueError):
        return None
    return at_taipei(day, start.hour, start.minute), at_taipei(day, end.hour, end.minute)


def _seat(student: Student) -> str:
    return f"{student.seat_no:02d}" if student.seat_no is not None else "--"


_SEPARATORS = re.compile(r"[\s,，、;；]+")


_SEAT_RANGE = re.compile(r"(\d{1,2})[-~～到至](\d{1,2})")


_TIME = re.compile(r"(\d{1,2})\s*[:：點时時]\s*(\d{1,2})?\s*分?")


_TIME_DIGITS = re.compile(r"(\d{1,2})(\d{2})")


def _pick_students(
    ctx: Ctx, staff: Staff, school_class: SchoolClass, words: str
) -> tuple[list[Student], str | None]:
    """The students the words name (seats in the class, or student numbers), or what is wrong."""
    by_seat = {s.seat_no: s for s in records.class_students(ctx.session, school_class.id)}
    chosen: dict[int, Student] = {}
    unknown: list[str] = []
    for token in _SEPARATORS.split(unicodedata.normalize("NFKC", words).strip()):
        token = token.removesuffix("號")
        if not token:
            continue
        seats = _SEAT_RANGE.fullmatch(token)
        if seats:
            low, high = sorted((int(seats.group(1)), int(seats.group(2))))
            for seat in range(low, high + 1):
                if seat in by_seat:
                    chosen.setdefault(by_seat[seat].id, by_seat[seat])
            continue
        if token.isdigit() and len(token) <= 2:
            student = by_seat.get(int(token))
        else:
            student = records.student_by_no(ctx.session, token)
            if student is not None and not consultants.advises_student(
                ctx.session, staff.id, student
            ):
                return [], text(
                    "records.consult.not_advised_student", name=student.name, no=student.student_no
                )
            if student is not None and (
                student.status != records.ACTIVE_STATUS or student.sealed_at is not None
            ):
                student = None
        if student is None:
            unknown.append(token)
        else:
            chosen.setdefault(student.id, student)
    if unknown:
        return [], text("records.consult.unknown_students", tokens="、".join(unknown[:10]))
    if not chosen:
        return [], text("records.consult.no_students_named")
    return list(chosen.values()), None


def parse_time(words: str) -> time | None:
    """13:10, 1310, 13點10分 or 13點, as people type them."""
    value = unicodedata.normalize("NFKC", words).strip()
    found = _TIME.fullmatch(value) or _TIME_DIGITS.fullmatch(value)
    if not found:
        return None
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)
