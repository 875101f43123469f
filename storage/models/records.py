"""Tables for the school's own records: course consultations, attendance, grade-12 documents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import Base, UtcDateTime
from storage.models.portfolio import FileRecord
from storage.models.school import SchoolClass, Staff, Student

# Consultation kinds (課程諮詢 is held with a group or with one student).
GROUP = "group"
INDIVIDUAL = "individual"


class ConsultantAssignment(Base):
    """Which students a 課程諮詢教師 advises: one class, or a whole grade (exactly one is set)."""

    __tablename__ = "consultant_assignments"
    __table_args__ = (
        UniqueConstraint("staff_id", "class_id"),
        UniqueConstraint("staff_id", "grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    class_id: Mapped[Optional[int]] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"))
    # Roster grade (1-3), as Student.grade and SchoolClass.grade keep it.
    grade: Mapped[Optional[int]] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    staff: Mapped[Staff] = relationship()
    school_class: Mapped[Optional[SchoolClass]] = relationship()


class Consultation(Base):
    """課程諮詢紀錄: one consultation (group or individual); kept at school, not sent centrally."""

    __tablename__ = "consultations"
    __table_args__ = (
        Index("ix_consultations_year", "academic_year", "semester"),
        Index("ix_consultations_consultant", "consultant_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultant_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    kind: Mapped[str] = mapped_column(String(16))  # group | individual
    # The class when the whole class took part (the students are listed either way).
    class_id: Mapped[Optional[int]] = mapped_column(ForeignKey("classes.id", ondelete="SET NULL"))
    academic_year: Mapped[int] = mapped_column(Integer)
    semester: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    place: Mapped[str] = mapped_column(String(100))
    # 諮詢內容與建議; the flow keeps it to 150 characters.
    content: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())

    consultant: Mapped[Staff] = relationship()
    school_class: Mapped[Optional[SchoolClass]] = relationship()
    participants: Mapped[list[ConsultationStudent]] = relationship(
        back_populates="consultation",
        cascade="all, delete-orphan",
        order_by="ConsultationStudent.id",
    )
    attachments: Mapped[list[ConsultationFile]] = relationship(
        back_populates="consultation",
        cascade="all, delete-orphan",
        order_by="ConsultationFile.position",
    )


class ConsultationStudent(Base):
    __tablename__ = "consultation_students"
    __table_args__ = (UniqueConstraint("consultation_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(
        ForeignKey("students.id", ondelete="CASCADE"), index=True
    )

    consultation: Mapped[Consultation] = relationship(back_populates="participants")
    student: Mapped[Student] = relationship()


class ConsultationFile(Base):
    """An attachment (slides, a photo of the whiteboard) kept with the record."""

    __tablename__ = "consultation_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    file_id: Mapped[int] = mapped_column(ForeignKey("files.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    consultation: Mapped[Consultation] = relationship(back_populates="attachments")
    file: Mapped[FileRecord] = relationship()


class AttendanceRecord(Base):
    """缺曠 entered by 生輔組: kept at school, never exported to the central database."""

    __tablename__ = "attendance_records"
    __table_args__ = (
        UniqueConstraint("student_id", "day", "period"),
        Index("ix_attendance_term", "academic_year", "semester"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    academic_year: Mapped[int] = mapped_column(Integer)
    semester: Mapped[int] = mapped_column(Integer)
    day: Mapped[date] = mapped_column(Date)
    period: Mapped[str] = mapped_column(String(8))  # 節次: 1..9, 早自習, 午休 ...
    leave_type: Mapped[str] = mapped_column(String(16))  # 假別: 事假, 病假, 曠課 ...
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime())


class StudentDocument(Base):
    """One section of a grade-12 document (自傳, or a part of 學習計畫): the student's draft."""

    __tablename__ = "student_documents"
    __table_args__ = (UniqueConstraint("student_id", "section"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    # autobiography | career_plan | expectations | strengths | interests
    section: Mapped[str] = mapped_column(String(24))
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DocumentComment(Base):
    """A homeroom teacher's or counsellor's comment on a student's 自傳 or 學習計畫."""

    __tablename__ = "document_comments"
    __table_args__ = (Index("ix_document_comments_student", "student_id", "document"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    document: Mapped[str] = mapped_column(String(16))  # autobiography | study_plan
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # When the student was told (on their next reply); None: not yet.
    told_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())

    author: Mapped[Staff] = relationship()
