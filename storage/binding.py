"""One-time binding codes: issue them for printed slips, redeem one to link a LINE account."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.crypto import cipher
from storage.models.binding import BindAttempt, BindingCode
from storage.models.line import LineAccount
from storage.models.school import Guardian, GuardianLink, Staff, Student

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B, U/V: a code read off paper is typed right the first time.
ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
CODE_LENGTH = 8
DEFAULT_VALID_DAYS = 30
MAX_WRONG_TRIES = 5
LOCKOUT = timedelta(hours=1)

STUDENT, STAFF, GUARDIAN = "student", "staff", "guardian"
ROLES = (STUDENT, STAFF, GUARDIAN)


@dataclass(frozen=True)
class IssuedCode:
    code: str
    role: str
    student: Student | None
    staff: Staff | None
    guardian: Guardian | None
    expires_at: datetime


@dataclass(frozen=True)
class Redeemed:
    ok: bool
    reason: str  # bound, wrong, expired, used, locked, other_person, busy
    role: str | None = None
    locked_until: datetime | None = None
    tries_left: int | None = None
    replaced_line_user_id: str | None = None
    child: Student | None = None
    # This wrong try took the school over its hourly limit: the people in charge should hear.
    alarm: bool = False


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def _folded(raw: str) -> str:
    """Full-width letters, digits and dashes (a Chinese keyboard's) as their ASCII forms."""
    return unicodedata.normalize("NFKC", raw).upper()


def normalise(raw: str) -> str | None:
    """The code as typed, without spaces or dashes, if it can be one of ours."""
    cleaned = "".join(ch for ch in _folded(raw) if ch not in " -－—_\u3000")
    cleaned = cleaned.translate(
        str.maketrans(
            "ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＴＷＸＹ３４６７９", "ABCDEFGHJKMNPQRTWXY34679"
        )
    )
    if len(cleaned) != CODE_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def looks_like_code(raw: str) -> bool:
    cleaned = "".join(ch for ch in _folded(raw) if ch not in " -－—_\u3000")
    return len(cleaned) == CODE_LENGTH and cleaned.isalnum() and cleaned.isascii()


def code_hash(normalised: str) -> str:
    key = cipher().lookup_hash("binding-code-key")
    return hmac.new(key.encode(), normalised.encode(), hashlib.sha256).hexdigest()


def issue(
    session: Session,
    role: str,
    now: datetime,
    students: list[Student] | None = None,
    staff: list[Staff] | None = None,
    valid_days: int = DEFAULT_VALID_DAYS,
) -> list[IssuedCode]:
    """New codes for these people; earlier unused codes of the same people stop working."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role}")
    expires = now + timedelta(days=valid_days)
    issued: list[IssuedCode] = []

    def add(student: Student | None, member: Staff | None, guardian: Guardian | None) -> None:
        code = new_code()
        session.add(
            BindingCode(
                code_hash=code_hash(normalise(code) or ""),
                role=role,
                student_id=student.id if student else None,
                staff_id=member.id if member else None,
                guardian_id=guardian.id if guardian else None,
                issued_at=now,
                expires_at=expires,
            )
        )
        issued.append(IssuedCode(code, role, student, member, guardian, expires))

    if role == STAFF:
        for member in staff or []:
            _revoke(session, now, role, staff_id=member.id)
            add(None, member, None)
    else:
        for student in students or []:
            if role == STUDENT:
                _revoke(session, now, role, student_id=student.id)
                add(student, None, None)
                continue
            guardians = list(
                session.scalars(
                    select(Guardian)
                    .join(GuardianLink, GuardianLink.guardian_id == Guardian.id)
                    .where(GuardianLink.student_id == student.id)
                    .order_by(Guardian.id)
                )
            )
            _revoke(session, now, role, student_id=student.id)
            # One slip per known guardian of the child, or one for "the family" when none is known.
            for guardian in guardians or [None]:
                add(student, None, guardian)
    session.flush()
    return issued


def _revoke(session: Session, now: datetime, role: str, **who: int) -> None:
    query = update(BindingCode).where(
        BindingCode.role == role, BindingCode.used_at.is_(None), BindingCode.revoked_at.is_(None)
    )
    for column, value in who.items():
        query = query.where(getattr(BindingCode, column) == value)
    session.execute(query.values(revoked_at=now))


def locked_until(session: Session, line_user_id: str, now: datetime) -> datetime | None:
    since = now - LOCKOUT
    stamps = list(
        session.scalars(
            select(BindAttempt.at)
            .where(BindAttempt.line_user_id == line_user_id, BindAttempt.at > since)
            .order_by(BindAttempt.at)
        )
    )
    if len(stamps) >= MAX_WRONG_TRIES:
        return stamps[-MAX_WRONG_TRIES] + LOCKOUT
    return None


def school_tries(session: Session, now: datetime) -> int:
    """Wrong codes tried by anyone in the last hour."""
    return int(
        session.scalar(
            select(func.count()).select_from(BindAttempt).where(BindAttempt.at > now - LOCKOUT)
        )
        or 0
    )


def _wrong(
    session: Session, line_user_id: str, now: datetime, reason: str, school_limit: int | None
) -> Redeemed:
    session.add(BindAttempt(line_user_id=line_user_id, at=now))
    session.flush()
    alarm = school_limit is not None and school_tries(session, now) == school_limit
    since = now - LOCKOUT
    count = (
        session.scalar(
            select(func.count())
            .select_from(BindAttempt)
            .where(BindAttempt.line_user_id == line_user_id, BindAttempt.at > since)
        )
        or 0
    )
    until = locked_until(session, line_user_id, now)
    if until is not None:
        return Redeemed(False, "locked", locked_until=until, alarm=alarm)
    return Redeemed(False, reason, tries_left=MAX_WRONG_TRIES - int(count), alarm=alarm)


def redeem(
    session: Session,
    account: LineAccount,
    raw: str,
    now: datetime,
    school_limit: int | None = None,
) -> Redeemed:
    """Link the account to the code's person; at most once per code, with a lockout on guessing.

    school_limit: wrong tries allowed school-wide per hour. Past it, binding pauses for
    everyone (a guesser using many accounts gets no further), and the try that reached it
    says so (alarm) so the people in charge can be told.
    """
    until = locked_until(session, account.line_user_id, now)
    if until is not None:
        return Redeemed(False, "locked", locked_until=until)
    if school_limit is not None and school_tries(session, now) >= school_limit:
        return Redeemed(False, "busy")
    normalised = normalise(raw)

    def wrong(reason: str) -> Redeemed:
        return _wrong(session, account.line_user_id, now, reason, school_limit)

    if normalised is None:
        return wrong("wrong")
    code = session.scalars(
        select(BindingCode).where(BindingCode.code_hash == code_hash(normalised)).with_for_update()
    ).first()
    if code is None or code.revoked_at is not None:
        return wrong("wrong")
    if code.used_at is not None:
        return wrong("used")
    if code.expires_at <= now:
        return wrong("expired")

    replaced: str | None = None
    if code.role in (STUDENT, STAFF):
        if (account.student_id or account.staff_id) and (
            account.student_id != code.student_id or account.staff_id != code.staff_id
        ):
            return Redeemed(False, "other_person", role=code.role)
        column = LineAccount.student_id if code.role == STUDENT else LineAccount.staff_id
        person_id = code.student_id if code.role == STUDENT else code.staff_id
        previous = session.scalars(
            select(LineAccount).where(column == person_id, LineAccount.id != account.id)
        ).all()
        for old in previous:
            # Re-binding from a new phone: the old LINE account stops acting for this person.
            replaced = old.line_user_id
            if code.role == STUDENT:
                old.student_id = None
            else:
                old.staff_id = None
            old.bound_at = None if not old.is_bound else old.bound_at
        if code.role == STUDENT:
            account.student_id = code.student_id
        else:
            account.staff_id = code.staff_id
    else:
        if account.student_id:
            return Redeemed(False, "other_person", role=code.role)
        guardian = session.get(Guardian, code.guardian_id) if code.guardian_id else None
        if account.guardian_id is None:
            if guardian is None:
                guardian = Guardian(name="")
                session.add(guardian)
                session.flush()
            account.guardian_id = guardian.id
        target_guardian = account.guardian_id
        exists = session.scalars(
            select(GuardianLink).where(
                GuardianLink.guardian_id == target_guardian,
                GuardianLink.student_id == code.student_id,
            )
        ).first()
        if exists is None:
            relation = None
            if guardian is not None and guardian.id != target_guardian:
                link = session.scalars(
                    select(GuardianLink).where(
                        GuardianLink.guardian_id == guardian.id,
                        GuardianLink.student_id == code.student_id,
                    )
                ).first()
                relation = link.relation if link else None
            session.add(
                GuardianLink(
                    guardian_id=target_guardian, student_id=code.student_id, relation=relation
                )
            )
    code.used_at = now
    code.used_by = account.line_user_id
    account.bound_at = now
    session.flush()
    child = session.get(Student, code.student_id) if code.role == GUARDIAN else None
    return Redeemed(True, "bound", role=code.role, replaced_line_user_id=replaced, child=child)


def unbind(session: Session, account: LineAccount) -> None:
    account.student_id = None
    account.staff_id = None
    account.guardian_id = None
    account.bound_at = None
