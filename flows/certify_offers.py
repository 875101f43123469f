"""Late items offered to the convener: 接手 takes a late teacher's pending items over, 提醒 pushes
that teacher a reminder. The offer's note is the button's signed reference.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from catalogue import text
from flows import messages as m
from flows import postback_refs
from flows.certify_cards import PREFIX, REF_OFFER, REMIND, TAKE, read_ref
from flows.context import Ctx
from rules.model import NotConfigured
from school import certification as cert
from storage.clock import format_date
from storage.models.certification import CertifierNote
from storage.models.school import Staff
from storage.outbox import URGENT, Outbox


def offer_buttons(session: Session, secret_key: str, notes: list[Any]) -> list[m.QuickItem]:
    """接手 / 提醒 quick replies for the offers in a convener's digest (the note is the ref)."""
    quick: list[m.QuickItem] = []
    for note in notes[:6]:
        teacher = session.get(Staff, note.other_staff_id)
        name = teacher.name if teacher else ""
        ref = postback_refs.make(secret_key, REF_OFFER, [note.id])
        quick.append(
            (
                text("school_rules.certify.button.take", name=name)[:20],
                "postback",
                f"{PREFIX}{TAKE}:{ref}",
            )
        )
        quick.append(
            (
                text("school_rules.certify.button.remind", name=name)[:20],
                "postback",
                f"{PREFIX}{REMIND}:{ref}",
            )
        )
    return quick


def answer_offer(ctx: Ctx, staff_id: int, action: str, data: str) -> None:
    ref = read_ref(ctx, REF_OFFER, data)
    if ref is None:
        return
    note = ctx.session.get(CertifierNote, ref.id)
    if (
        note is None
        or note.staff_id != staff_id
        or note.kind != cert.OFFERED
        or note.other_staff_id is None
    ):
        ctx.reply(m.text(text("certify.bad_ref")))
        return
    teacher = ctx.session.get(Staff, note.other_staff_id)
    name = teacher.name if teacher else ""
    year, semester = note.academic_year, note.semester
    if action == TAKE:
        moves = cert.take_over(ctx.session, staff_id, note.other_staff_id, year, semester, ctx.now)
        if not moves:
            ctx.reply(m.text(text("school_rules.certify.nothing_left", name=name)))
            return
        ctx.reply(
            m.text(
                text("school_rules.certify.took", count=len(moves), name=name),
                quick=[("待認證", "待認證")],
            )
        )
        return
    count = cert.late_count(ctx.session, staff_id, note.other_staff_id, year, semester, ctx.now)
    to = cert.line_user_of_staff(ctx.session, note.other_staff_id)
    if count == 0 or to is None:
        key = (
            "school_rules.certify.nothing_left"
            if count == 0
            else "school_rules.certify.not_on_line"
        )
        ctx.reply(m.text(text(key, name=name)))
        return
    me = ctx.session.get(Staff, staff_id)
    end = ""
    try:
        end = format_date(ctx.rules.window("certification", year, semester).last_day)
    except NotConfigured:
        pass
    Outbox(ctx.session, ctx.now).push(
        to,
        [
            m.text(
                text(
                    "school_rules.certify.reminder",
                    name=me.name if me else "",
                    count=count,
                    end=end,
                ),
                quick=[("待認證", "待認證")],
            )
        ],
        purpose="certify_reminder",
        priority=URGENT,
        not_before=ctx.rules.next_send_time(ctx.now),
    )
    ctx.reply(m.text(text("school_rules.certify.reminded", name=name, count=count)))
