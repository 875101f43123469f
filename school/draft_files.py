"""A draft's files: stored file rows, and photos waiting to become one PDF."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models.portfolio import (
    DraftPage,
    FileRecord,
)

OUTCOME_DRAFT = "outcome"
PERFORMANCE_DRAFT = "performance"
DraftKind = Literal["outcome", "performance"]

# DraftPage.position = group * PAGE_GROUP + index: photos of one LINE imageSet share a group
# (and keep LINE's index inside it, whatever order their events arrive in); a photo sent on its
# own starts a new group. Sets are far smaller than this.
PAGE_GROUP = 1000


def new_file_record(
    session: Session,
    stored_sha256: str,
    size: int,
    mime: str,
    kind: str,
    student_id: int | None,
    now: datetime,
    display_name: str | None = None,
) -> FileRecord:
    record = FileRecord(
        sha256=stored_sha256,
        size=size,
        mime=mime,
        kind=kind,
        student_id=student_id,
        created_at=now,
        display_name=display_name,
    )
    session.add(record)
    session.flush()
    return record


# --- pages (photos waiting to become one PDF) -------------------------------------------------


def pages(session: Session, draft_kind: str, draft_id: int) -> list[DraftPage]:
    return list(
        session.scalars(
            select(DraftPage)
            .where(DraftPage.draft_kind == draft_kind, DraftPage.draft_id == draft_id)
            .order_by(DraftPage.position, DraftPage.id)
        )
    )


def page_count(session: Session, draft_kind: str, draft_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(DraftPage)
            .where(DraftPage.draft_kind == draft_kind, DraftPage.draft_id == draft_id)
        )
        or 0
    )


def add_page(
    session: Session,
    line_user_id: str,
    draft_kind: str,
    draft_id: int,
    record: FileRecord,
    now: datetime,
    image_set: tuple[str, int] | None = None,
) -> DraftPage:
    """Keep a photo for the draft, in the order the student meant: LINE's imageSet index inside
    a set (events of a set may arrive in any order), arrival order otherwise."""
    existing = pages(session, draft_kind, draft_id)
    group: int | None = None
    index = 0
    if image_set is not None:
        set_id, index = image_set
        for page in existing:
            if page.image_set_id == set_id:
                group = page.position // PAGE_GROUP
                break
    if group is None:
        group = max((p.position // PAGE_GROUP for p in existing), default=0) + 1
    page = DraftPage(
        line_user_id=line_user_id,
        draft_kind=draft_kind,
        draft_id=draft_id,
        file_id=record.id,
        position=group * PAGE_GROUP + max(0, min(index, PAGE_GROUP - 1)),
        image_set_id=image_set[0] if image_set else None,
        received_at=now,
    )
    session.add(page)
    session.flush()
    return page


def set_pages_received(session: Session, draft_kind: str, draft_id: int, set_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(DraftPage)
            .where(
                DraftPage.draft_kind == draft_kind,
                DraftPage.draft_id == draft_id,
                DraftPage.image_set_id == set_id,
            )
        )
        or 0
    )


def clear_pages(session: Session, draft_kind: str, draft_id: int) -> int:
    result = session.execute(
        delete(DraftPage).where(DraftPage.draft_kind == draft_kind, DraftPage.draft_id == draft_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)
