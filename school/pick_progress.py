"""Picking as staff see it: each class's students, who picked but never confirmed, year totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from school.pick_candidates import KINDS, PICKABLE_STATUS, model_of
from storage.models.picking import PickConfirmation
from storage.models.school import Student


@dataclass(frozen=True)
class StudentProgress:
    student_id: int
    student_no: str
    name: str
    seat_no: int | None
    confirmed_at: datetime | None
    picked: dict[str, int]
    pickable: dict[str, int]


def class_progress(session: Session, class_id: int, academic_year: int) -> list[StudentProgress]:
    """Each student of a class: confirmed or not, and how many items picked of how many pickable."""
    students = session.scalars(
        select(Student)
        .where(Student.class_id == class_id, Student.sealed_at.is_(None))
        .order_by(Student.seat_no, Student.student_no)
    ).all()
    ids = [s.id for s in students]
    picked: dict[tuple[int, str], int] = {}
    pickable: dict[tuple[int, str], int] = {}
    for kind in KINDS if ids else ():
        model = model_of(kind)
        rows = session.execute(
            select(model.student_id, model.picked_at.is_not(None), func.count())
            .where(
                model.student_id.in_(ids),
                model.academic_year == academic_year,
                model.status == PICKABLE_STATUS[kind],
            )
            .group_by(model.student_id, model.picked_at.is_not(None))
        ).all()
        for student_id, is_picked, n in rows:
            pickable[(student_id, kind)] = pickable.get((student_id, kind), 0) + int(n)
            if is_picked:
                picked[(student_id, kind)] = int(n)
    confirmed: dict[int, datetime | None] = {}
    if ids:
        confirmed = dict(
            session.execute(
                select(PickConfirmation.student_id, PickConfirmation.confirmed_at).where(
                    PickConfirmation.student_id.in_(ids),
                    PickConfirmation.academic_year == academic_year,
                )
            ).all()
        )
    return [
        StudentProgress(
            student_id=s.id,
            student_no=s.student_no,
            name=s.name,
            seat_no=s.seat_no,
            confirmed_at=confirmed.get(s.id),
            picked={k: picked.get((s.id, k), 0) for k in KINDS},
            pickable={k: pickable.get((s.id, k), 0) for k in KINDS},
        )
        for s in students
    ]


def unconfirmed_with_picks(session: Session, academic_year: int, kind: str) -> list[Student]:
    """Students who picked items of this kind but never pressed 確認送出 (the export warns)."""
    model = model_of(kind)
    confirmed = select(PickConfirmation.student_id).where(
        PickConfirmation.academic_year == academic_year,
        PickConfirmation.confirmed_at.is_not(None),
    )
    return list(
        session.scalars(
            select(Student)
            .where(
                Student.id.in_(
                    select(model.student_id).where(
                        model.academic_year == academic_year,
                        model.picked_at.is_not(None),
                        model.status == PICKABLE_STATUS[kind],
                    )
                ),
                Student.id.not_in(confirmed),
            )
            .order_by(Student.student_no)
        )
    )


@dataclass(frozen=True)
class YearTotals:
    students: int
    confirmed: int
    picked: dict[str, int]


def year_totals(session: Session, academic_year: int) -> YearTotals:
    """School-wide: students in school, how many confirmed, how many items picked of each kind."""
    students = int(
        session.scalar(select(func.count()).select_from(Student).where(Student.sealed_at.is_(None)))
        or 0
    )
    confirmed = int(
        session.scalar(
            select(func.count())
            .select_from(PickConfirmation)
            .where(
                PickConfirmation.academic_year == academic_year,
                PickConfirmation.confirmed_at.is_not(None),
            )
        )
        or 0
    )
    picked = {}
    for kind in KINDS:
        model = model_of(kind)
        picked[kind] = int(
            session.scalar(
                select(func.count())
                .select_from(model)
                .where(
                    model.academic_year == academic_year,
                    model.picked_at.is_not(None),
                    model.status == PICKABLE_STATUS[kind],
                )
            )
            or 0
        )
    return YearTotals(students, confirmed, picked)
