"""A student's standing at school (rule 五): transfers, repeats, re-enrolment, renumbering.

Rule 五: a student's earlier work follows them. Every command here updates the one Student row
in place (status, class, grade, seat, 學號), adds a StudentClassHistory row when the class changes
and a StudentChange row always, and never touches an item: items carry their own academic
year and semester, so their certification and the counts of the year they belong to stay as
they were.

Graduation is in school.graduation, sealing in school.sealing, deletion after the retention period
in school.deletion, the end of a LINE binding in school.binding_end, a student's own export in
school.student_export and the management chain of rule 七 in school.management.

Nothing here says anything to a person: functions return who lost their binding, and the caller
(bot/ or jobs/) words the farewell from the catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from catalogue import text
from school.binding_end import Farewell, end_student_binding
from school.roster_files import is_valid_national_id, normalise_national_id
from storage.clock import academic_year_of, at_taipei
from storage.crypto import cipher
from storage.models.lifecycle import (
    REENROL,
    RENUMBER,
    REPEAT,
    TRANSFER_IN,
    TRANSFER_OUT,
    StudentChange,
)
from storage.models.portfolio import CourseOutcome
from storage.models.school import (
    Course,
    Enrolment,
    SchoolClass,
    Student,
    StudentClassHistory,
    Term,
)

# Student.status values, as the registrar's system writes them.
ENROLLED: Final = "在學"
TRANSFERRED_OUT: Final = "轉出"
SUSPENDED: Final = "休學"
GRADUATED: Final = "畢業"

# StudentClassHistory.note: short labels staff read in exports, written into data (as roster.py
# does for its own history notes).
HISTORY_NOTES: Final = {
    TRANSFER_IN: text("lifecycle.history.transfer_in"),
    REPEAT: text("lifecycle.history.repeat"),
    REENROL: text("lifecycle.history.reenrol"),
}


STUDENT_NO = re.compile(r"[0-9A-Za-z]{1,20}")


class LifecycleError(Exception):
    """A command the student's standing does not allow; reason is a catalogue key suffix."""

    def __init__(self, reason: str, **values: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


# --- lookups ----------------------------------------------------------------------------------


def student_by_no(session: Session, student_no: str) -> Student | None:
    return session.scalars(select(Student).where(Student.student_no == student_no.strip())).first()


def require_student(session: Session, student_no: str) -> Student:
    student = student_by_no(session, student_no)
    if student is None:
        raise LifecycleError("no_student", no=student_no)
    return student


def class_by_code(session: Session, code: str) -> SchoolClass:
    found = session.scalars(select(SchoolClass).where(SchoolClass.code == code.strip())).first()
    if found is None:
        raise LifecycleError("no_class", code=code)
    return found


def not_sealed(student: Student) -> None:
    if student.sealed_at is not None:
        raise LifecycleError("sealed", no=student.student_no)


def term_key(day: date) -> tuple[int, int]:
    """(學年度, semester) a day belongs to: August to January is the first semester."""
    return academic_year_of(day), 1 if day.month >= 8 or day.month == 1 else 2


# --- results ------------------------------------------------------------------------------------


@dataclass
class ChangeResult:
    student: Student
    change: StudentChange
    enrolled: int = 0
    unenrolled: int = 0
    farewells: list[Farewell] = field(default_factory=list)


# --- placing a student in a class ---------------------------------------------------------------


def _check_seat(
    session: Session, student: Student | None, school_class: SchoolClass, seat_no: int
) -> None:
    taken = session.scalars(
        select(Student).where(
            Student.class_id == school_class.id,
            Student.seat_no == seat_no,
            Student.status == ENROLLED,
            Student.sealed_at.is_(None),
        )
    ).first()
    if taken is not None and (student is None or taken.id != student.id):
        raise LifecycleError(
            "seat_taken", code=school_class.code, seat=seat_no, no=taken.student_no
        )


def _has_items(session: Session, student_id: int, course_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    CourseOutcome.student_id == student_id, CourseOutcome.course_id == course_id
                )
            )
        )
    )


def _terms_from(session: Session, day: date) -> list[int]:
    start = term_key(day)
    return [t.id for t in session.scalars(select(Term)) if (t.academic_year, t.semester) >= start]


def _drop_enrolments(
    session: Session, student: Student, day: date, keep_class_id: int | None
) -> int:
    """Leave the courses of other classes from the term of `day` on; a course the student has
    items in keeps its enrolment, so those items stay where their teacher sees them."""
    term_ids = _terms_from(session, day)
    if not term_ids:
        return 0
    dropped = 0
    for enrolment, course in session.execute(
        select(Enrolment, Course)
        .join(Course, Course.id == Enrolment.course_id)
        .where(
            Enrolment.student_id == student.id,
            Course.term_id.in_(term_ids),
            Course.class_id.is_not(None),
        )
    ).all():
        if course.class_id == keep_class_id or _has_items(session, student.id, course.id):
            continue
        session.delete(enrolment)
        dropped += 1
    session.flush()
    return dropped


def _enrol_in_class(
    session: Session, student: Student, school_class: SchoolClass, day: date
) -> int:
    term_ids = _terms_from(session, day)
    if not term_ids:
        return 0
    have = set(
        session.scalars(select(Enrolment.course_id).where(Enrolment.student_id == student.id))
    )
    added = 0
    for course_id in session.scalars(
        select(Course.id)
        .where(Course.class_id == school_class.id, Course.term_id.in_(term_ids))
        .order_by(Course.id)
    ):
        if course_id not in have:
            session.add(Enrolment(student_id=student.id, course_id=course_id))
            added += 1
    session.flush()
    return added


def _place(
    session: Session,
    result: ChangeResult,
    school_class: SchoolClass,
    seat_no: int,
    grade: int | None,
    day: date,
    note: str,
) -> None:
    student = result.student
    _check_seat(session, student, school_class, seat_no)
    student.class_id = school_class.id
    student.seat_no = seat_no
    student.grade = grade or school_class.grade
    student.status = ENROLLED
    session.add(
        StudentClassHistory(
            student_id=student.id,
            class_id=school_class.id,
            seat_no=seat_no,
            since=at_taipei(day),
            note=note,
        )
    )
    result.unenrolled = _drop_enrolments(session, student, day, keep_class_id=school_class.id)
    result.enrolled = _enrol_in_class(session, student, school_class, day)
    result.change.to_class_id = school_class.id
    result.change.to_grade = student.grade
    result.change.to_seat = seat_no
    result.change.to_status = ENROLLED
    session.flush()


def record_change(
    session: Session,
    student: Student,
    kind: str,
    day: date,
    now: datetime,
    by: str,
    note: str | None = None,
) -> StudentChange:
    change = StudentChange(
        student_id=student.id,
        kind=kind,
        effective_on=day,
        created_at=now,
        created_by=by,
        from_status=student.status,
        to_status=student.status,
        from_class_id=student.class_id,
        to_class_id=student.class_id,
        from_grade=student.grade,
        to_grade=student.grade,
        from_seat=student.seat_no,
        to_seat=student.seat_no,
        note=note,
        detail={},
    )
    session.add(change)
    session.flush()
    return change


# --- rule 五: transfers, repeats, re-enrolment, renumbering -------------------------------------


def transfer_in(
    session: Session,
    now: datetime,
    *,
    student_no: str,
    day: date,
    class_code: str,
    seat_no: int,
    name: str | None = None,
    national_id: str | None = None,
    birth_date: date | None = None,
    grade: int | None = None,
    entry_year: int | None = None,
    note: str | None = None,
    by: str = "",
) -> ChangeResult:
    """轉入: a new student joins a class, or a student who left earlier comes back."""
    school_class = class_by_code(session, class_code)
    student = student_by_no(session, student_no)
    if student is None:
        if not STUDENT_NO.fullmatch(student_no):
            raise LifecycleError("bad_student_no", no=student_no)
        if not name:
            raise LifecycleError("name_needed", no=student_no)
        if not national_id:
            raise LifecycleError("national_id_needed", no=student_no)
        number = normalise_national_id(national_id)
        if not is_valid_national_id(number):
            raise LifecycleError("national_id_format")
        id_hash = cipher().lookup_hash(number)
        owner = session.scalars(select(Student).where(Student.national_id_hash == id_hash)).first()
        if owner is not None:
            raise LifecycleError("national_id_taken", no=owner.student_no)
        _check_seat(session, None, school_class, seat_no)
        new_grade = grade or school_class.grade
        # The cohort the student belongs to, e.g. a grade-2 student arriving in 115 entered in 114.
        cohort = entry_year or academic_year_of(day) - (new_grade - 1)
        student = Student(
            student_no=student_no,
            name=name.strip(),
            national_id=number,
            national_id_hash=id_hash,
            birth_date=birth_date,
            grade=new_grade,
            entry_year=cohort,
            status=ENROLLED,
        )
        session.add(student)
        session.flush()
        change = record_change(session, student, TRANSFER_IN, day, now, by, note)
        change.from_status = change.from_class_id = change.from_grade = change.from_seat = None
    else:
        not_sealed(student)
        if student.status == ENROLLED:
            raise LifecycleError("already_enrolled", no=student.student_no)
        change = record_change(session, student, TRANSFER_IN, day, now, by, note)
    result = ChangeResult(student, change)
    _place(session, result, school_class, seat_no, grade, day, HISTORY_NOTES[TRANSFER_IN])
    return result


def transfer_out(
    session: Session,
    now: datetime,
    student: Student,
    day: date,
    note: str | None = None,
    by: str = "",
) -> ChangeResult:
    """轉出: the student leaves for another school. Their items stay exactly as they are (a
    pending item can still be certified by its teacher); they leave every class list, and
    their LINE binding ends (the caller says goodbye)."""
    not_sealed(student)
    if student.status != ENROLLED:
        raise LifecycleError("not_enrolled", no=student.student_no, status=student.status)
    change = record_change(session, student, TRANSFER_OUT, day, now, by, note)
    result = ChangeResult(student, change)
    result.unenrolled = _drop_enrolments(session, student, day, keep_class_id=None)
    student.status = TRANSFERRED_OUT
    student.class_id = None
    student.seat_no = None
    change.to_status = TRANSFERRED_OUT
    change.to_class_id = None
    change.to_seat = None
    result.farewells = end_student_binding(session, student, now)
    session.flush()
    return result


def repeat(
    session: Session,
    now: datetime,
    student: Student,
    day: date,
    class_code: str,
    seat_no: int,
    grade: int | None = None,
    note: str | None = None,
    by: str = "",
) -> ChangeResult:
    """重讀: the student does a grade again in another class; last year's items keep counting
    for last year."""
    not_sealed(student)
    if student.status not in (ENROLLED, SUSPENDED):
        raise LifecycleError("not_enrolled", no=student.student_no, status=student.status)
    school_class = class_by_code(session, class_code)
    new_grade = grade or school_class.grade
    if new_grade > student.grade:
        raise LifecycleError("repeat_higher_grade", grade=new_grade, old=student.grade)
    change = record_change(session, student, REPEAT, day, now, by, note)
    result = ChangeResult(student, change)
    _place(session, result, school_class, seat_no, new_grade, day, HISTORY_NOTES[REPEAT])
    return result


def renumber(
    session: Session,
    now: datetime,
    student: Student,
    new_no: str,
    day: date,
    by: str = "",
    change: StudentChange | None = None,
) -> StudentChange:
    """A new 學號 for the same person: the row and everything pointing at it stay."""
    new_no = new_no.strip()
    if not STUDENT_NO.fullmatch(new_no):
        raise LifecycleError("bad_student_no", no=new_no)
    if new_no == student.student_no:
        raise LifecycleError("same_student_no", no=new_no)
    owner = student_by_no(session, new_no)
    if owner is not None:
        raise LifecycleError("student_no_taken", no=new_no)
    if change is None:
        change = record_change(session, student, RENUMBER, day, now, by)
    change.old_student_no = student.student_no
    change.new_student_no = new_no
    student.student_no = new_no
    session.flush()
    return change


def reenrol(
    session: Session,
    now: datetime,
    student: Student,
    day: date,
    class_code: str,
    seat_no: int,
    grade: int | None = None,
    new_no: str | None = None,
    note: str | None = None,
    by: str = "",
) -> ChangeResult:
    """復學: a student back from 休學 (or another absence) joins a class again, perhaps under a
    new 學號; their id, and so every item and binding code, stays."""
    not_sealed(student)
    if student.status == ENROLLED:
        raise LifecycleError("already_enrolled", no=student.student_no)
    if student.status == GRADUATED or student.graduated_on is not None:
        raise LifecycleError("graduated", no=student.student_no)
    school_class = class_by_code(session, class_code)
    change = record_change(session, student, REENROL, day, now, by, note)
    if new_no:
        renumber(session, now, student, new_no, day, by, change=change)
    result = ChangeResult(student, change)
    _place(session, result, school_class, seat_no, grade, day, HISTORY_NOTES[REENROL])
    return result
