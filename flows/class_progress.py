"""班級進度: a homeroom teacher sees the class's course outcomes this term, reminds who has none.

The reminder is one multicast (each recipient costs one message of the monthly quota), shown
with its cost and sent only after the teacher confirms; a class gets at most one a day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import text
from flows import messages as m
from flows import postback_refs
from flows.context import Ctx
from flows.engine import Input
from flows.frontdesk import FrontDesk
from rules.model import COURSE_OUTCOME, NotConfigured, Semester
from school import certification as cert
from school import progress
from school.attendance import attendance_by_student
from storage import outbox as outbox_store
from storage.clock import at_taipei, format_date, taipei_date
from storage.db import lock_named
from storage.identity import HOMEROOM, Identity
from storage.models.certification import ClassReminder
from storage.models.line import LineAccount
from storage.models.school import SchoolClass
from storage.outbox import NORMAL

PREFIX = "cp:"
ASK = "ask"
SEND = "send"
KEEP = "no"
REF_REMIND = "class-remind"


def _semester(ctx: Ctx) -> Semester | None:
    return ctx.rules.current_semester(ctx.now)


def _own_class(ctx: Ctx, ident: Identity, class_id: int) -> SchoolClass | None:
    assert ident.staff is not None
    cls = ctx.session.get(SchoolClass, class_id)
    if cls is None or cls.homeroom_teacher_id != ident.staff.id:
        return None
    return cls


def progress_text(
    rows: list[progress.StudentProgress],
    cls: SchoolClass,
    term: str,
    attendance: dict[int, dict[str, int]] | None = None,
) -> str:
    lines = [text("progress.header", cls=cls.code, term=term)]
    for row in rows:
        seat = f"{row.student.seat_no:02d}" if row.student.seat_no is not None else "—"
        lines.append(
            text(
                "progress.row",
                seat=seat,
                name=row.student.name,
                counted=row.counted,
                pending=row.pending,
                certified=row.certified,
                rejected=row.rejected,
            )
        )
    silent = [r for r in rows if r.uploaded == 0]
    if silent:
        names = "、".join(f"{r.student.seat_no or '—'} {r.student.name}" for r in silent)
        lines.append(text("progress.nothing", count=len(silent), names=names))
    else:
        lines.append(text("progress.all_uploaded"))
    # 缺曠 (生輔組's records): the school keeps them; the central database does not take them.
    absent = [
        (r.student, attendance[r.student.id])
        for r in rows
        if attendance and attendance.get(r.student.id)
    ]
    if absent:
        lines.append(text("school_rules.attendance.head", term=term))
        for student, kinds in absent:
            detail = "、".join(f"{k} {n}" for k, n in sorted(kinds.items()))
            lines.append(
                text(
                    "school_rules.attendance.line",
                    seat=student.seat_no or "—",
                    name=student.name,
                    total=sum(kinds.values()),
                    detail=detail,
                )
            )
    return "\n".join(lines)


def on_progress(ctx: Ctx, ident: Identity, inp: Input) -> None:
    assert ident.staff is not None
    classes = cert.homeroom_classes(ctx.session, ident.staff.id)
    if not classes:
        ctx.reply(m.text(text("progress.not_homeroom")))
        return
    semester = _semester(ctx)
    if semester is None:
        ctx.reply(m.text(text("progress.no_semester")))
        return
    for cls in classes[:5]:
        rows = progress.class_progress(
            ctx.session, ctx.rules, cls.id, semester.academic_year, semester.number
        )
        quick: list[m.QuickItem] = []
        if any(r.uploaded == 0 for r in rows):
            quick.append((text("progress.remind.button"), "postback", f"{PREFIX}{ASK}:{cls.id}"))
        attendance = attendance_by_student(
            ctx.session, [r.student.id for r in rows], semester.academic_year, semester.number
        )
        ctx.reply(m.text(progress_text(rows, cls, semester.label, attendance), quick=quick or None))


# --- the reminder ----------------------------------------------------------------------------


def _targets(session: Session, rows: list[progress.StudentProgress]) -> tuple[list[str], int]:
    """LINE users of students with nothing uploaded, and how many of them LINE cannot reach."""
    silent = [r.student.id for r in rows if r.uploaded == 0]
    reach = list(
        session.scalars(
            select(LineAccount.line_user_id).where(
                LineAccount.student_id.in_(silent or [0]), LineAccount.followed.is_(True)
            )
        )
    )
    reached_students = set(
        session.scalars(
            select(LineAccount.student_id).where(
                LineAccount.student_id.in_(silent or [0]), LineAccount.followed.is_(True)
            )
        )
    )
    return sorted(set(reach)), len(set(silent) - reached_students)


def _month_used(session: Session, now: datetime) -> int:
    today = taipei_date(now)
    start = at_taipei(date(today.year, today.month, 1))
    return outbox_store.sent_cost_between(session, start, now)


def _reminded_today(session: Session, class_id: int, now: datetime) -> bool:
    return (
        session.scalars(
            select(ClassReminder.id).where(
                ClassReminder.class_id == class_id, ClassReminder.day == taipei_date(now)
            )
        ).first()
        is not None
    )


def _ask(ctx: Ctx, ident: Identity, data: str) -> None:
    cls = _own_class(ctx, ident, int(data)) if data.isdigit() else None
    semester = _semester(ctx)
    if cls is None or semester is None:
        ctx.reply(m.text(text("desk.stale_button")))
        return
    if _reminded_today(ctx.session, cls.id, ctx.now):
        ctx.reply(m.text(text("progress.remind.already", cls=cls.code)))
        return
    rows = progress.class_progress(
        ctx.session, ctx.rules, cls.id, semester.academic_year, semester.number
    )
    reach, unreachable = _targets(ctx.session, rows)
    if not reach:
        ctx.reply(m.text(text("progress.remind.none")))
        return
    used, quota, cost = _month_used(ctx.session, ctx.now), ctx.rules.monthly_quota, len(reach)
    if used + cost > quota:
        ctx.reply(m.text(text("progress.remind.over_quota", left=max(quota - used, 0), cost=cost)))
        return
    note = text("progress.remind.unreachable", count=unreachable) if unreachable else ""
    body = text(
        "progress.remind.confirm", reach=cost, cost=cost, used=used, quota=quota, unreachable=note
    )
    # The day rides in the signed reference: a confirmation replayed tomorrow sends nothing.
    ref = postback_refs.make(ctx.secret_key, REF_REMIND, [cls.id], taipei_date(ctx.now).toordinal())
    ctx.reply(
        m.confirm(
            body[:240],
            body[:240],
            m.postback_action(
                text("progress.remind.yes"),
                f"{PREFIX}{SEND}:{ref}",
                display=text("progress.remind.yes"),
            ),
            m.postback_action(
                text("progress.remind.no"), f"{PREFIX}{KEEP}", display=text("progress.remind.no")
            ),
        )
    )


def reminder_message(
    ctx: Ctx, cls: SchoolClass, semester: Semester, teacher: str
) -> dict[str, Any]:
    try:
        end = format_date(
            ctx.rules.window(
                "upload", semester.academic_year, semester.number, grade=cls.grade
            ).last_day
        )
    except NotConfigured:
        end = format_date(semester.end)
    limit = ctx.rules.limit_for(COURSE_OUTCOME, "uploads_per_semester")
    return m.text(
        text("progress.remind.message", cls=cls.code, end=end, limit=limit, teacher=teacher),
        quick=[(text("menu.upload.label"), "postback", "menu:upload")],
    )


def _send(ctx: Ctx, ident: Identity, data: str) -> None:
    assert ident.staff is not None
    ref = postback_refs.read(ctx.secret_key, REF_REMIND, data)
    semester = _semester(ctx)
    if ref is None or ref.version != taipei_date(ctx.now).toordinal() or semester is None:
        ctx.reply(m.text(text("desk.stale_button")))
        return
    cls = _own_class(ctx, ident, ref.id)
    if cls is None:
        ctx.reply(m.text(text("desk.stale_button")))
        return
    # Two taps of 送出提醒 (or two devices) must send one multicast.
    lock_named(ctx.session, f"class-reminder:{cls.id}")
    if _reminded_today(ctx.session, cls.id, ctx.now):
        ctx.reply(m.text(text("progress.remind.already", cls=cls.code)))
        return
    rows = progress.class_progress(
        ctx.session, ctx.rules, cls.id, semester.academic_year, semester.number
    )
    reach, _ = _targets(ctx.session, rows)
    if not reach:
        ctx.reply(m.text(text("progress.remind.none")))
        return
    used, quota = _month_used(ctx.session, ctx.now), ctx.rules.monthly_quota
    if used + len(reach) > quota:
        ctx.reply(
            m.text(text("progress.remind.over_quota", left=max(quota - used, 0), cost=len(reach)))
        )
        return
    ctx.outbox.multicast(
        reach,
        [reminder_message(ctx, cls, semester, ident.staff.name)],
        purpose="class_reminder",
        priority=NORMAL,
        not_before=ctx.rules.next_send_time(ctx.now),
    )
    ctx.session.add(
        ClassReminder(
            class_id=cls.id,
            staff_id=ident.staff.id,
            day=taipei_date(ctx.now),
            sent_at=ctx.now,
            recipients=len(reach),
        )
    )
    ctx.session.flush()
    ctx.reply(m.text(text("progress.remind.sent", count=len(reach), cost=len(reach))))


def _keep(ctx: Ctx, ident: Identity, data: str) -> None:
    ctx.reply(m.text(text("progress.remind.kept")))


# A homeroom teacher's buttons, after PREFIX: the action before the first ':' and what it runs
# with the rest of the data.
TAPS: dict[str, Callable[[Ctx, Identity, str], None]] = {ASK: _ask, SEND: _send, KEEP: _keep}


def on_postback(ctx: Ctx, ident: Identity, inp: Input, rest: str) -> None:
    action, _, data = rest.partition(":")
    tap = TAPS.get(action)
    if tap is None:
        ctx.reply(m.text(text("desk.stale_button")))
        return
    tap(ctx, ident, data)


def register(desk: FrontDesk) -> None:
    desk.command("class_progress", ("班級進度",), (HOMEROOM,))(on_progress)
    desk.postback(PREFIX, (HOMEROOM,))(on_postback)
