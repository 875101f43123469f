"""Who may use the web console: sign-in links, browser sessions, rate limits and the audit log.

A link is asked for from LINE (後台) or printed by the CLI; it is single use and dies after ten
minutes. Only a POST uses it (link previewers GET). A session lives while its staff member is
still bound to the LINE account that asked for the link and still holds a console role: every
request checks both, so unbinding or losing the role ends the session at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models.console import ConsoleAudit, ConsoleHit, ConsoleLink, ConsoleSession
from storage.models.line import LineAccount
from storage.models.school import Course, SchoolClass, Staff, StaffRole

LINK_TTL = timedelta(minutes=10)
SESSION_IDLE = timedelta(hours=8)
SESSION_MAX = timedelta(days=7)
# last_seen_at is written at most this often, so reading pages does not write on every request.
TOUCH_EVERY = timedelta(minutes=1)

# Rate limits per staff member: (how many, per how long).
LINK_LIMIT = (5, timedelta(hours=1))
UPLOAD_LIMIT = (30, timedelta(hours=1))
RATE_LIMITS = {"link": LINK_LIMIT, "upload": UPLOAD_LIMIT}

SIGNIN_PATH = "/console/signin/"

# The roster's roles that open the console (the roster may also call 訓育組 社團組, and
# 資媒組 圖書館). 導師 and 任課教師 are also given to whoever holds a class or a course.
HOMEROOM = "導師"
TEACHER = "任課教師"
OFFICES = frozenset(
    {
        "註冊組",
        "教學組",
        "訓育組",
        "社團組",
        "生輔組",
        "輔導室",
        "資媒組",
        "工作小組",
        "校長",
        "教務主任",
        "註冊組長",
        "教學組長",
        "資媒組長",
    }
)
TEACHING = frozenset({HOMEROOM, TEACHER, "科召集人", "課程諮詢教師"})
CONSOLE_ROLES = OFFICES | TEACHING


class LinkRefused(Exception):
    """The link cannot be used; reason is a catalogue key's last part (used, expired, unknown)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimited(Exception):
    def __init__(self, action: str, limit: int, window: timedelta) -> None:
        super().__init__(action)
        self.action = action
        self.limit = limit
        self.minutes = int(window.total_seconds() // 60)


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in staff member as the console sees them; rebuilt on every request."""

    session_id: int
    staff_id: int
    staff_no: str
    name: str
    roles: frozenset[str]
    homeroom_class_ids: frozenset[int]

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def offices(self) -> frozenset[str]:
        return self.roles & OFFICES


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- rate limits ---------------------------------------------------------------------------------


def check_rate(session: Session, staff_id: int, action: str, now: datetime) -> None:
    """Count one act of this staff member; RateLimited when the window is already full."""
    limit, window = RATE_LIMITS[action]
    used = (
        session.scalar(
            select(func.count())
            .select_from(ConsoleHit)
            .where(
                ConsoleHit.staff_id == staff_id,
                ConsoleHit.action == action,
                ConsoleHit.at > now - window,
            )
        )
        or 0
    )
    if used >= limit:
        raise RateLimited(action, limit, window)
    session.add(ConsoleHit(staff_id=staff_id, action=action, at=now))
    session.flush()


# --- links ---------------------------------------------------------------------------------------


def issue_link(
    session: Session,
    staff_id: int,
    now: datetime,
    base_url: str,
    line_account_id: int | None = None,
    *,
    limited: bool = True,
) -> str:
    """A new sign-in URL for this staff member (nothing personal in it: a random token)."""
    if limited:
        check_rate(session, staff_id, "link", now)
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleLink(
            token_hash=token_hash(token),
            staff_id=staff_id,
            line_account_id=line_account_id,
            created_at=now,
            expires_at=now + LINK_TTL,
        )
    )
    session.flush()
    return f"{base_url.rstrip('/')}{SIGNIN_PATH}{token}"


def _link(session: Session, token: str, *, lock: bool = False) -> ConsoleLink | None:
    query = select(ConsoleLink).where(ConsoleLink.token_hash == token_hash(token))
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def check_link(session: Session, token: str, now: datetime) -> ConsoleLink:
    """The link if it could still sign in (a GET asks this; it uses nothing)."""
    link = _link(session, token)
    if link is None:
        raise LinkRefused("unknown")
    if link.used_at is not None:
        raise LinkRefused("used")
    if link.expires_at <= now:
        raise LinkRefused("expired")
    return link


def sign_in(session: Session, token: str, now: datetime) -> str:
    """Use the link (once) and start a session; the returned token goes in the cookie."""
    link = _link(session, token, lock=True)
    if link is None:
        raise LinkRefused("unknown")
    if link.used_at is not None:
        raise LinkRefused("used")
    if link.expires_at <= now:
        raise LinkRefused("expired")
    link.used_at = now
    account_id = link.line_account_id
    if account_id is None:
        # A CLI link: tie the session to the account the person is bound to now, if any.
        account_id = session.scalars(
            select(LineAccount.id).where(LineAccount.staff_id == link.staff_id)
        ).first()
    elif _bound_account(session, account_id) != link.staff_id:
        raise LinkRefused("unbound")
    roles, _ = console_roles(session, link.staff_id)
    if not roles:
        raise LinkRefused("no_role")
    cookie = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=token_hash(cookie),
            staff_id=link.staff_id,
            line_account_id=account_id,
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return cookie


# --- sessions ------------------------------------------------------------------------------------


def _bound_account(session: Session, account_id: int) -> int | None:
    return session.scalar(select(LineAccount.staff_id).where(LineAccount.id == account_id))


def console_roles(session: Session, staff_id: int) -> tuple[frozenset[str], frozenset[int]]:
    """The console roles of a staff member and the classes they are homeroom teacher of."""
    roles = {
        r
        for r in session.scalars(select(StaffRole.role).where(StaffRole.staff_id == staff_id))
        if r in CONSOLE_ROLES
    }
    classes = frozenset(
        session.scalars(select(SchoolClass.id).where(SchoolClass.homeroom_teacher_id == staff_id))
    )
    if classes:
        roles.add(HOMEROOM)
    else:
        roles.discard(HOMEROOM)  # 導師 without a class sees nothing a 導師 sees
    teaches = session.scalar(select(Course.id).where(Course.teacher_id == staff_id).limit(1))
    if teaches is not None:
        roles.add(TEACHER)
    return (frozenset(roles), classes) if roles else (frozenset(), frozenset())


def current_user(session: Session, cookie: str, now: datetime) -> ConsoleUser | None:
    """The session's staff member, or None (and the session ended) when it may no longer act.

    Four small queries: the session with its LINE binding and the staff member, the roles, the
    homeroom classes, whether they teach."""
    found = session.execute(
        select(ConsoleSession, LineAccount.staff_id, Staff.staff_no, Staff.name)
        .join(Staff, Staff.id == ConsoleSession.staff_id)
        .join(LineAccount, LineAccount.id == ConsoleSession.line_account_id, isouter=True)
        .where(ConsoleSession.token_hash == token_hash(cookie))
    ).first()
    if found is None:
        return None
    row, bound_staff_id, staff_no, name = found
    if row.ended_at is not None:
        return None
    reason = None
    if now - row.created_at >= SESSION_MAX:
        reason = "expired"
    elif now - row.last_seen_at >= SESSION_IDLE:
        reason = "idle"
    elif row.line_account_id is not None and bound_staff_id != row.staff_id:
        reason = "unbound"
    roles, classes = console_roles(session, row.staff_id) if reason is None else ((), ())
    if reason is None and not roles:
        reason = "no_role"
    if reason is not None:
        row.ended_at, row.end_reason = now, reason
        session.flush()
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return ConsoleUser(row.id, row.staff_id, staff_no, name, frozenset(roles), frozenset(classes))


def sign_out(session: Session, cookie: str, now: datetime) -> None:
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.token_hash == token_hash(cookie), ConsoleSession.ended_at.is_(None))
        .values(ended_at=now, end_reason="signed_out")
    )


def end_sessions(session: Session, staff_id: int, now: datetime, reason: str) -> int:
    """End every open session of one staff member (unbinding, a removed role)."""
    result = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.staff_id == staff_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- audit ---------------------------------------------------------------------------------------


def audit(
    session: Session,
    user: ConsoleUser | int | None,
    office: str,
    action: str,
    now: datetime,
    detail: str = "",
    before: int | None = None,
    after: int | None = None,
) -> None:
    """Write one change to the console's audit log (owned, and read, by office)."""
    staff_id = user.staff_id if isinstance(user, ConsoleUser) else user
    session.add(
        ConsoleAudit(
            at=now,
            staff_id=staff_id,
            office=office,
            action=action,
            detail=detail[:2000],
            before_count=before,
            after_count=after,
        )
    )
    session.flush()


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    who: str
    office: str
    action: str
    detail: str
    before: int | None
    after: int | None


def audit_rows(
    session: Session,
    offices: frozenset[str] | set[str],
    *,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[AuditRow]:
    """The newest entries of these offices, with the staff member's name, in one query."""
    query = (
        select(ConsoleAudit, Staff.name)
        .join(Staff, Staff.id == ConsoleAudit.staff_id, isouter=True)
        .where(ConsoleAudit.office.in_(sorted(offices)))
        .order_by(ConsoleAudit.at.desc(), ConsoleAudit.id.desc())
        .limit(limit)
    )
    if action:
        query = query.where(ConsoleAudit.action == action)
    if since:
        query = query.where(ConsoleAudit.at >= since)
    if until:
        query = query.where(ConsoleAudit.at < until)
    return [
        AuditRow(
            a.at, name or "—", a.office, a.action, a.detail or "", a.before_count, a.after_count
        )
        for a, name in session.execute(query)
    ]
