"""The grade-12 documents (自傳, 學習計畫) students write in the chat, and the comments that
homeroom teachers and the counselling office leave on them.

Every function takes the caller's session; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from school.records import RecordError
from storage.clock import taipei_date
from storage.models.records import DocumentComment, StudentDocument
from storage.models.school import SchoolClass, Staff, Student

COUNSELLING_ROLE: Final = "輔導室"
AUTOBIOGRAPHY: Final = "autobiography"
STUDY_PLAN: Final = "study_plan"
DOCUMENTS: Final = (AUTOBIOGRAPHY, STUDY_PLAN)
# 學習計畫's parts (DOMAIN §2: career plan, expectations, strengths, interests).
PLAN_SECTIONS: Final = ("career_plan", "expectations", "strengths", "interests")
SECTIONS: Final = (AUTOBIOGRAPHY, *PLAN_SECTIONS)
SECTION_LIMITS: Final = {AUTOBIOGRAPHY: 5000, **{s: 1500 for s in PLAN_SECTIONS}}
COMMENT_LIMIT: Final = 500
# The roster's grade of students who write them (高三 = rules grade 12).
DOCUMENT_GRADE: Final = 3


def document_of(section: str) -> str:
    return AUTOBIOGRAPHY if section == AUTOBIOGRAPHY else STUDY_PLAN


def sections_of_document(document: str) -> tuple[str, ...]:
    return (AUTOBIOGRAPHY,) if document == AUTOBIOGRAPHY else PLAN_SECTIONS


def writes_documents(student: Student) -> bool:
    return student.grade == DOCUMENT_GRADE


def document_sections(session: Session, student_id: int) -> dict[str, StudentDocument]:
    return {
        d.section: d
        for d in session.scalars(
            select(StudentDocument).where(StudentDocument.student_id == student_id)
        )
    }


def section_text(session: Session, student_id: int, section: str) -> str:
    found = document_sections(session, student_id).get(section)
    return found.body if found is not None else ""


def append_text(
    session: Session, student_id: int, section: str, words: str, now: datetime
) -> StudentDocument:
    """Add one message to a section (a new paragraph); RecordError('too_long') past its limit."""
    if section not in SECTIONS:
        raise RecordError("section")
    words = words.strip()
    if not words:
        raise RecordError("empty")
    row = document_sections(session, student_id).get(section)
    current = row.body if row is not None else ""
    joined = f"{current}\n{words}" if current else words
    limit = SECTION_LIMITS[section]
    if len(joined) > limit:
        raise RecordError("too_long", limit=limit, now=len(current), adding=len(words))
    if row is None:
        row = StudentDocument(student_id=student_id, section=section, body="")
        session.add(row)
    row.body = joined
    row.updated_at = now
    session.flush()
    return row


def clear_section(session: Session, student_id: int, section: str, now: datetime) -> None:
    row = document_sections(session, student_id).get(section)
    if row is not None:
        row.body = ""
        row.updated_at = now
        session.flush()


def may_review(session: Session, staff: Staff, student: Student) -> bool:
    """Homeroom teachers see their own class's documents; the counselling office sees all.
    A sealed (graduated) student's documents are the counselling office's alone."""
    if COUNSELLING_ROLE in staff.role_names:
        return True
    if student.class_id is None or student.sealed_at is not None:
        return False
    found = session.scalar(
        select(func.count())
        .select_from(SchoolClass)
        .where(SchoolClass.id == student.class_id, SchoolClass.homeroom_teacher_id == staff.id)
    )
    return bool(found)


def reviewable_classes(session: Session, staff: Staff) -> list[SchoolClass]:
    """Grade-12 classes whose documents this person may read."""
    query = select(SchoolClass).where(SchoolClass.grade == DOCUMENT_GRADE)
    if COUNSELLING_ROLE not in staff.role_names:
        query = query.where(SchoolClass.homeroom_teacher_id == staff.id)
    return list(session.scalars(query.order_by(SchoolClass.code)))


def add_comment(
    session: Session, staff: Staff, student: Student, document: str, words: str, now: datetime
) -> DocumentComment:
    if not may_review(session, staff, student):
        raise RecordError("not_reviewer")
    if document not in DOCUMENTS:
        raise RecordError("document")
    words = words.strip()
    if not words:
        raise RecordError("empty")
    if len(words) > COMMENT_LIMIT:
        raise RecordError("comment_too_long", limit=COMMENT_LIMIT, n=len(words))
    comment = DocumentComment(
        student_id=student.id, document=document, author_id=staff.id, body=words, created_at=now
    )
    session.add(comment)
    session.flush()
    return comment


def comments_on(
    session: Session, student_id: int, documents: Iterable[str] = DOCUMENTS, limit: int = 10
) -> list[DocumentComment]:
    """The newest comments first."""
    return list(
        session.scalars(
            select(DocumentComment)
            .options(selectinload(DocumentComment.author))
            .where(
                DocumentComment.student_id == student_id,
                DocumentComment.document.in_(list(documents)),
            )
            .order_by(DocumentComment.created_at.desc(), DocumentComment.id.desc())
            .limit(limit)
        )
    )


def untold_comments(session: Session, student_id: int) -> list[DocumentComment]:
    return list(
        session.scalars(
            select(DocumentComment)
            .options(selectinload(DocumentComment.author))
            .where(DocumentComment.student_id == student_id, DocumentComment.told_at.is_(None))
            .order_by(DocumentComment.created_at, DocumentComment.id)
        )
    )


def mark_told(comments: Sequence[DocumentComment], now: datetime) -> None:
    for comment in comments:
        comment.told_at = now


def last_written(rows: dict[str, StudentDocument]) -> date | None:
    stamps = [r.updated_at for r in rows.values() if r.body]
    return taipei_date(max(stamps)) if stamps else None
