"""Ending a LINE binding when a student leaves or is sealed: the student's accounts stop acting
for them, unused binding codes stop working, and guardians left with no child here are unbound.
Returns who lost their binding; the caller words the farewell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.models.binding import BindingCode
from storage.models.conversation import ConversationRow
from storage.models.line import LineAccount
from storage.models.school import GuardianLink, Student


@dataclass
class Farewell:
    """A LINE account whose binding ended, and whose person it was (for the catalogue text)."""

    line_user_id: str
    student_name: str
    guardian: bool = False


def end_student_binding(session: Session, student: Student, now: datetime) -> list[Farewell]:
    """The student's LINE accounts stop acting for them; unused slips stop working too."""
    farewells = []
    for account in session.scalars(select(LineAccount).where(LineAccount.student_id == student.id)):
        account.student_id = None
        if not account.is_bound:
            account.bound_at = None
        # A conversation in the middle of an upload must not go on for someone who left.
        session.execute(
            delete(ConversationRow).where(ConversationRow.line_user_id == account.line_user_id)
        )
        if account.followed:
            farewells.append(Farewell(account.line_user_id, student.name))
    session.execute(
        update(BindingCode)
        .where(
            BindingCode.student_id == student.id,
            BindingCode.used_at.is_(None),
            BindingCode.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    session.flush()
    return farewells


def end_guardian_links(
    session: Session, student: Student, now: datetime
) -> tuple[list[int], list[Farewell]]:
    """Guardians stop seeing the child; a guardian left with no child here is unbound."""
    guardian_ids = list(
        session.scalars(
            select(GuardianLink.guardian_id)
            .where(GuardianLink.student_id == student.id)
            .order_by(GuardianLink.guardian_id)
        )
    )
    session.execute(delete(GuardianLink).where(GuardianLink.student_id == student.id))
    farewells = []
    for guardian_id in guardian_ids:
        others = session.scalar(
            select(func.count())
            .select_from(GuardianLink)
            .where(GuardianLink.guardian_id == guardian_id)
        )
        if others:
            continue
        for account in session.scalars(
            select(LineAccount).where(LineAccount.guardian_id == guardian_id)
        ):
            account.guardian_id = None
            if not account.is_bound:
                account.bound_at = None
            session.execute(
                delete(ConversationRow).where(ConversationRow.line_user_id == account.line_user_id)
            )
            if account.followed:
                farewells.append(Farewell(account.line_user_id, student.name, guardian=True))
        session.execute(
            update(BindingCode)
            .where(
                BindingCode.guardian_id == guardian_id,
                BindingCode.used_at.is_(None),
                BindingCode.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
    session.flush()
    return guardian_ids, farewells
