"""What a student may pick: the year's items as cards, their references (C12, P7), pick counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from rules.model import COURSE_OUTCOME, PERFORMANCE
from school import item_counts
from storage.models.picking import PickConfirmation
from storage.models.portfolio import (
    CERTIFIED,
    DRAFT,
    PENDING,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    CourseOutcome,
    Performance,
    PerformanceFile,
)

KINDS: Final = (COURSE_OUTCOME, PERFORMANCE)
# Item references as the student's buttons, the export and the receipt list write them.
REF_PREFIX: Final = {COURSE_OUTCOME: "C", PERFORMANCE: "P"}
# The statuses that may be picked (and exported): certified work, self-registered performances.
PICKABLE_STATUS: Final = {COURSE_OUTCOME: CERTIFIED, PERFORMANCE: SUBMITTED}

Item = CourseOutcome | Performance


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


# Performance fields that name the record on a card, most telling first (school/central_format.py).
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
            Performance.edits_id.is_(None),  # an open edit is its saved item's, not a card
        )
        .order_by(Performance.semester, Performance.id)
    ).all()
    # A rejected item the student re-uploaded lives on as its replacement (item_counts.py's one
    # definition of an item's current state): only the replacement is a card.
    gone = item_counts.superseded_ids(outcomes)
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
