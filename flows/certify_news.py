"""What students hear of certification: a rejection is pushed at once with a 重新上傳 button;
approvals ride along in the student's next reply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from catalogue import text
from flows import messages as m
from flows.cards import button
from flows.certify_cards import course_label, flex_text, staff_name
from flows.context import Ctx
from flows.submission import REUPLOAD
from rules.school_rules import SchoolRules
from school import certification as cert
from storage.clock import format_datetime
from storage.identity import STUDENT, Identity
from storage.models.portfolio import CourseOutcome
from storage.outbox import MAX_MESSAGES_PER_REQUEST, URGENT, Outbox


def rejection_message(outcome: CourseOutcome, teacher: str) -> dict[str, Any]:
    course = course_label(outcome)
    body = text(
        "certify.student.rejected",
        course=course,
        reason=outcome.reject_reason or "",
        name=teacher,
        when=format_datetime(outcome.decided_at or outcome.created_at),
    )
    # flows/upload.py's contract: `reupload:<outcome id>`; it starts the replacement only for
    # the student's own rejected, not yet replaced item, so the id needs no signature.
    reupload = f"{REUPLOAD}{outcome.id}"
    bubble = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [flex_text(body, size="sm")]},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                button(
                    m.postback_action(
                        text("certify.student.reupload"),
                        reupload,
                        display=text("certify.student.reupload"),
                    ),
                    style="primary",
                ),
            ],
        },
    }
    return m.flex(text("certify.student.alt_rejected", course=course), bubble)


def tell_rejection(
    session: Session, outbox: Outbox, rules: SchoolRules, now: datetime, outcome: CourseOutcome
) -> None:
    """A rejection is worth a push: the student has work to redo before the window closes."""
    outcome.decision_told_at = now
    to = cert.line_user_of_student(session, outcome.student_id)
    if to is None:
        return  # they will see it under 我的歷程
    teacher = staff_name(session, outcome.decided_by_id)
    # Urgent: the monthly budget never holds it back (jobs/budget.py keeps a margin for these);
    # quiet hours still apply.
    outbox.push(
        to,
        [rejection_message(outcome, teacher)],
        purpose="certify_rejected",
        priority=URGENT,
        not_before=rules.next_send_time(now),
    )


def approvals_message(items: list[CourseOutcome]) -> dict[str, Any]:
    listed = "、".join(text("certify.student.approved_item", course=course_label(o)) for o in items)
    return m.text(text("certify.student.approved", items=listed))


def tell_approvals(ctx: Ctx, ident: Identity) -> None:
    """desk.after_reply: a student's reply carries their news of approvals, for free."""
    if ident.student is None or STUDENT not in ident.roles:
        return
    if len(ctx.replies) >= MAX_MESSAGES_PER_REQUEST:
        return  # a sixth message would go out as a paid push; next reply it is
    items = cert.untold_approvals(ctx.session, ident.student.id)
    if not items:
        return
    ctx.replies.append(approvals_message(items))
    cert.mark_told(items, ctx.now)
