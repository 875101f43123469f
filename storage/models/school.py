"""The school's structure: terms, classes, people, courses and enrolments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.crypto import EncryptedString
from storage.db import Base, UtcDateTime


class Term(Base):
    """A semester of an academic year (學年度, Minguo numbering)."""

    __tablename__ = "terms"
    __table_args__ = (UniqueConstraint("academic_year", "semester"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year: Mapped[int] = mapped_column(Integer)
    semester: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[Optional[date]] = mapped_column(Date)
    ends_on: Mapped[Optional[date]] = mapped_column(Date)

    @property
    def label(self) -> str:
        return f"{self.academic_year}-{self.semester}"


class SchoolClass(Base):
    __tablename__ = "classes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    grade: Mapped[int] = mapped_column(Integer)
    homeroom_teacher_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id"))

    homeroom_teacher: Mapped[Optional[Staff]] = relationship(foreign_keys=[homeroom_teacher_id])


class Student(Base):
    __tablename__ = "students"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_no: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    # Encrypted at rest; national_id_hash finds duplicates without decrypting.
    national_id: Mapped[Optional[str]] = mapped_column(EncryptedString(512))
    national_id_hash: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    birth_date: Mapped[Optional[date]] = mapped_column(Date)
    grade: Mapped[int] = mapped_column(Integer)
    class_id: Mapped[Optional[int]] = mapped_column(ForeignKey("classes.id"))
    seat_no: Mapped[Optional[int]] = mapped_column(Integer)
    entry_year: Mapped[Optional[int]] = mapped_column(Integer)
    # 在學, 轉出, 休學, 畢業 ... as the registrar's system says.
    status: Mapped[str] = mapped_column(String(16), default="在學")
    graduated_on: Mapped[Optional[date]] = mapped_column(Date)
    sealed_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())

    school_class: Mapped[Optional[SchoolClass]] = relationship()

    @property
    def class_seat(self) -> str:
        code = self.school_class.code if self.school_class else "—"
        seat = f"{self.seat_no:02d}" if self.seat_no is not None else "—"
        return f"{code}-{seat}"


class StudentClassHistory(Base):
    """Every class a student sat in, so a class change never orphans earlier work (rule 五)."""

    __tablename__ = "student_class_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id"))
    seat_no: Mapped[Optional[int]] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[Optional[str]] = mapped_column(String(32))


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_no: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    subject: Mapped[Optional[str]] = mapped_column(String(32))

    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}


class StaffRole(Base):
    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("staff_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))

    staff: Mapped[Staff] = relationship(back_populates="roles")


class Guardian(Base):
    __tablename__ = "guardians"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[Optional[str]] = mapped_column(EncryptedString(512))
    # Keyed hash of the phone: the roster import finds a parent of siblings (same name and
    # phone) without decrypting, so one guardian (and one LINE binding) covers every child.
    phone_hash: Mapped[Optional[str]] = mapped_column(String(64), index=True)


class GuardianLink(Base):
    """A guardian of one student; a parent of two children has two links."""

    __tablename__ = "guardian_links"
    __table_args__ = (UniqueConstraint("guardian_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("guardians.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    relation: Mapped[Optional[str]] = mapped_column(String(16))

    guardian: Mapped[Guardian] = relationship()
    student: Mapped[Student] = relationship()


class Course(Base):
    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("term_id", "code", "class_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("terms.id"))
    code: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    class_id: Mapped[Optional[int]] = mapped_column(ForeignKey("classes.id"))
    teacher_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff.id"))

    term: Mapped[Term] = relationship()
    school_class: Mapped[Optional[SchoolClass]] = relationship()
    teacher: Mapped[Optional[Staff]] = relationship()


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("student_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))

    student: Mapped[Student] = relationship()
    course: Mapped[Course] = relationship()
