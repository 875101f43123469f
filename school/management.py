"""Rule 七, platform management: the chain of section heads who stand in for one another, and who
is reachable on LINE."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from storage.clock import taipei_date
from storage.models.certification import TeacherAbsence
from storage.models.line import LineAccount
from storage.models.school import (
    Staff,
    StaffRole,
)

# Rule 七, platform management: who hears staff notices, in order.
MANAGEMENT_CHAIN: Final = ("註冊組長", "教學組長", "資媒組長")
# 附表二 二: the library's IT media section keeps the hardware and every file's backup, so
# backup news goes to them first; the platform-management chain stands in when none is there.
BACKUP_OFFICE: Final = ("資媒組長", "資媒組", "圖書館")


@dataclass(frozen=True)
class ManagementLink:
    staff: Staff
    role: str
    available: bool
    away_until: date | None = None  # None with available False: away with no end date


def _away(session: Session, day: date) -> dict[int, TeacherAbsence]:
    return {
        a.staff_id: a
        for a in session.scalars(
            select(TeacherAbsence).where(
                TeacherAbsence.cancelled_at.is_(None), TeacherAbsence.starts_on <= day
            )
        )
        if a.covers(day)
    }


def management_chain(session: Session, now: datetime) -> list[ManagementLink]:
    """The platform-management chain of rule 七 on today's Taipei date, absent people included."""
    day = taipei_date(now)
    away = _away(session, day)
    links: list[ManagementLink] = []
    seen: set[int] = set()
    for role in MANAGEMENT_CHAIN:
        for staff in session.scalars(
            select(Staff)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(StaffRole.role == role)
            .order_by(Staff.id)
        ):
            if staff.id in seen:
                continue
            seen.add(staff.id)
            absence = away.get(staff.id)
            links.append(
                ManagementLink(staff, role, absence is None, absence.ends_on if absence else None)
            )
    return links


def management_contact(session: Session, now: datetime) -> Staff | None:
    """Who staff-only notices go to now: the first link of the chain who is not away; when
    everyone is away, the last link (as certification does: someone must hear); None when the
    roster names none of the three heads."""
    links = management_chain(session, now)
    for link in links:
        if link.available:
            return link.staff
    return links[-1].staff if links else None


def backup_chain(session: Session, now: datetime) -> list[ManagementLink]:
    """Who hears about backups (附表二 二): the IT media section, then rule 七(一)'s chain."""
    day = taipei_date(now)
    away = _away(session, day)
    links: list[ManagementLink] = []
    seen: set[int] = set()
    for role in BACKUP_OFFICE:
        for staff in session.scalars(
            select(Staff)
            .join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(StaffRole.role == role)
            .order_by(Staff.id)
        ):
            if staff.id in seen:
                continue
            seen.add(staff.id)
            absence = away.get(staff.id)
            links.append(
                ManagementLink(staff, role, absence is None, absence.ends_on if absence else None)
            )
    links += [lk for lk in management_chain(session, now) if lk.staff.id not in seen]
    return links


def management_recipients(
    session: Session, now: datetime, links: list[ManagementLink] | None = None
) -> list[tuple[Staff, str]]:
    """(staff, LINE user id) in the order a notice should try them: available links first."""
    links = management_chain(session, now) if links is None else links
    ordered = [lk for lk in links if lk.available] + [lk for lk in links if not lk.available][::-1]
    found = []
    for link in ordered:
        account = session.scalars(
            select(LineAccount.line_user_id).where(
                LineAccount.staff_id == link.staff.id, LineAccount.followed.is_(True)
            )
        ).first()
        if account is not None:
            found.append((link.staff, account))
    return found
