"""Year-end picking (勾選): the window, pick/unpick within the caps, 確認送出, reopen.

Picks live on the items themselves (CourseOutcome.picked_at, Performance.picked_at), so nothing
depends on a conversation staying open. Every change takes a per-student lock and counts again
after taking it: two taps racing for the last free slot cannot both win. Changes are possible
only while the year's picking window is open; after it closes the picks are final.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.model import COURSE_OUTCOME, PERFORMANCE, NotConfigured, Window
from rules.school_rules import SchoolRules
from school.pick_candidates import (
    KINDS,
    Candidate,
    Item,
    candidates,
    confirmation,
    get_item,
    model_of,
    picked_count,
    ref_of,
    why_not_pickable,
)
from school.recipients import to_rules_grade
from storage.clock import academic_year_of, taipei_date
from storage.db import lock_named
from storage.models.picking import PickConfirmation
from storage.models.portfolio import WITHDRAWN, AuditEntry
from storage.models.school import Student

# AuditEntry.item_kind values used elsewhere for the same items.
AUDIT_KIND: Final = {COURSE_OUTCOME: "outcome", PERFORMANCE: "performance"}
PICKS_SCOPE: Final = "picks_per_year"

Phase = Literal["before", "open", "closed"]


@dataclass(frozen=True)
class Outcome:
    """What a pick, unpick, confirm or reopen did; code names the catalogue text to say."""

    ok: bool
    code: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PickState:
    academic_year: int
    window: Window | None
    phase: Phase
    confirmed_at: datetime | None
    candidates: list[Candidate]
    counts: dict[str, int]
    limits: dict[str, int | None]

    def of_kind(self, kind: str) -> list[Candidate]:
        return [c for c in self.candidates if c.kind == kind]

    @property
    def picked(self) -> list[Candidate]:
        return [c for c in self.candidates if c.picked and c.pickable]

    @property
    def changeable(self) -> bool:
        return self.phase == "open" and self.confirmed_at is None


# --- the window ---------------------------------------------------------------------------------


def picking_window(
    rules: SchoolRules, academic_year: int, grade: int | None = None
) -> Window | None:
    """The year's picking window; grade 12's own (before graduation) where the school set it."""
    try:
        return rules.window("picking", academic_year, grade=grade)
    except (NotConfigured, KeyError):
        return None


def student_grade(session: Session, student_id: int) -> int | None:
    """The student's grade as the rules count it (10-12)."""
    grade = session.scalar(select(Student.grade).where(Student.id == student_id))
    return to_rules_grade(grade) if grade is not None else None


def picking_year(rules: SchoolRules, now: datetime, grade: int | None = None) -> int:
    """The year whose picking window is open now, else the academic year now is in."""
    for year in sorted(rules.years):
        window = picking_window(rules, year, grade)
        if window is not None and window.contains(now):
            return year
    return academic_year_of(taipei_date(now))


def phase_of(window: Window | None, now: datetime) -> Phase:
    if window is None or now < window.start:
        return "before"
    return "open" if window.contains(now) else "closed"


def _window_values(window: Window | None) -> dict[str, Any]:
    if window is None:
        return {}
    return {"start": window.first_day, "end": window.last_day}


# --- what may be picked -------------------------------------------------------------------------


def state(
    session: Session, rules: SchoolRules, student_id: int, academic_year: int, now: datetime
) -> PickState:
    window = picking_window(rules, academic_year, student_grade(session, student_id))
    conf = confirmation(session, student_id, academic_year)
    found = candidates(session, student_id, academic_year)
    counts = {k: sum(1 for c in found if c.kind == k and c.picked and c.pickable) for k in KINDS}
    limits = {k: rules.limit_for(k, PICKS_SCOPE) for k in KINDS}
    return PickState(
        academic_year=academic_year,
        window=window,
        phase=phase_of(window, now),
        confirmed_at=conf.confirmed_at if conf else None,
        candidates=found,
        counts=counts,
        limits=limits,
    )


# --- changes ------------------------------------------------------------------------------------


def lock_student(session: Session, student_id: int) -> None:
    """Serialise every picking change of one student until the transaction ends.

    The same lock school/items.py takes for uploads and withdrawals, so an item cannot be
    withdrawn between the check that it may be picked and the pick itself.
    """
    lock_named(session, f"student-items:{student_id}")


def _load_item(session: Session, kind: str, item_id: int) -> Item | None:
    # fresh: values read before the lock was taken must not decide anything.
    return get_item(session, kind, item_id, fresh=True)


def _audit(
    session: Session,
    now: datetime,
    action: str,
    kind: str,
    item_id: int,
    student_id: int,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEntry(
            at=now,
            action=action,
            item_kind=kind,
            item_id=item_id,
            student_id=student_id,
            actor_student_id=student_id,
            detail=detail,
        )
    )


def _closed(window: Window | None, now: datetime) -> Outcome | None:
    phase = phase_of(window, now)
    if phase == "before":
        return Outcome(False, "window_before", _window_values(window))
    if phase == "closed":
        return Outcome(False, "window_closed", _window_values(window))
    return None


def pick(
    session: Session, rules: SchoolRules, student_id: int, kind: str, item_id: int, now: datetime
) -> Outcome:
    """Pick one item for the central database, within the window and the yearly cap."""
    lock_student(session, student_id)
    item = _load_item(session, kind, item_id)
    if item is None or item.student_id != student_id or item.status == WITHDRAWN:
        return Outcome(False, "not_found")
    year = item.academic_year
    limit = rules.limit_for(kind, PICKS_SCOPE)
    refused = _closed(picking_window(rules, year, student_grade(session, student_id)), now)
    if refused is not None:
        return refused
    conf = confirmation(session, student_id, year)
    if conf is not None and conf.confirmed_at is not None:
        return Outcome(False, "locked", {"year": year})
    why = why_not_pickable(kind, item)
    if why is not None:
        return Outcome(False, f"not_pickable_{why}", {"reason": getattr(item, "reject_reason", "")})
    count = picked_count(session, student_id, year, kind)
    if item.picked_at is not None:
        return Outcome(True, "already_picked", {"count": count, "limit": limit})
    if limit is not None and count >= limit:
        return Outcome(False, "limit", {"count": count, "limit": limit})
    item.picked_at = now
    _audit(session, now, "pick", AUDIT_KIND[kind], item.id, student_id)
    session.flush()
    return Outcome(True, "picked", {"count": count + 1, "limit": limit})


def unpick(
    session: Session, rules: SchoolRules, student_id: int, kind: str, item_id: int, now: datetime
) -> Outcome:
    lock_student(session, student_id)
    item = _load_item(session, kind, item_id)
    if item is None or item.student_id != student_id:
        return Outcome(False, "not_found")
    year = item.academic_year
    limit = rules.limit_for(kind, PICKS_SCOPE)
    refused = _closed(picking_window(rules, year, student_grade(session, student_id)), now)
    if refused is not None:
        return refused
    conf = confirmation(session, student_id, year)
    if conf is not None and conf.confirmed_at is not None:
        return Outcome(False, "locked", {"year": year})
    if item.picked_at is None:
        count = picked_count(session, student_id, year, kind)
        return Outcome(True, "already_unpicked", {"count": count, "limit": limit})
    item.picked_at = None
    _audit(session, now, "unpick", AUDIT_KIND[kind], item.id, student_id)
    session.flush()
    return Outcome(
        True, "unpicked", {"count": picked_count(session, student_id, year, kind), "limit": limit}
    )


def _picked_items(session: Session, kind: str, student_id: int, academic_year: int) -> list[Item]:
    model = model_of(kind)
    ids = session.scalars(
        select(model.id)
        .where(
            model.student_id == student_id,
            model.academic_year == academic_year,
            model.picked_at.is_not(None),
        )
        .order_by(model.id)
    ).all()
    found = (get_item(session, kind, item_id, fresh=True) for item_id in ids)
    return [item for item in found if item is not None]


def confirm(
    session: Session, rules: SchoolRules, student_id: int, academic_year: int, now: datetime
) -> Outcome:
    """確認送出: lock the year's picks as they are now (changes need a reopen)."""
    lock_student(session, student_id)
    refused = _closed(picking_window(rules, academic_year, student_grade(session, student_id)), now)
    if refused is not None:
        return refused
    conf = confirmation(session, student_id, academic_year)
    if conf is not None and conf.confirmed_at is not None:
        return Outcome(True, "already_confirmed", {"at": conf.confirmed_at})
    if conf is None:
        conf = PickConfirmation(
            student_id=student_id, academic_year=academic_year, confirmed_refs=[]
        )
        session.add(conf)
    refs: list[str] = []
    dropped = 0
    for kind in KINDS:
        for item in _picked_items(session, kind, student_id, academic_year):
            if why_not_pickable(kind, item) is None:
                refs.append(ref_of(kind, item.id))
            else:
                # Picked while pickable, changed since (e.g. certification revoked): never sent.
                item.picked_at = None
                dropped += 1
                _audit(
                    session,
                    now,
                    "unpick",
                    AUDIT_KIND[kind],
                    item.id,
                    student_id,
                    "no longer pickable at confirmation",
                )
    conf.confirmed_at = now
    conf.confirmed_refs = refs
    session.flush()
    _audit(session, now, "pick_confirm", "picks", conf.id, student_id, " ".join(refs) or None)
    return Outcome(True, "confirmed", {"count": len(refs), "dropped": dropped, "at": now})


def reopen(
    session: Session, rules: SchoolRules, student_id: int, academic_year: int, now: datetime
) -> Outcome:
    """Undo 確認送出 while the window is open; after it closes the picks are final."""
    lock_student(session, student_id)
    refused = _closed(picking_window(rules, academic_year, student_grade(session, student_id)), now)
    if refused is not None:
        return refused
    conf = confirmation(session, student_id, academic_year)
    if conf is None or conf.confirmed_at is None:
        return Outcome(True, "not_confirmed")
    conf.confirmed_at = None
    conf.reopened_at = now
    session.flush()
    _audit(session, now, "pick_reopen", "picks", conf.id, student_id)
    return Outcome(True, "reopened")
