"""Attendance (出缺勤, 生輔組) as the portfolio reads it: absences per student and leave type.
Kept at school, never sent to the central database.

Every function takes the caller's session; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models.records import AttendanceRecord


def attendance_by_student(
    session: Session, student_ids: Iterable[int], academic_year: int, semester: int | None = None
) -> dict[int, dict[str, int]]:
    """Per student, periods of absence by leave type (假別) in a year or one semester."""
    ids = sorted(set(student_ids))
    query = (
        select(AttendanceRecord.student_id, AttendanceRecord.leave_type, func.count())
        .where(
            AttendanceRecord.student_id.in_(ids or [0]),
            AttendanceRecord.academic_year == academic_year,
        )
        .group_by(AttendanceRecord.student_id, AttendanceRecord.leave_type)
    )
    if semester is not None:
        query = query.where(AttendanceRecord.semester == semester)
    found: dict[int, dict[str, int]] = {}
    for student_id, leave_type, count in session.execute(query):
        found.setdefault(student_id, {})[leave_type] = int(count)
    return found


def attendance_terms(session: Session, student_id: int) -> list[dict[str, object]]:
    """A student's absences per semester and leave type, oldest first (for the export)."""
    rows = session.execute(
        select(
            AttendanceRecord.academic_year,
            AttendanceRecord.semester,
            AttendanceRecord.leave_type,
            func.count(),
        )
        .where(AttendanceRecord.student_id == student_id)
        .group_by(
            AttendanceRecord.academic_year, AttendanceRecord.semester, AttendanceRecord.leave_type
        )
        .order_by(
            AttendanceRecord.academic_year, AttendanceRecord.semester, AttendanceRecord.leave_type
        )
    )
    return [
        {
            "academic_year": year,
            "semester": semester,
            "leave_type": leave_type,
            "periods": int(count),
        }
        for year, semester, leave_type, count in rows
    ]
