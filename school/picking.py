"""Year-end picking (勾選): what may be picked, pick/unpick within the caps, 確認送出, reopen.

Picks live on the items themselves (CourseOutcome.picked_at, Performance.picked_at), so nothing
depends on a conversation staying open. Every change takes a per-student lock and counts again
after taking it: two taps racing for the last free slot cannot both win. Changes are possible
only while the year's picking window is open; after it closes the picks are final.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from rules.model import COURSE_OUTCOME, PERFORMANCE, NotConfigured, Window
from rules.school_rules import SchoolRules
from school import items
from school.schedule import to_rules_grade
from storage.clock import academic_year_of, taipei_date
from storage.db import lock_named
from storage.models.picking import PickConfirmation
from storage.models.portfolio import (
    CERTIFIED,
    DRAFT,
    PENDING,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    AuditEntry,
    CourseOutcome,
    Performance,
    PerformanceFile,
)
from storage.models.school import Student

KINDS: Final = (COURSE_OUTCOME, PERFORMANCE)
# Item references as the student's buttons, the export and the receipt list write them.
REF_PREFIX: Final = {COURSE_OUTCOME: "C", PERFORMANCE: "P"}
# AuditEntry.item_kind values used elsewhere for the same items.
AUDIT_KIND: Final = {COURSE_OUTCOME: "outcome", PERFORMANCE: "performance"}
PICKS_SCOPE: Final = "picks_per_year"
# The statuses that may be picked (and exported): certified work, self-registered performances.
PICKABLE_STATUS: Final = {COURSE_OUTCOME: CERTIFIED, PERFORMANCE: SUBMITTED}

Phase = Literal["before", "open", "closed"]
Item = CourseOutcome | Performance


@dataclass(frozen=True)
class Outcome:
    """What a pick, unpick, confirm or reopen did; code names the catalogue text to say."""

    ok: bool
    code: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """One item of the year as the student sees it on a card."""

    kind: str
    item_id: int
    ref: str
    academic_year: int
    semester: int
    status: str
    picked: bool
    pickable: bool
    # Why it cannot be picked: draft | pending | rejected (with reason) | None when pickable.
    why: str | None
    reason: str | None
    title: str
    summary: str
    record_type: str | None
    has_document: bool
    has_av: bool


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


# --- references ---------------------------------------------------------------------------------


def ref_of(kind: str, item_id: int) -> str:
    return f"{REF_PREFIX[kind]}{item_id}"


def parse_ref(ref: str) -> tuple[str, int] | None:
    """'C12' → ('course_outcome', 12); anything else → None."""
    ref = ref.strip().upper()
    for kind, prefix in REF_PREFIX.items():
        if ref.startswith(prefix) and ref[1:].isdigit() and len(ref) <= 12:
            return kind, int(ref[1:])
    return None


def model_of(kind: str) -> type[CourseOutcome | Performance]:
    return CourseOutcome if kind == COURSE_OUTCOME else Performance


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


def why_not_pickable(kind: str, item: Item) -> str | None:
    if item.status == PICKABLE_STATUS[kind]:
        return None
    if item.status in (PENDING, REJECTED, DRAFT):
        return item.status
    return "unavailable"


def _performance_title(perf: Performance) -> str:
    fields = perf.fields or {}
    for key in TITLE_FIELDS:
        value = fields.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return perf.summary or ""


# Performance fields that name the record on a card, most telling first (see school/export.py).
TITLE_FIELDS: Final = (
    "name",
    "title",
    "course",
    "position",
    "code",
    "unit",
    "organisation",
    "category",
)


def _candidate(kind: str, item: Item) -> Candidate:
    why = why_not_pickable(kind, item)
    if isinstance(item, CourseOutcome):
        title = item.course.subject if item.course is not None else ""
        record_type = None
        has_document, has_av = item.document_file_id is not None, item.video_file_id is not None
        reason = item.reject_reason
    else:
        title = _performance_title(item)
        record_type = item.record_type
        kinds = {p.file.kind for p in item.proofs if p.file is not None}
        has_document, has_av = "document" in kinds, "av" in kinds
        reason = None
    return Candidate(
        kind=kind,
        item_id=item.id,
        ref=ref_of(kind, item.id),
        academic_year=item.academic_year,
        semester=item.semester,
        status=item.status,
        picked=item.picked_at is not None,
        pickable=why is None,
        why=why,
        reason=reason,
        title=title,
        summary=item.summary or "",
        record_type=record_type,
        has_document=has_document,
        has_av=has_av,
    )


def get_item(session: Session, kind: str, item_id: int, *, fresh: bool = False) -> Item | None:
    """A course outcome or performance by kind; fresh re-reads rows already in the session."""
    item: Item | None
    if kind == COURSE_OUTCOME:
        item = session.get(CourseOutcome, item_id, populate_existing=fresh)
    else:
        item = session.get(Performance, item_id, populate_existing=fresh)
    return item


def candidate_of(session: Session, kind: str, item_id: int) -> Candidate | None:
    item = get_item(session, kind, item_id)
    return _candidate(kind, item) if item is not None else None


def candidates(session: Session, student_id: int, academic_year: int) -> list[Candidate]:
    """The year's items, course outcomes first; withdrawn items are gone from the student's view."""
    outcomes = session.scalars(
        select(CourseOutcome)
        .options(joinedload(CourseOutcome.course))
        .where(
            CourseOutcome.student_id == student_id,
            CourseOutcome.academic_year == academic_year,
            CourseOutcome.status != WITHDRAWN,
        )
        .order_by(CourseOutcome.semester, CourseOutcome.id)
    ).all()
    performances = session.scalars(
        select(Performance)
        .options(selectinload(Performance.proofs).joinedload(PerformanceFile.file))
        .where(
            Performance.student_id == student_id,
            Performance.academic_year == academic_year,
            Performance.status != WITHDRAWN,
        )
        .order_by(Performance.semester, Performance.id)
    ).all()
    # A rejected item the student re-uploaded lives on as its replacement (items.py's one
    # definition of an item's current state): only the replacement is a card.
    gone = items.superseded_ids(outcomes)
    found = [_candidate(COURSE_OUTCOME, o) for o in outcomes if o.id not in gone]
    found += [_candidate(PERFORMANCE, p) for p in performances]
    # Pickable first within each kind, so the cards worth tapping come on the first pages.
    found.sort(key=lambda c: (KINDS.index(c.kind), not c.pickable, c.semester, c.item_id))
    return found


def picked_count(session: Session, student_id: int, academic_year: int, kind: str) -> int:
    """Picks that count: picked items still in a pickable state."""
    model = model_of(kind)
    return int(
        session.scalar(
            select(func.count())
            .select_from(model)
            .where(
                model.student_id == student_id,
                model.academic_year == academic_year,
                model.picked_at.is_not(None),
                model.status == PICKABLE_STATUS[kind],
            )
        )
        or 0
    )


def confirmation(session: Session, student_id: int, academic_year: int) -> PickConfirmation | None:
    return session.scalars(
        select(PickConfirmation).where(
            PickConfirmation.student_id == student_id,
            PickConfirmation.academic_year == academic_year,
        )
    ).first()


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


# --- views for staff ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentProgress:
    student_id: int
    student_no: str
    name: str
    seat_no: int | None
    confirmed_at: datetime | None
    picked: dict[str, int]
    pickable: dict[str, int]


def class_progress(session: Session, class_id: int, academic_year: int) -> list[StudentProgress]:
    """Each student of a class: confirmed or not, and how many items picked of how many pickable."""
    students = session.scalars(
        select(Student)
        .where(Student.class_id == class_id, Student.sealed_at.is_(None))
        .order_by(Student.seat_no, Student.student_no)
    ).all()
    ids = [s.id for s in students]
    picked: dict[tuple[int, str], int] = {}
    pickable: dict[tuple[int, str], int] = {}
    for kind in KINDS if ids else ():
        model = model_of(kind)
        rows = session.execute(
            select(model.student_id, model.picked_at.is_not(None), func.count())
            .where(
                model.student_id.in_(ids),
                model.academic_year == academic_year,
                model.status == PICKABLE_STATUS[kind],
            )
            .group_by(model.student_id, model.picked_at.is_not(None))
        ).all()
        for student_id, is_picked, n in rows:
            pickable[(student_id, kind)] = pickable.get((student_id, kind), 0) + int(n)
            if is_picked:
                picked[(student_id, kind)] = int(n)
    confirmed: dict[int, datetime | None] = {}
    if ids:
        confirmed = dict(
            session.execute(
                select(PickConfirmation.student_id, PickConfirmation.confirmed_at).where(
                    PickConfirmation.student_id.in_(ids),
                    PickConfirmation.academic_year == academic_year,
                )
            ).all()
        )
    return [
        StudentProgress(
            student_id=s.id,
            student_no=s.student_no,
            name=s.name,
            seat_no=s.seat_no,
            confirmed_at=confirmed.get(s.id),
            picked={k: picked.get((s.id, k), 0) for k in KINDS},
            pickable={k: pickable.get((s.id, k), 0) for k in KINDS},
        )
        for s in students
    ]


def unconfirmed_with_picks(session: Session, academic_year: int, kind: str) -> list[Student]:
    """Students who picked items of this kind but never pressed 確認送出 (the export warns)."""
    model = model_of(kind)
    confirmed = select(PickConfirmation.student_id).where(
        PickConfirmation.academic_year == academic_year,
        PickConfirmation.confirmed_at.is_not(None),
    )
    return list(
        session.scalars(
            select(Student)
            .where(
                Student.id.in_(
                    select(model.student_id).where(
                        model.academic_year == academic_year,
                        model.picked_at.is_not(None),
                        model.status == PICKABLE_STATUS[kind],
                    )
                ),
                Student.id.not_in(confirmed),
            )
            .order_by(Student.student_no)
        )
    )


@dataclass(frozen=True)
class YearTotals:
    students: int
    confirmed: int
    picked: dict[str, int]


def year_totals(session: Session, academic_year: int) -> YearTotals:
    """School-wide: students in school, how many confirmed, how many items picked of each kind."""
    students = int(
        session.scalar(select(func.count()).select_from(Student).where(Student.sealed_at.is_(None)))
        or 0
    )
    confirmed = int(
        session.scalar(
            select(func.count())
            .select_from(PickConfirmation)
            .where(
                PickConfirmation.academic_year == academic_year,
                PickConfirmation.confirmed_at.is_not(None),
            )
        )
        or 0
    )
    picked = {}
    for kind in KINDS:
        model = model_of(kind)
        picked[kind] = int(
            session.scalar(
                select(func.count())
                .select_from(model)
                .where(
                    model.academic_year == academic_year,
                    model.picked_at.is_not(None),
                    model.status == PICKABLE_STATUS[kind],
                )
            )
            or 0
        )
    return YearTotals(students, confirmed, picked)
