"""Tables for the office's work in the console: exceptions for one student, long jobs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base, UtcDateTime

# What a StudentException reopens.
EXC_UPLOAD = "upload"  # 課程學習成果 upload
EXC_PERFORMANCE = "performance_upload"  # 多元表現 upload
EXC_CERTIFICATION = "certification"  # the teacher may still certify the student's items
EXCEPTION_KINDS = (EXC_UPLOAD, EXC_PERFORMANCE, EXC_CERTIFICATION)

# States of a ConsoleJob.
QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"


class StudentException(Base):
    """A window reopened for one student (or one of their items) until a day, with a reason.

    The row is its own audit record: who granted it, when, why; revoking keeps the row."""

    __tablename__ = "student_exceptions"
    __table_args__ = (Index("ix_student_exceptions_student", "student_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    # One course outcome only; None = every item of that kind for the student.
    outcome_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_outcomes.id", ondelete="CASCADE")
    )
    academic_year: Mapped[int] = mapped_column(Integer)
    semester: Mapped[int] = mapped_column(Integer)
    until: Mapped[date] = mapped_column(Date)  # last day it is open, Taipei, whole
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))


class ConsoleJob(Base):
    """A long operation (an export, a backup) started by a person, with progress and result."""

    __tablename__ = "console_jobs"
    __table_args__ = (Index("ix_console_jobs_staff", "staff_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(12), default=QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    # A file under the storage dir's jobs/ folder, served only to the person who started it.
    result_path: Mapped[str | None] = mapped_column(String(500))
    result_name: Mapped[str | None] = mapped_column(String(200))
    # What the person sees when it ends: a summary or the problems found.
    message: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class EventAttendance(Base):
    """Who came to a training, workshop or briefing, as the office running it marked them."""

    __tablename__ = "event_attendance"
    __table_args__ = (UniqueConstraint("event_id", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("school_events.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(32))  # "student:12", "staff:3", "guardian:5"
    attended: Mapped[bool] = mapped_column()
    marked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
