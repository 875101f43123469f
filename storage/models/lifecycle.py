"""Tables for a student's life at school: standing changes, daily runs, deletion reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base, UtcDateTime

# Kinds of StudentChange (rule 五 and rule 九).
TRANSFER_IN = "transfer_in"  # 轉入
TRANSFER_OUT = "transfer_out"  # 轉出
REPEAT = "repeat"  # 重讀
REENROL = "reenrol"  # 復學
RENUMBER = "renumber"  # 改學號
GRADUATE = "graduate"  # 畢業
GRADUATE_CANCELLED = "graduate_cancelled"
SEAL = "seal"  # 封存
CHANGE_KINDS = (
    TRANSFER_IN,
    TRANSFER_OUT,
    REPEAT,
    REENROL,
    RENUMBER,
    GRADUATE,
    GRADUATE_CANCELLED,
    SEAL,
)

# Kinds of LifecycleRun.
DAILY = "daily"
BACKUP = "backup"


class StudentChange(Base):
    """One change of a student's standing; the student's items are never touched by it (rule 五)."""

    __tablename__ = "student_changes"
    __table_args__ = (Index("ix_student_changes_student", "student_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    effective_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64), default="")
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    from_class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="SET NULL"))
    to_class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id", ondelete="SET NULL"))
    from_grade: Mapped[int | None] = mapped_column(Integer)
    to_grade: Mapped[int | None] = mapped_column(Integer)
    from_seat: Mapped[int | None] = mapped_column(Integer)
    to_seat: Mapped[int | None] = mapped_column(Integer)
    old_student_no: Mapped[str | None] = mapped_column(String(20))
    new_student_no: Mapped[str | None] = mapped_column(String(20))
    # The other school of a transfer, or why; shown to staff only.
    note: Mapped[str | None] = mapped_column(String(200))
    # Machine detail, e.g. the guardians whose link ended at sealing (deleted with the student).
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class LifecycleRun(Base):
    """Lifecycle work claimed for one Taipei day (the daily sealing, the nightly backup)."""

    __tablename__ = "lifecycle_runs"
    __table_args__ = (UniqueConstraint("kind", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class RetentionDeletion(Base):
    """The deletion report of rule 九: who, what, when; nothing personal beyond the 學號."""

    __tablename__ = "retention_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_no: Mapped[str] = mapped_column(String(20))
    graduated_on: Mapped[date] = mapped_column(Date)
    sealed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    retention_end: Mapped[date] = mapped_column(Date)
    deleted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Rows deleted per table, e.g. {"course_outcomes": 6, "performances": 11, "files": 9}.
    rows: Mapped[dict[str, Any]] = mapped_column(default=dict)
    files: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    # Digests whose bytes still have to leave the store; emptied once they have (crash-safe:
    # the rows are deleted in one transaction, the bytes after it commits).
    pending_digests: Mapped[list[Any]] = mapped_column(default=list)
    files_removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    files_removed: Mapped[int] = mapped_column(Integer, default=0)
