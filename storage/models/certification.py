"""Tables for certification: who is away, who took over, conveners, what certifiers were told."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import Base, UtcDateTime
from storage.models.school import Course, Staff

# Absence kinds: on leave for a while (留職停薪, 病假 ...) or gone for good (離職, 調校).
LEAVE = "leave"
LEFT = "left"
ABSENCE_KINDS = (LEAVE, LEFT)


class TeacherAbsence(Base):
    """A teacher who cannot certify between two dates; items pass to the next link of rule 七."""

    __tablename__ = "teacher_absences"
    __table_args__ = (Index("ix_teacher_absences_staff", "staff_id", "starts_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    starts_on: Mapped[date] = mapped_column(Date)
    # None: open-ended (always so for a teacher who left).
    ends_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Kept, not deleted, so the audit trail can say why an item moved.
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    staff: Mapped[Staff] = relationship()

    def covers(self, day: date) -> bool:
        return (
            self.cancelled_at is None
            and self.starts_on <= day
            and (self.ends_on is None or day <= self.ends_on)
        )


class CourseSuccessor(Base):
    """The teacher who took over a course's class (接任教師): the second link of the chain."""

    __tablename__ = "course_successors"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), unique=True
    )
    successor_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    course: Mapped[Course] = relationship()
    successor: Mapped[Staff] = relationship()


class SubjectConvener(Base):
    """科召集人 of a subject (科別 or 科目 name) and the teacher they name to certify for them."""

    __tablename__ = "subject_conveners"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), unique=True)
    convener_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    designee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    convener: Mapped[Staff] = relationship(foreign_keys=[convener_id])
    designee: Mapped[Staff | None] = relationship(foreign_keys=[designee_id])


class CertificationPush(Base):
    """One certification push to one certifier on one Taipei day: the unique row keeps it to one."""

    __tablename__ = "certification_pushes"
    __table_args__ = (UniqueConstraint("staff_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    pending: Mapped[int] = mapped_column(Integer, default=0)
    new_items: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[int] = mapped_column(Integer, default=0)


class CertifierNote(Base):
    """Something a certifier must hear in their next digest (items escalated to or from them)."""

    __tablename__ = "certifier_notes"
    __table_args__ = (Index("ix_certifier_notes_staff_told", "staff_id", "told_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(24))  # escalated_in | escalated_out
    count: Mapped[int] = mapped_column(Integer, default=0)
    other_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    academic_year: Mapped[int] = mapped_column(Integer)
    semester: Mapped[int] = mapped_column(Integer)
    told_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    other: Mapped[Staff | None] = relationship(foreign_keys=[other_staff_id])


class ClassReminder(Base):
    """A homeroom teacher's reminder to students who uploaded nothing: one per class a day."""

    __tablename__ = "class_reminders"
    __table_args__ = (UniqueConstraint("class_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    day: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recipients: Mapped[int] = mapped_column(Integer, default=0)
