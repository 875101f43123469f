"""A student's life at school: transfers, repeats, re-enrolment, graduation, sealing, deletion.

Rule 五: a student's earlier work follows them. Every command here updates the one Student row
in place (status, class, grade, seat, 學號), adds a StudentClassHistory row when the class changes
and a StudentChange row always, and never touches an item: items carry their own academic
year and semester, so their certification and the counts of the year they belong to stay as
they were.

Rule 九: graduates are sealed on their graduation day (readable by office staff only; their LINE
binding ends) and deleted once the school's retention period is over. The deletion is generic
over the schema: every table with a foreign key to students is emptied of the student's rows,
so tables other features add later are covered without a change here. Bytes leave the
content-addressed store only after the rows are committed, and only when no other file row
still names the same digest.

Rule 七 (platform management): staff notices go to the 註冊組長, and when that person is away to
the 教學組長, then the 資媒組長; absences are the certification proxies' TeacherAbsence rows.

Nothing here says anything to a person: functions return who lost their binding, and the caller
(bot/ or jobs/) words the farewell from the catalogue.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    String,
    Table,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from catalogue import text
from media.fit import EXTENSIONS, MIME_TYPES
from rules.model import SchoolRules
from school.roster import is_valid_national_id, normalise_national_id
from storage import sheets
from storage.backup import FILES_LOCK
from storage.clock import academic_year_of, at_taipei, format_datetime, taipei, taipei_date
from storage.crypto import cipher, mask_national_id
from storage.db import Base, lock_named
from storage.files import CHUNK_SIZE, FileStore, NotStored
from storage.models.binding import BindingCode
from storage.models.certification import TeacherAbsence
from storage.models.conversation import ConversationRow
from storage.models.lifecycle import (
    GRADUATE,
    GRADUATE_CANCELLED,
    REENROL,
    RENUMBER,
    REPEAT,
    SEAL,
    TRANSFER_IN,
    TRANSFER_OUT,
    RetentionDeletion,
    StudentChange,
)
from storage.models.line import LineAccount
from storage.models.portfolio import (
    PENDING,
    WITHDRAWN,
    AuditEntry,
    CourseOutcome,
    DraftPage,
    FileRecord,
    Performance,
    PerformanceFile,
)
from storage.models.school import (
    Course,
    Enrolment,
    Guardian,
    GuardianLink,
    SchoolClass,
    Staff,
    StaffRole,
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

# Rule 七, platform management: who hears staff notices, in order.
MANAGEMENT_CHAIN: Final = ("註冊組長", "教學組長", "資媒組長")


STUDENT_NO = re.compile(r"[0-9A-Za-z]{1,20}")
DELETION_REPORT_NAME: Final = "retention-deletions.csv"
DELETION_REPORT_COLUMNS: Final = tuple(text(f"lifecycle.deletion_report.col.{key}") for key in (
    "deleted_at", "student_no", "graduated_on", "sealed_at", "retention_end", "rows", "files",
    "bytes", "files_removed_at",
))
# Tables never emptied by the generic deletion: the student row itself (last), LINE accounts
# (the person may bind again as someone else; the link is nulled), files (checked one by one).
_NOT_EMPTIED: Final = frozenset({"students", "line_accounts", "files"})


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


def _not_sealed(student: Student) -> None:
    if student.sealed_at is not None:
        raise LifecycleError("sealed", no=student.student_no)


def term_key(day: date) -> tuple[int, int]:
    """(學年度, semester) a day belongs to: August to January is the first semester."""
    return academic_year_of(day), 1 if day.month >= 8 or day.month == 1 else 2


# --- results ------------------------------------------------------------------------------------


@dataclass
class Farewell:
    """A LINE account whose binding ended, and whose person it was (for the catalogue text)."""

    line_user_id: str
    student_name: str
    guardian: bool = False


@dataclass
class ChangeResult:
    student: Student
    change: StudentChange
    enrolled: int = 0
    unenrolled: int = 0
    farewells: list[Farewell] = field(default_factory=list)


# --- placing a student in a class ---------------------------------------------------------------


def _check_seat(session: Session, student: Student | None, school_class: SchoolClass,
                seat_no: int) -> None:
    taken = session.scalars(
        select(Student).where(Student.class_id == school_class.id, Student.seat_no == seat_no,
                              Student.status == ENROLLED, Student.sealed_at.is_(None))
    ).first()
    if taken is not None and (student is None or taken.id != student.id):
        raise LifecycleError("seat_taken", code=school_class.code, seat=seat_no,
                             no=taken.student_no)


def _has_items(session: Session, student_id: int, course_id: int) -> bool:
    return bool(session.scalar(select(exists().where(
        CourseOutcome.student_id == student_id, CourseOutcome.course_id == course_id))))


def _terms_from(session: Session, day: date) -> list[int]:
    start = term_key(day)
    return [t.id for t in session.scalars(select(Term))
            if (t.academic_year, t.semester) >= start]


def _drop_enrolments(session: Session, student: Student, day: date,
                     keep_class_id: int | None) -> int:
    """Leave the courses of other classes from the term of `day` on; a course the student has
    items in keeps its enrolment, so those items stay where their teacher sees them."""
    term_ids = _terms_from(session, day)
    if not term_ids:
        return 0
    dropped = 0
    for enrolment, course in session.execute(
        select(Enrolment, Course).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.student_id == student.id, Course.term_id.in_(term_ids),
               Course.class_id.is_not(None))
    ).all():
        if course.class_id == keep_class_id or _has_items(session, student.id, course.id):
            continue
        session.delete(enrolment)
        dropped += 1
    session.flush()
    return dropped


def _enrol_in_class(session: Session, student: Student, school_class: SchoolClass,
                    day: date) -> int:
    term_ids = _terms_from(session, day)
    if not term_ids:
        return 0
    have = set(session.scalars(select(Enrolment.course_id).where(
        Enrolment.student_id == student.id)))
    added = 0
    for course_id in session.scalars(
        select(Course.id).where(Course.class_id == school_class.id, Course.term_id.in_(term_ids))
        .order_by(Course.id)
    ):
        if course_id not in have:
            session.add(Enrolment(student_id=student.id, course_id=course_id))
            added += 1
    session.flush()
    return added


def _place(session: Session, result: ChangeResult, school_class: SchoolClass, seat_no: int,
           grade: int | None, day: date, note: str) -> None:
    student = result.student
    _check_seat(session, student, school_class, seat_no)
    student.class_id = school_class.id
    student.seat_no = seat_no
    student.grade = grade or school_class.grade
    student.status = ENROLLED
    session.add(StudentClassHistory(student_id=student.id, class_id=school_class.id,
                                    seat_no=seat_no, since=at_taipei(day), note=note))
    result.unenrolled = _drop_enrolments(session, student, day, keep_class_id=school_class.id)
    result.enrolled = _enrol_in_class(session, student, school_class, day)
    result.change.to_class_id = school_class.id
    result.change.to_grade = student.grade
    result.change.to_seat = seat_no
    result.change.to_status = ENROLLED
    session.flush()


def _change(session: Session, student: Student, kind: str, day: date, now: datetime, by: str,
            note: str | None = None) -> StudentChange:
    change = StudentChange(
        student_id=student.id, kind=kind, effective_on=day, created_at=now, created_by=by,
        from_status=student.status, to_status=student.status, from_class_id=student.class_id,
        to_class_id=student.class_id, from_grade=student.grade, to_grade=student.grade,
        from_seat=student.seat_no, to_seat=student.seat_no, note=note, detail={},
    )
    session.add(change)
    session.flush()
    return change


# --- ending a LINE binding ----------------------------------------------------------------------


def _end_student_binding(session: Session, student: Student, now: datetime) -> list[Farewell]:
    """The student's LINE accounts stop acting for them; unused slips stop working too."""
    farewells = []
    for account in session.scalars(select(LineAccount).where(LineAccount.student_id == student.id)):
        account.student_id = None
        if not account.is_bound:
            account.bound_at = None
        # A conversation in the middle of an upload must not go on for someone who left.
        session.execute(delete(ConversationRow).where(
            ConversationRow.line_user_id == account.line_user_id))
        if account.followed:
            farewells.append(Farewell(account.line_user_id, student.name))
    session.execute(
        update(BindingCode)
        .where(BindingCode.student_id == student.id, BindingCode.used_at.is_(None),
               BindingCode.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    return farewells


def _end_guardian_links(session: Session, student: Student, now: datetime
                        ) -> tuple[list[int], list[Farewell]]:
    """Guardians stop seeing the child; a guardian left with no child here is unbound."""
    guardian_ids = list(session.scalars(
        select(GuardianLink.guardian_id).where(GuardianLink.student_id == student.id)
        .order_by(GuardianLink.guardian_id)))
    session.execute(delete(GuardianLink).where(GuardianLink.student_id == student.id))
    farewells = []
    for guardian_id in guardian_ids:
        others = session.scalar(select(func.count()).select_from(GuardianLink).where(
            GuardianLink.guardian_id == guardian_id))
        if others:
            continue
        for account in session.scalars(
            select(LineAccount).where(LineAccount.guardian_id == guardian_id)
        ):
            account.guardian_id = None
            if not account.is_bound:
                account.bound_at = None
            session.execute(delete(ConversationRow).where(
                ConversationRow.line_user_id == account.line_user_id))
            if account.followed:
                farewells.append(Farewell(account.line_user_id, student.name, guardian=True))
        session.execute(
            update(BindingCode)
            .where(BindingCode.guardian_id == guardian_id, BindingCode.used_at.is_(None),
                   BindingCode.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    session.flush()
    return guardian_ids, farewells


# --- rule 五: transfers, repeats, re-enrolment, renumbering -------------------------------------


def transfer_in(
    session: Session, now: datetime, *, student_no: str, day: date, class_code: str,
    seat_no: int, name: str | None = None, national_id: str | None = None,
    birth_date: date | None = None, grade: int | None = None, entry_year: int | None = None,
    note: str | None = None, by: str = "",
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
        student = Student(student_no=student_no, name=name.strip(), national_id=number,
                          national_id_hash=id_hash, birth_date=birth_date, grade=new_grade,
                          entry_year=cohort, status=ENROLLED)
        session.add(student)
        session.flush()
        change = _change(session, student, TRANSFER_IN, day, now, by, note)
        change.from_status = change.from_class_id = change.from_grade = change.from_seat = None
    else:
        _not_sealed(student)
        if student.status == ENROLLED:
            raise LifecycleError("already_enrolled", no=student.student_no)
        change = _change(session, student, TRANSFER_IN, day, now, by, note)
    result = ChangeResult(student, change)
    _place(session, result, school_class, seat_no, grade, day, HISTORY_NOTES[TRANSFER_IN])
    return result


def transfer_out(session: Session, now: datetime, student: Student, day: date,
                 note: str | None = None, by: str = "") -> ChangeResult:
    """轉出: the student leaves for another school. Their items stay exactly as they are (a
    pending item can still be certified by its teacher); they leave every class list, and
    their LINE binding ends (the caller says goodbye)."""
    _not_sealed(student)
    if student.status != ENROLLED:
        raise LifecycleError("not_enrolled", no=student.student_no, status=student.status)
    change = _change(session, student, TRANSFER_OUT, day, now, by, note)
    result = ChangeResult(student, change)
    result.unenrolled = _drop_enrolments(session, student, day, keep_class_id=None)
    student.status = TRANSFERRED_OUT
    student.class_id = None
    student.seat_no = None
    change.to_status = TRANSFERRED_OUT
    change.to_class_id = None
    change.to_seat = None
    result.farewells = _end_student_binding(session, student, now)
    session.flush()
    return result


def repeat(session: Session, now: datetime, student: Student, day: date, class_code: str,
           seat_no: int, grade: int | None = None, note: str | None = None,
           by: str = "") -> ChangeResult:
    """重讀: the student does a grade again in another class; last year's items keep counting
    for last year."""
    _not_sealed(student)
    if student.status not in (ENROLLED, SUSPENDED):
        raise LifecycleError("not_enrolled", no=student.student_no, status=student.status)
    school_class = class_by_code(session, class_code)
    new_grade = grade or school_class.grade
    if new_grade > student.grade:
        raise LifecycleError("repeat_higher_grade", grade=new_grade, old=student.grade)
    change = _change(session, student, REPEAT, day, now, by, note)
    result = ChangeResult(student, change)
    _place(session, result, school_class, seat_no, new_grade, day, HISTORY_NOTES[REPEAT])
    return result


def renumber(session: Session, now: datetime, student: Student, new_no: str, day: date,
             by: str = "", change: StudentChange | None = None) -> StudentChange:
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
        change = _change(session, student, RENUMBER, day, now, by)
    change.old_student_no = student.student_no
    change.new_student_no = new_no
    student.student_no = new_no
    session.flush()
    return change


def reenrol(session: Session, now: datetime, student: Student, day: date, class_code: str,
            seat_no: int, grade: int | None = None, new_no: str | None = None,
            note: str | None = None, by: str = "") -> ChangeResult:
    """復學: a student back from 休學 (or another absence) joins a class again, perhaps under a
    new 學號; their id, and so every item and binding code, stays."""
    _not_sealed(student)
    if student.status == ENROLLED:
        raise LifecycleError("already_enrolled", no=student.student_no)
    if student.status == GRADUATED or student.graduated_on is not None:
        raise LifecycleError("graduated", no=student.student_no)
    school_class = class_by_code(session, class_code)
    change = _change(session, student, REENROL, day, now, by, note)
    if new_no:
        renumber(session, now, student, new_no, day, by, change=change)
    result = ChangeResult(student, change)
    _place(session, result, school_class, seat_no, grade, day, HISTORY_NOTES[REENROL])
    return result


# --- rule 九: graduation and sealing ------------------------------------------------------------


def graduation_candidates(
    session: Session, grade: int | None = None, class_codes: Sequence[str] = (),
    student_nos: Sequence[str] = (), except_nos: Sequence[str] = (),
) -> list[Student]:
    """Enrolled students of a grade (roster 1-3 or rules 10-12), classes or numbers."""
    query = select(Student).where(Student.status == ENROLLED, Student.sealed_at.is_(None),
                                  Student.graduated_on.is_(None))
    if grade is not None:
        query = query.where(Student.grade == (grade - 9 if grade >= 10 else grade))
    if class_codes:
        ids = [class_by_code(session, code).id for code in class_codes]
        query = query.where(Student.class_id.in_(ids))
    if student_nos:
        for number in student_nos:
            student = require_student(session, number)
            if student.status != ENROLLED or student.graduated_on is not None:
                raise LifecycleError("not_enrolled", no=number, status=student.status)
        query = query.where(Student.student_no.in_([n.strip() for n in student_nos]))
    for number in except_nos:
        require_student(session, number)
    query = query.where(Student.student_no.not_in([n.strip() for n in except_nos] or [""]))
    return list(session.scalars(query.order_by(Student.class_id, Student.seat_no,
                                               Student.student_no)))


def graduate(session: Session, now: datetime, students: Iterable[Student], day: date,
             by: str = "") -> list[StudentChange]:
    """Mark graduates; the daily job seals them on `day` (at once if it has come)."""
    changes = []
    today = taipei_date(now)
    for student in students:
        change = _change(session, student, GRADUATE, day, now, by)
        student.graduated_on = day
        if day <= today:
            student.status = GRADUATED
            change.to_status = GRADUATED
        changes.append(change)
    session.flush()
    return changes


def cancel_graduation(session: Session, now: datetime, student: Student, by: str = ""
                      ) -> StudentChange:
    """Undo a graduation marked by mistake, as long as the portfolio is not sealed yet."""
    _not_sealed(student)
    if student.graduated_on is None:
        raise LifecycleError("not_graduating", no=student.student_no)
    change = _change(session, student, GRADUATE_CANCELLED, taipei_date(now), now, by)
    student.graduated_on = None
    student.status = ENROLLED
    change.to_status = ENROLLED
    session.flush()
    return change


@dataclass
class Sealed:
    student_id: int
    student_no: str
    name: str
    withdrawn: int
    farewells: list[Farewell]


def due_for_sealing(session: Session, now: datetime) -> list[Student]:
    return list(session.scalars(
        select(Student).where(Student.graduated_on.is_not(None),
                              Student.graduated_on <= taipei_date(now),
                              Student.sealed_at.is_(None))
        .order_by(Student.student_no)
    ))


def seal(session: Session, now: datetime, student: Student, by: str = "") -> Sealed:
    """封存: office staff only from now on. Pending items can no longer be certified (the
    school's windows for graduates are over) and would otherwise sit in a teacher's list,
    showing a sealed student's work: they are withdrawn, with an audit entry each."""
    assert student.graduated_on is not None
    change = _change(session, student, SEAL, student.graduated_on, now, by)
    withdrawn = []
    for outcome in session.scalars(select(CourseOutcome).where(
        CourseOutcome.student_id == student.id, CourseOutcome.status == PENDING
    ).order_by(CourseOutcome.id)):
        outcome.status = WITHDRAWN
        outcome.certify_version = (outcome.certify_version or 0) + 1
        withdrawn.append(outcome.id)
        session.add(AuditEntry(at=now, action="withdraw", item_kind="outcome",
                               item_id=outcome.id, student_id=student.id, detail="sealed"))
    student.status = GRADUATED
    student.sealed_at = now
    change.to_status = GRADUATED
    farewells = _end_student_binding(session, student, now)
    guardian_ids, guardian_farewells = _end_guardian_links(session, student, now)
    change.detail = {"guardians": guardian_ids, "withdrawn": withdrawn}
    session.flush()
    return Sealed(student.id, student.student_no, student.name, len(withdrawn),
                  farewells + guardian_farewells)


def seal_due(session: Session, now: datetime) -> list[Sealed]:
    return [seal(session, now, student) for student in due_for_sealing(session, now)]


# --- rule 九: deletion after the retention period -----------------------------------------------


def sealed_students(session: Session) -> list[Student]:
    return list(session.scalars(
        select(Student).where(Student.sealed_at.is_not(None), Student.graduated_on.is_not(None))
        .order_by(Student.graduated_on, Student.student_no)
    ))


def due_for_deletion(session: Session, rules: SchoolRules, now: datetime) -> list[Student]:
    """Sealed graduates whose retention period is over: the first day after it, not a day sooner."""
    today = taipei_date(now)
    return [s for s in sealed_students(session)
            if s.graduated_on is not None and rules.retention_end(s.graduated_on) <= today]


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


def _tables_referencing(table_name: str) -> list[tuple[Table, Column[Any], str | None]]:
    found = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == table_name:
                found.append((table, fk.parent, (fk.ondelete or "").upper() or None))
    return found


def _delete_where(session: Session, table: Table, where: ColumnElement[bool],
                  depth: int = 0) -> int:
    """Delete rows and, first, rows that point at them without ON DELETE (children of any kind)."""
    if depth > 8:  # the schema has no chain this deep; a cycle must not recurse for ever
        raise RuntimeError(f"foreign keys into {table.name} nest too deep")
    pk = list(table.primary_key.columns)[0]
    ids = select(pk).where(where)
    for child, column, ondelete in _tables_referencing(table.name):
        if child.name in _NOT_EMPTIED:
            continue
        if child is table or ondelete == "SET NULL":
            session.execute(update(child).where(column.in_(ids)).values({column.name: None}))
        elif ondelete != "CASCADE":
            _delete_where(session, child, column.in_(ids), depth + 1)
    count = session.scalar(select(func.count()).select_from(table).where(where)) or 0
    if count:
        session.execute(delete(table).where(where))
    return int(count)


def _file_reference_columns() -> list[Column[Any]]:
    return [column for _, column, _ in _tables_referencing("files")]


def _file_in_use(session: Session, file_id: int) -> bool:
    for column in _file_reference_columns():
        if session.scalar(select(exists().where(column == file_id))):
            return True
    return False


def _student_file_ids(session: Session, student_id: int) -> set[int]:
    ids = set(session.scalars(select(FileRecord.id).where(FileRecord.student_id == student_id)))
    for doc, video in session.execute(
        select(CourseOutcome.document_file_id, CourseOutcome.video_file_id)
        .where(CourseOutcome.student_id == student_id)
    ):
        ids.update(x for x in (doc, video) if x is not None)
    ids.update(session.scalars(
        select(PerformanceFile.file_id)
        .join(Performance, Performance.id == PerformanceFile.performance_id)
        .where(Performance.student_id == student_id)))
    # Any other table of the student's that names files (grade-12 attachments, say).
    for table, column, _ in _tables_referencing("students"):
        if table.name in _NOT_EMPTIED:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "files":
                ids.update(x for x in session.scalars(
                    select(fk.parent).where(column == student_id)) if x is not None)
    return ids


def _consultation_tables() -> tuple[Any, Any] | None:
    """The consultation tables, when the records feature has them: an individual consultation
    whose only student is deleted is about that student alone and goes too."""
    from storage.models import records

    consultation = getattr(records, "Consultation", None)
    participant = getattr(records, "ConsultationStudent", None)
    if consultation is None or participant is None:
        return None
    return consultation, participant


@dataclass
class DeletionPlan:
    student_no: str
    graduated_on: date
    retention_end: date
    rows: dict[str, int]
    files: int
    bytes: int


def deletion_plan(session: Session, rules: SchoolRules, student: Student) -> DeletionPlan:
    """What deleting the student would remove (for a dry run), without removing anything."""
    assert student.graduated_on is not None
    rows: dict[str, int] = {}
    for table, column, _ in _tables_referencing("students"):
        if table.name in _NOT_EMPTIED:
            continue
        n = session.scalar(select(func.count()).select_from(table).where(column == student.id))
        if n:
            rows[table.name] = rows.get(table.name, 0) + int(n)
    audit = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.student_id == student.id))
    if audit:
        rows[AuditEntry.__tablename__] = int(audit)
    file_ids = _student_file_ids(session, student.id)
    size = session.scalar(select(func.coalesce(func.sum(FileRecord.size), 0)).where(
        FileRecord.id.in_(file_ids or [0]))) or 0
    return DeletionPlan(student.student_no, student.graduated_on,
                        rules.retention_end(student.graduated_on), rows, len(file_ids), int(size))


def delete_student(session: Session, rules: SchoolRules, now: datetime,
                   student: Student) -> RetentionDeletion:
    """Delete a sealed graduate's records and file rows; the bytes go after commit
    (remove_pending_bytes). Returns the report row."""
    if student.sealed_at is None or student.graduated_on is None:
        raise LifecycleError("not_sealed", no=student.student_no)
    sid = student.id
    guardian_ids: set[int] = set()
    for detail in session.scalars(select(StudentChange.detail).where(
            StudentChange.student_id == sid, StudentChange.kind == SEAL)):
        guardian_ids.update(int(g) for g in (detail or {}).get("guardians", []))
    guardian_ids.update(session.scalars(select(GuardianLink.guardian_id).where(
        GuardianLink.student_id == sid)))
    file_ids = _student_file_ids(session, sid)
    consultations = _consultation_tables()
    consultation_ids: list[int] = []
    if consultations is not None:
        consultation, participant = consultations
        consultation_ids = list(session.scalars(select(participant.consultation_id).where(
            participant.student_id == sid)))

    rows: dict[str, int] = {}

    def note(name: str, n: int) -> None:
        if n:
            rows[name] = rows.get(name, 0) + n

    outcome_ids = list(session.scalars(select(CourseOutcome.id).where(
        CourseOutcome.student_id == sid)))
    performance_ids = list(session.scalars(select(Performance.id).where(
        Performance.student_id == sid)))
    note("draft_pages", _delete_where(session, _table(DraftPage), or_(
        (DraftPage.draft_kind == "outcome") & DraftPage.draft_id.in_(outcome_ids or [0]),
        (DraftPage.draft_kind == "performance") & DraftPage.draft_id.in_(performance_ids or [0]),
    )))
    note("audit_log", _delete_where(session, _table(AuditEntry), AuditEntry.student_id == sid))
    _delete_recipient_rows(session, f"student:{sid}", note)
    # Dependents first (reverse of the creation order), so no foreign key is left dangling.
    for table, column, _ in reversed(_tables_referencing("students")):
        if table.name in _NOT_EMPTIED:
            continue
        note(table.name, _delete_where(session, table, column == sid))
    session.execute(update(LineAccount).where(LineAccount.student_id == sid)
                    .values(student_id=None))
    session.flush()
    session.execute(delete(Student).where(Student.id == sid))
    note("students", 1)

    if consultations is not None and consultation_ids:
        consultation, participant = consultations
        for cid in consultation_ids:
            left = session.scalar(select(func.count()).select_from(participant).where(
                participant.consultation_id == cid))
            if not left:
                attachment_files = _consultation_files(session, cid)
                file_ids.update(attachment_files)
                note(consultation.__tablename__, _delete_where(
                    session, _table(consultation), consultation.id == cid))
    for guardian_id in sorted(guardian_ids):
        linked = session.scalar(select(func.count()).select_from(GuardianLink).where(
            GuardianLink.guardian_id == guardian_id))
        if not linked:
            note("guardians", _delete_where(session, _table(Guardian),
                                            Guardian.id == guardian_id))
    session.flush()

    digests: set[str] = set()
    removed_files = 0
    removed_bytes = 0
    for file_id in sorted(file_ids):
        record = session.get(FileRecord, file_id)
        if record is None or _file_in_use(session, file_id):
            continue
        digests.add(record.sha256)
        removed_files += 1
        removed_bytes += record.size
        session.delete(record)
    session.flush()
    note("files", removed_files)
    # Content addressing: the bytes stay while any other row names the same digest.
    orphaned = sorted(d for d in digests if not session.scalar(
        select(exists().where(FileRecord.sha256 == d))))
    report = RetentionDeletion(
        student_no=student.student_no, graduated_on=student.graduated_on,
        sealed_at=student.sealed_at, retention_end=rules.retention_end(student.graduated_on),
        deleted_at=now, rows=rows, files=removed_files, bytes=removed_bytes,
        pending_digests=orphaned, files_removed_at=None if orphaned else now, files_removed=0,
    )
    session.add(report)
    session.expunge(student)
    session.flush()
    return report


def _consultation_files(session: Session, consultation_id: int) -> set[int]:
    from storage.models import records

    attachment = getattr(records, "ConsultationFile", None)
    if attachment is None:
        return set()
    return set(session.scalars(select(attachment.file_id).where(
        attachment.consultation_id == consultation_id)))


def _delete_recipient_rows(session: Session, recipient: str,
                           note: Callable[[str, int], None]) -> None:
    """Rows that name the student as "student:<id>" without a foreign key (the schedule's
    delivery memory, event RSVPs): any table with a text `recipient` column."""
    for table in Base.metadata.sorted_tables:
        column = table.columns.get("recipient")
        if column is not None and isinstance(column.type, String):
            note(table.name, _delete_where(session, table, column == recipient))


def remove_pending_bytes(session: Session, files: FileStore, now: datetime) -> int:
    """Remove the bytes deleted rows left behind, once no file row names them (after commit)."""
    lock_named(session, FILES_LOCK)
    removed = 0
    for report in session.scalars(select(RetentionDeletion).where(
            RetentionDeletion.files_removed_at.is_(None)).order_by(RetentionDeletion.id)):
        count = 0
        for digest in list(report.pending_digests or []):
            if session.scalar(select(exists().where(FileRecord.sha256 == digest))):
                continue  # the same bytes were uploaded again meanwhile
            if files.delete(digest):
                count += 1
        report.files_removed = (report.files_removed or 0) + count
        report.pending_digests = []
        report.files_removed_at = now
        removed += count
    session.flush()
    return removed


def write_deletion_report(session: Session, path: Path) -> int:
    """The whole deletion report as a CSV (rewritten atomically from the table); rows written."""
    reports = list(session.scalars(select(RetentionDeletion).order_by(RetentionDeletion.id)))
    buffer = io.StringIO()
    writer = sheets.csv_writer(buffer, lineterminator="\n")
    writer.writerow(DELETION_REPORT_COLUMNS)
    for r in reports:
        writer.writerow([
            format_datetime(r.deleted_at), r.student_no, r.graduated_on.isoformat(),
            format_datetime(r.sealed_at) if r.sealed_at else "", r.retention_end.isoformat(),
            "; ".join(f"{k}={v}" for k, v in sorted((r.rows or {}).items())), r.files, r.bytes,
            format_datetime(r.files_removed_at) if r.files_removed_at else "",
        ])
    _write_atomically(path, ("\ufeff" + buffer.getvalue()).encode("utf-8"))
    return len(reports)


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as sink:
            sink.write(data)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


# --- rule 七: platform management proxies -------------------------------------------------------


@dataclass(frozen=True)
class ManagementLink:
    staff: Staff
    role: str
    available: bool
    away_until: date | None = None  # None with available False: away with no end date


def _away(session: Session, day: date) -> dict[int, TeacherAbsence]:
    return {
        a.staff_id: a
        for a in session.scalars(select(TeacherAbsence).where(
            TeacherAbsence.cancelled_at.is_(None), TeacherAbsence.starts_on <= day))
        if a.covers(day)
    }


def management_chain(session: Session, now: datetime) -> list[ManagementLink]:
    """The platform-management chain of rule 七 on today's Taipei date, absent people included."""
    day = taipei_date(now)
    away = _away(session, day)
    links: list[ManagementLink] = []
    seen: set[int] = set()
    for role in MANAGEMENT_CHAIN:
        for staff in session.scalars(
            select(Staff).join(StaffRole, StaffRole.staff_id == Staff.id)
            .where(StaffRole.role == role).order_by(Staff.id)
        ):
            if staff.id in seen:
                continue
            seen.add(staff.id)
            absence = away.get(staff.id)
            links.append(ManagementLink(staff, role, absence is None,
                                        absence.ends_on if absence else None))
    return links


def management_contact(session: Session, now: datetime) -> Staff | None:
    """Who staff-only notices go to now: the first link of the chain who is not away; when
    everyone is away, the last link (as certification does: someone must hear); None when the
    roster names none of the three heads."""
    links = management_chain(session, now)
    for link in links:
        if link.available:
            return link.staff
    return links[-1].staff if links else None


def management_recipients(session: Session, now: datetime) -> list[tuple[Staff, str]]:
    """(staff, LINE user id) in the order a notice should try them: available links first."""
    links = management_chain(session, now)
    ordered = [lk for lk in links if lk.available] + [lk for lk in links if not lk.available][::-1]
    found = []
    for link in ordered:
        account = session.scalars(select(LineAccount.line_user_id).where(
            LineAccount.staff_id == link.staff.id, LineAccount.followed.is_(True))).first()
        if account is not None:
            found.append((link.staff, account))
    return found


# --- a student's whole portfolio, for a transfer to another school ---------------------------


EXPORT_FORMAT: Final = "portfolio-student-export/1"
_EXTENSION_OF: Final = {MIME_TYPES[kind]: ext for kind, ext in EXTENSIONS.items()}
ZIP_ENTRY_TIME: Final = (1980, 1, 1, 0, 0, 0)
_SAFE = re.compile(r"[^0-9A-Za-z_-]")
# Columns never written into an export: secrets and lookup hashes.
_SECRET_COLUMNS: Final = frozenset({"national_id", "national_id_hash", "phone", "phone_hash",
                                    "code_hash"})

Labeller = Callable[[str], str | None]


@dataclass
class StudentExport:
    path: Path
    sha256: str
    items: int
    files: int
    missing: list[str]


@dataclass
class _Entry:
    name: str
    sha256: str
    record: FileRecord


def _when(value: datetime | None) -> str:
    return format_datetime(value) if value else ""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return taipei(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _file_name(ref: str, slot: str, record: FileRecord) -> str:
    return f"files/{ref}_{slot}{_EXTENSION_OF.get(record.mime, '.bin')}"


def export_student(session: Session, files: FileStore, student: Student, out_dir: Path,
                   now: datetime, label: Labeller, with_national_id: bool = False
                   ) -> StudentExport:
    """One zip with every item (status, certification, decider and capacity), the class
    history, standing changes, records other features keep about the student (consultations,
    cadres, grade-12 documents...), the files themselves and a sha256 manifest."""
    from school.export import RECORD_TYPE_BY_KEY

    def lab(key: str, default: str) -> str:
        return label(key) or default

    staff_names = {s.id: s.name for s in session.scalars(select(Staff))}
    class_codes = {c.id: c.code for c in session.scalars(select(SchoolClass))}
    entries: list[_Entry] = []

    def attach(ref: str, slot: str, record: FileRecord | None) -> str:
        if record is None:
            return ""
        entry = _Entry(_file_name(ref, slot, record), record.sha256, record)
        entries.append(entry)
        return entry.name

    basic = {
        "student_no": student.student_no, "name": student.name,
        "national_id": (student.national_id or "") if with_national_id
        else mask_national_id(student.national_id),
        "birth_date": _jsonable(student.birth_date), "grade": student.grade,
        "class": class_codes.get(student.class_id or 0, ""), "seat_no": student.seat_no,
        "entry_year": student.entry_year, "status": student.status,
        "graduated_on": _jsonable(student.graduated_on), "sealed_at": _jsonable(student.sealed_at),
    }
    history = [
        {"class": class_codes.get(h.class_id, ""), "seat_no": h.seat_no,
         "since": _jsonable(h.since), "note": h.note or ""}
        for h in session.scalars(select(StudentClassHistory).where(
            StudentClassHistory.student_id == student.id).order_by(StudentClassHistory.since,
                                                                   StudentClassHistory.id))
    ]
    changes = [
        {"kind": c.kind, "label": lab(f"lifecycle.change.{c.kind}", c.kind),
         "effective_on": _jsonable(c.effective_on), "from_status": c.from_status,
         "to_status": c.to_status, "from_class": class_codes.get(c.from_class_id or 0, ""),
         "to_class": class_codes.get(c.to_class_id or 0, ""), "old_student_no": c.old_student_no,
         "new_student_no": c.new_student_no, "note": c.note or "",
         "recorded_at": _jsonable(c.created_at)}
        for c in session.scalars(select(StudentChange).where(
            StudentChange.student_id == student.id).order_by(StudentChange.id))
    ]
    outcomes = []
    for o in session.scalars(select(CourseOutcome).where(
            CourseOutcome.student_id == student.id).order_by(
            CourseOutcome.academic_year, CourseOutcome.semester, CourseOutcome.id)):
        ref = f"C{o.id}"
        course = o.course
        outcomes.append({
            "ref": ref, "academic_year": o.academic_year, "semester": o.semester,
            "course_code": course.code if course else "",
            "subject": course.subject if course else "",
            "teacher": staff_names.get(course.teacher_id or 0, "") if course else "",
            "summary": o.summary, "status": o.status,
            "status_label": lab(f"upload.status.{o.status}", o.status),
            "decided_by": staff_names.get(o.decided_by_id or 0, ""),
            "decided_capacity": lab(f"certify.capacity.{o.decided_capacity}",
                                    o.decided_capacity or "") if o.decided_capacity else "",
            "decided_at": _jsonable(o.decided_at), "reject_reason": o.reject_reason or "",
            "replaces": f"C{o.replaces_id}" if o.replaces_id else "",
            "picked": o.picked_at is not None, "submitted_at": _jsonable(o.submitted_at),
            "document": attach(ref, "doc", o.document), "video": attach(ref, "av", o.video),
        })
    performances = []
    for p in session.scalars(select(Performance).where(
            Performance.student_id == student.id).order_by(
            Performance.academic_year, Performance.semester, Performance.id)):
        ref = f"P{p.id}"
        kind = RECORD_TYPE_BY_KEY.get(p.record_type)
        headers = dict(kind.fields) if kind else {}
        performances.append({
            "ref": ref, "academic_year": p.academic_year, "semester": p.semester,
            "record_type": p.record_type,
            "record_type_label": kind.label if kind else p.record_type,
            "fields": {headers.get(k, k): v for k, v in (p.fields or {}).items()},
            "summary": p.summary, "status": p.status,
            "status_label": lab(f"upload.status.{p.status}", p.status),
            "picked": p.picked_at is not None, "entered_by_staff": p.entered_by_staff,
            "submitted_at": _jsonable(p.submitted_at),
            "proofs": [attach(ref, str(n), pf.file) for n, pf in enumerate(p.proofs, start=1)],
        })
    others = _other_records(session, student, staff_names, class_codes)
    document = {
        "format": EXPORT_FORMAT, "exported_at": _jsonable(now), "student": basic,
        "class_history": history, "changes": changes, "course_outcomes": outcomes,
        "performances": performances, "other_records": others,
    }
    workbook = _export_workbook(document, lab)
    body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    safe_no = _SAFE.sub("_", student.student_no)
    target = out_dir / f"portfolio-{safe_no}-{taipei_date(now):%Y%m%d}.zip"
    missing = [e.name for e in entries if not files.exists(e.sha256)]
    digest = _write_export_zip(files, target, body, workbook, entries)
    return StudentExport(target, digest, len(outcomes) + len(performances),
                         len(entries) - len(missing), missing)


def _other_records(session: Session, student: Student, staff_names: dict[int, str],
                   class_codes: dict[int, str]) -> dict[str, list[dict[str, Any]]]:
    """Every other table that keeps rows about the student, one hop out (a consultation row
    for a consultation-participant row), without secrets."""
    known = {"course_outcomes", "performances", "student_class_history", "student_changes",
             "enrolments", "binding_codes", "guardian_links", "audit_log"}
    found: dict[str, list[dict[str, Any]]] = {}
    for table, column, _ in _tables_referencing("students"):
        if table.name in _NOT_EMPTIED or table.name in known:
            continue
        rows = []
        for row in session.execute(select(table).where(column == student.id)).mappings():
            rows.append(_row_dict(session, table, dict(row), staff_names, class_codes, hop=True))
        if rows:
            found.setdefault(table.name, []).extend(rows)
    return found


def _row_dict(session: Session, table: Table, row: dict[str, Any], staff_names: dict[int, str],
              class_codes: dict[int, str], hop: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name in _SECRET_COLUMNS or name == "student_id":
            continue
        column = table.columns[name]
        targets = {fk.column.table.name for fk in column.foreign_keys}
        if "staff" in targets:
            out[name] = staff_names.get(value or 0, "")
        elif "classes" in targets:
            out[name] = class_codes.get(value or 0, "")
        elif hop and targets and value is not None and not targets & {"files", "students"}:
            parent = next(iter(column.foreign_keys)).column.table
            pk = list(parent.primary_key.columns)[0]
            found = session.execute(select(parent).where(pk == value)).mappings().first()
            out[name] = _row_dict(session, parent, dict(found), staff_names, class_codes,
                                  hop=False) if found else value
        else:
            out[name] = _jsonable(value)
    return out


def _export_workbook(document: dict[str, Any], lab: Callable[[str, str], str]) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)

    def sheet(key: str, headers: list[tuple[str, str]], rows: list[dict[str, Any]],
              default: str = "") -> None:
        ws = book.create_sheet(lab(f"lifecycle.export.sheet.{key}", default or key)[:31])
        sheets.append_row(ws, [lab(f"lifecycle.export.col.{h}", d) for h, d in headers])
        for row in rows:
            sheets.append_row(ws, [_cell(row.get(h)) for h, _ in headers])

    student = document["student"]
    sheet("student", [(k, k) for k in student], [student])
    sheet("class_history", [("class", "class"), ("seat_no", "seat_no"),
                           ("since", "since"), ("note", "note")],
          document["class_history"])
    sheet("changes", [(k, k) for k in (
        "label", "effective_on", "from_status", "to_status", "from_class", "to_class",
        "old_student_no", "new_student_no", "note", "recorded_at")], document["changes"])
    sheet("course_outcomes", [(k, k) for k in (
        "ref", "academic_year", "semester", "course_code", "subject", "teacher", "summary",
        "status_label", "decided_by", "decided_capacity", "decided_at", "reject_reason",
        "replaces", "picked", "submitted_at", "document", "video")], document["course_outcomes"])
    sheet("performances", [(k, k) for k in (
        "ref", "academic_year", "semester", "record_type_label", "fields", "summary",
        "status_label", "picked", "entered_by_staff", "submitted_at", "proofs")],
          document["performances"])
    for table, rows in document["other_records"].items():
        headers = list(dict.fromkeys(k for row in rows for k in row))
        sheet(f"table.{table}", [(h, h) for h in headers], rows, default=table)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return text("lifecycle.export.yes") if value else text("lifecycle.export.no")
    if isinstance(value, dict):
        return "；".join(f"{k}：{_cell(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "、".join(str(_cell(v)) for v in value if v)
    return value


def _write_export_zip(files: FileStore, target: Path, body: bytes, workbook: bytes,
                      entries: list[_Entry]) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    # 0600: the zip holds a person's whole school record.
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial",
                                     dir=target.parent)
    temp = Path(temp_name)
    manifest = io.StringIO()
    writer = sheets.csv_writer(manifest, lineterminator="\n")
    writer.writerow(("path", "sha256", "bytes"))
    try:
        with os.fdopen(fd, "w+b") as raw:
            with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, data in (("portfolio.json", body), ("portfolio.xlsx", workbook)):
                    zf.writestr(name, data)
                    writer.writerow((name, hashlib.sha256(data).hexdigest(), len(data)))
                written: set[str] = set()
                for entry in entries:
                    if entry.name in written:
                        continue
                    written.add(entry.name)
                    try:
                        source = files.open(entry.sha256)
                    except NotStored:
                        continue  # reported as missing by the caller
                    info = zipfile.ZipInfo(entry.name, ZIP_ENTRY_TIME)
                    info.external_attr = 0o640 << 16
                    info.compress_type = zipfile.ZIP_STORED
                    digest = hashlib.sha256()
                    size = 0
                    with source, zf.open(info, "w") as sink:
                        while chunk := source.read(CHUNK_SIZE):
                            digest.update(chunk)
                            size += len(chunk)
                            sink.write(chunk)
                    if digest.hexdigest() != entry.sha256:
                        raise RuntimeError(f"{entry.name}: stored bytes do not match their name")
                    writer.writerow((entry.name, entry.sha256, size))
                zf.writestr("manifest.csv", manifest.getvalue().encode("utf-8"))
            raw.flush()
            os.fsync(raw.fileno())
            raw.seek(0)
            digest = hashlib.sha256()
            while chunk := raw.read(CHUNK_SIZE):
                digest.update(chunk)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return digest.hexdigest()
