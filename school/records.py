"""What the school's own records share: the refusal they raise, and finding a class or a student
by the numbers staff type.

Every function takes the caller's session; the caller owns the transaction.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models.school import SchoolClass, Staff, Student

# Students who left (轉出, 畢業 ...) are not offered for new records; their old ones stay.
ACTIVE_STATUS: Final = "在學"


class RecordError(Exception):
    """A change the records do not allow; reason is a short code, values fill its text."""

    def __init__(self, reason: str, **values: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


def class_by_code(session: Session, code: str) -> SchoolClass | None:
    return session.scalars(select(SchoolClass).where(SchoolClass.code == code.strip())).first()


def class_students(session: Session, class_id: int) -> list[Student]:
    """The class's students now in school (not sealed), by seat."""
    return list(
        session.scalars(
            select(Student)
            .where(
                Student.class_id == class_id,
                Student.status == ACTIVE_STATUS,
                Student.sealed_at.is_(None),
            )
            .order_by(Student.seat_no, Student.student_no)
        )
    )


def student_by_no(session: Session, student_no: str) -> Student | None:
    return session.scalars(select(Student).where(Student.student_no == student_no.strip())).first()


def staff_by_no(session: Session, staff_no: str) -> Staff | None:
    return session.scalars(select(Staff).where(Staff.staff_no == staff_no.strip())).first()


def all_classes(session: Session) -> list[SchoolClass]:
    return list(session.scalars(select(SchoolClass).order_by(SchoolClass.code)))
