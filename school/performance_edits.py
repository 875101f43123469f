"""Editing a saved 多元表現 (附表二 六: students record and edit them all the school year).

An edit is a draft copy of the saved item (Performance.edits_id names it): the student changes
the copy's fields, 內容簡述 and proof at leisure, and the saved item stays exactly as it was
until the edit is saved. Saving writes the copy onto the saved item in place (same id, same
semester, so the same slot of the per-semester and per-year caps) with an audit entry that
keeps what it said before, and drops the copy. Nobody certifies a 多元表現, so there is no
decision to undo; once it is picked for the central database it no longer changes.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.model import PERFORMANCE
from rules.school_rules import SchoolRules
from school.draft_files import PERFORMANCE_DRAFT, clear_pages
from school.items import ItemError, Submitted, lock_student, term_of
from school.performances import own_performance
from school.terms import check_window_for
from storage.clock import academic_year_of, taipei_date
from storage.models.portfolio import DRAFT, SUBMITTED, AuditEntry, Performance, PerformanceFile
from storage.models.school import Student


def edit_draft_of(session: Session, performance_id: int) -> Performance | None:
    """The open edit of a saved 多元表現, if the student started one."""
    return session.scalars(
        select(Performance)
        .where(Performance.edits_id == performance_id, Performance.status == DRAFT)
        .order_by(Performance.id.desc())
    ).first()


def _editable(session: Session, rules: SchoolRules, performance: Performance, now: datetime) -> str:
    """ "" when the student may change this saved item now, else why not."""
    if performance.entered_by_staff:
        return "staff"
    if performance.status != SUBMITTED:
        return performance.status
    if performance.picked_at is not None:
        return "picked"
    if academic_year_of(taipei_date(now)) == performance.academic_year:
        return ""
    # After its school year only where the office opened a window or an exception for it.
    student = session.get(Student, performance.student_id)
    window = check_window_for(
        session,
        rules,
        PERFORMANCE,
        term_of(performance),
        performance.student_id,
        student.grade if student else None,
        now,
    )
    return "" if window.open else "year_over"


def check_editable(
    session: Session, rules: SchoolRules, student_id: int, performance_id: int, now: datetime
) -> Performance:
    """The saved 多元表現 a student may edit now; ItemError (with the reason) otherwise."""
    performance = own_performance(session, student_id, performance_id)
    if performance is None:
        raise ItemError("not_found")
    reason = _editable(session, rules, performance, now)
    if reason:
        raise ItemError(reason)
    return performance


def open_edit(
    session: Session, rules: SchoolRules, student_id: int, performance_id: int, now: datetime
) -> Performance:
    """The edit draft of a saved 多元表現: the one already open, or a new copy of it."""
    lock_student(session, student_id)
    original = check_editable(session, rules, student_id, performance_id, now)
    found = edit_draft_of(session, original.id)
    if found is not None:
        return found
    copy = Performance(
        student_id=original.student_id,
        academic_year=original.academic_year,
        semester=original.semester,
        record_type=original.record_type,
        fields=dict(original.fields),
        summary=original.summary,
        status=DRAFT,
        created_at=now,
        edits_id=original.id,
    )
    for proof in original.proofs:
        copy.proofs.append(PerformanceFile(file_id=proof.file_id, position=proof.position))
    session.add(copy)
    session.flush()
    return copy


def _snapshot(performance: Performance) -> str:
    return json.dumps(
        {
            "record_type": performance.record_type,
            "fields": performance.fields,
            "summary": performance.summary,
            "proofs": [p.file_id for p in performance.proofs],
        },
        ensure_ascii=False,
    )


def save_edit(session: Session, rules: SchoolRules, draft_id: int, now: datetime) -> Submitted:
    """Write an edit draft onto the saved 多元表現 it edits; the draft goes.

    reason: "not_draft" (already saved or gone), "no_summary", or why the saved item may no
    longer change ("picked", "withdrawn", "year_over", ...); the draft is kept then."""
    draft = session.get(Performance, draft_id)
    if draft is None or draft.edits_id is None:
        return Submitted(False, "not_draft")
    lock_student(session, draft.student_id)
    session.refresh(draft)
    if draft.status != DRAFT:
        return Submitted(False, "not_draft")
    if not draft.summary.strip():
        return Submitted(False, "no_summary")
    original = session.get(
        Performance, draft.edits_id, with_for_update=True, populate_existing=True
    )
    if original is None:
        return Submitted(False, "not_draft")
    reason = _editable(session, rules, original, now)
    if reason:
        return Submitted(False, reason)
    session.add(
        AuditEntry(
            at=now,
            action="edit",
            item_kind="performance",
            item_id=original.id,
            student_id=original.student_id,
            actor_student_id=original.student_id,
            detail=_snapshot(original),
        )
    )
    original.record_type = draft.record_type
    original.fields = dict(draft.fields)
    original.summary = draft.summary
    original.proofs.clear()
    session.flush()
    for proof in draft.proofs:
        original.proofs.append(PerformanceFile(file_id=proof.file_id, position=proof.position))
    clear_pages(session, PERFORMANCE_DRAFT, draft.id)
    session.delete(draft)
    session.flush()
    return Submitted(True)
