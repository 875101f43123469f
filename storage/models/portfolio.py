"""The portfolio itself: stored files, course learning outcomes, diverse performances, audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import Base, UtcDateTime
from storage.models.school import Course, Staff, Student

# Item states (課程學習成果). Performances use DRAFT, SUBMITTED and WITHDRAWN.
DRAFT = "draft"
PENDING = "pending"  # 待認證
CERTIFIED = "certified"  # 已認證
REJECTED = "rejected"  # 退回
WITHDRAWN = "withdrawn"  # 撤回
SUBMITTED = "submitted"  # a 多元表現 saved by the student (self-registered; not certified)


class FileRecord(Base):
    """A file the product holds: content-addressed bytes in the FileStore plus what they are."""

    __tablename__ = "files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(64))  # application/pdf, image/jpeg, video/mp4 ...
    kind: Mapped[str] = mapped_column(String(16))  # document | av
    # Shown to people only; never part of a path.
    display_name: Mapped[Optional[str]] = mapped_column(String(120))
    student_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("students.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CourseOutcome(Base):
    """課程學習成果: one work for one course, certified (or not) by the course's certifier."""

    __tablename__ = "course_outcomes"
    __table_args__ = (
        Index("ix_outcomes_student_term", "student_id", "academic_year", "semester", "status"),
        Index("ix_outcomes_certifier_status", "certifier_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    # The term the work belongs to, kept on the item so counts stay right after class changes.
    academic_year: Mapped[int] = mapped_column(Integer)
    semester: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(400), default="")
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    document_file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("files.id"))
    video_file_id: Mapped[Optional[int]] = mapped_column(ForeignKey("files.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    # Who must certify now (resolved through the proxy chain at submission and on changes).
    certifier_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id"))
    certifier_capacity: Mapped[Optional[str]] = mapped_column(String(16))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id"))
    decided_capacity: Mapped[Optional[str]] = mapped_column(String(16))
    reject_reason: Mapped[Optional[str]] = mapped_column(String(200))
    # A replacement after a rejection points at the rejected item.
    replaces_id: Mapped[Optional[int]] = mapped_column(ForeignKey("course_outcomes.id"))
    # Set when the student told of the decision (next reply or digest) so nobody is told twice.
    decision_told_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    picked_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    # Certification bookkeeping (school/certification.py). The version changes whenever the
    # certifier or the state does, so a signed button made for an older version acts on nothing.
    certify_version: Mapped[int] = mapped_column(Integer, default=0)
    # The lowest link of the proxy chain that may hold the item (raised by escalation).
    chain_floor: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    # When the current certifier last saw it (a push or their 待認證 list); None: new to them.
    certifier_told_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())

    student: Mapped[Student] = relationship(foreign_keys=[student_id])
    course: Mapped[Course] = relationship()
    certifier: Mapped[Optional[Staff]] = relationship(foreign_keys=[certifier_id])
    decided_by: Mapped[Optional[Staff]] = relationship(foreign_keys=[decided_by_id])
    document: Mapped[Optional[FileRecord]] = relationship(foreign_keys=[document_file_id])
    video: Mapped[Optional[FileRecord]] = relationship(foreign_keys=[video_file_id])


class Performance(Base):
    """多元表現: self-registered with proof; its record type decides its fields."""

    __tablename__ = "performances"
    __table_args__ = (
        Index("ix_performances_student_term", "student_id", "academic_year", "semester", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    academic_year: Mapped[int] = mapped_column(Integer)
    semester: Mapped[int] = mapped_column(Integer)
    # cadre, competition, certificate, service, flexible, group_activity, workplace, works,
    # university_course, other (the central database's record types)
    record_type: Mapped[str] = mapped_column(String(24))
    fields: Mapped[dict[str, Any]]
    summary: Mapped[str] = mapped_column(String(400), default="")
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    picked_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    # Entered by staff (e.g. 訓育組 cadre records) rather than by the student.
    entered_by_staff: Mapped[bool] = mapped_column(default=False)
    # A draft that edits this saved 多元表現: the saved one stays as it was until the edit is saved.
    edits_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("performances.id", ondelete="CASCADE")
    )

    student: Mapped[Student] = relationship()
    proofs: Mapped[list[PerformanceFile]] = relationship(
        back_populates="performance",
        cascade="all, delete-orphan",
        order_by="PerformanceFile.position",
    )


class PerformanceFile(Base):
    __tablename__ = "performance_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    performance_id: Mapped[int] = mapped_column(ForeignKey("performances.id", ondelete="CASCADE"))
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    performance: Mapped[Performance] = relationship(back_populates="proofs")
    file: Mapped[FileRecord] = relationship()


class DraftPage(Base):
    """A photo or file received for a draft, waiting to be combined (photos → one PDF, in order)."""

    __tablename__ = "draft_pages"
    __table_args__ = (Index("ix_draft_pages_owner", "line_user_id", "draft_kind", "draft_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64))
    draft_kind: Mapped[str] = mapped_column(String(16))  # outcome | performance
    draft_id: Mapped[int] = mapped_column(Integer)
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    # LINE's imageSet index when photos came together, else the arrival order.
    position: Mapped[int] = mapped_column(Integer)
    image_set_id: Mapped[Optional[str]] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())

    file: Mapped[FileRecord] = relationship()


class AuditEntry(Base):
    """Append-only: submissions, decisions, withdrawals, reassignments. Never updated or deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_item", "item_kind", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    action: Mapped[str] = mapped_column(String(24))
    item_kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(Integer)
    student_id: Mapped[Optional[int]] = mapped_column(Integer)
    actor_staff_id: Mapped[Optional[int]] = mapped_column(Integer)
    actor_student_id: Mapped[Optional[int]] = mapped_column(Integer)
    capacity: Mapped[Optional[str]] = mapped_column(String(16))
    detail: Mapped[Optional[str]] = mapped_column(Text)
