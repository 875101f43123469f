"""Year-end picking: students' confirmations, the exports made, the central receipt lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.db import Base, UtcDateTime
from storage.models.school import Student

# A student's answer to one received item (收訖明細).
ANSWER_CORRECT = "correct"  # 正確
ANSWER_WRONG = "wrong"  # 有誤


class PickConfirmation(Base):
    """確認送出 of one student's picks for one academic year; reopened picks clear confirmed_at."""

    __tablename__ = "pick_confirmations"
    __table_args__ = (UniqueConstraint("student_id", "academic_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    academic_year: Mapped[int] = mapped_column(Integer)
    confirmed_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    reopened_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    # What the student saw and confirmed ("C12", "P7" ...), kept so a later dispute has an answer.
    confirmed_refs: Mapped[list[Any]] = mapped_column(default=list)

    student: Mapped[Student] = relationship()


class ExportRun(Base):
    """One zip written for the central database: what went into it and its checksum."""

    __tablename__ = "export_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year: Mapped[int] = mapped_column(Integer)
    item_kind: Mapped[str] = mapped_column(String(16))  # course_outcome | performance
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    students: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(Integer)
    files: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReceiptList(Base):
    """A 收訖明細 returned by the central database, as imported by staff."""

    __tablename__ = "receipt_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    academic_year: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(200))
    # The same file imported twice is refused by its checksum.
    source_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Students answer until this instant (at least three whole days after the import).
    respond_until: Mapped[datetime] = mapped_column(UtcDateTime())

    items: Mapped[list[ReceiptItem]] = relationship(
        back_populates="receipt_list", cascade="all, delete-orphan", order_by="ReceiptItem.id"
    )


class ReceiptItem(Base):
    """One received item of one student, and the student's answer: 正確, or 有誤 with a note."""

    __tablename__ = "receipt_items"
    __table_args__ = (
        Index("ix_receipt_items_student", "student_id", "answer"),
        Index("ix_receipt_items_item", "item_kind", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("receipt_lists.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"))
    item_kind: Mapped[str] = mapped_column(String(16))  # course_outcome | performance
    item_id: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(32))  # C12 / P7, as the export wrote it
    # What the central list says about the item, shown to the student as it is.
    description: Mapped[Optional[str]] = mapped_column(String(300))
    answer: Mapped[Optional[str]] = mapped_column(String(8))
    note: Mapped[Optional[str]] = mapped_column(String(300))
    answered_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())
    # A later list (after the school resubmitted) replaces this row for the same item.
    superseded_at: Mapped[Optional[datetime]] = mapped_column(UtcDateTime())

    receipt_list: Mapped[ReceiptList] = relationship(back_populates="items")
    student: Mapped[Student] = relationship()
