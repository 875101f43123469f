"""The plan/apply import engine shared by rosters, receipt lists and records: every row checked
and planned first, then applied all or nothing, with what changed told row by row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, defer

from school.roster_files import (
    LEFT_STATUSES,
    Column,
    RosterFileError,
    RosterTable,
    RowCheck,
    map_rows,
    read_roster_file,
    t,
)
from storage.crypto import cipher
from storage.db import lock_named
from storage.models.school import (
    Course,
    Enrolment,
    Guardian,
    GuardianLink,
    SchoolClass,
    Staff,
    Student,
    Term,
)

Action = Literal["new", "update", "same"]


@dataclass
class Planned:
    """What one valid row will do; apply is called only on a real import of a clean file."""

    action: Action
    label: str
    changes: list[str] = field(default_factory=list)
    apply: Callable[[], None] | None = None


class Diffs:
    """Field changes to one stored row: the lines to show and the assignments to make."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.lines: list[str] = []
        self._assignments: list[tuple[str, Any]] = []

    def field(
        self, attr: str, new: Any, label_key: str, show: Callable[[Any], str] | None = None
    ) -> bool:
        old = getattr(self.target, attr)
        if old == new:
            return False
        render = show or _show
        self.lines.append(t("change.arrow", label=t(label_key), old=render(old), new=render(new)))
        self._assignments.append((attr, new))
        return True

    def assign(self, attr: str, value: Any, line: str | None = None) -> None:
        """An assignment whose line the caller words (or that rides on another line)."""
        if line:
            self.lines.append(line)
        self._assignments.append((attr, value))

    def apply(self) -> None:
        for attr, value in self._assignments:
            setattr(self.target, attr, value)


def _show(value: Any) -> str:
    return t("change.empty") if value is None or value == "" else str(value)


@dataclass(frozen=True)
class RowError:
    row: int
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        return t("row.line", row=self.row, reasons="；".join(self.reasons))


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    file_errors: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.errors

    @property
    def kind_name(self) -> str:
        return t(f"kind.{self.kind}")

    def error_lines(self) -> list[str]:
        if self.file_errors:
            return [t("summary.file_failed", kind=self.kind_name), *self.file_errors]
        return [
            t("summary.failed", kind=self.kind_name, count=len(self.errors)),
            *(str(e) for e in self.errors),
        ]

    def summary_lines(self) -> list[str]:
        title = "summary.dry_run" if self.dry_run else "summary.done"
        lines = [
            t(title, kind=self.kind_name),
            t("summary.counts", added=self.added, updated=self.updated, unchanged=self.unchanged),
        ]
        if self.changes:
            lines.append(t("summary.updates"))
            lines.extend(f"  {change}" for change in self.changes)
        lines.extend(self.notes)
        return lines


class ImportContext:
    """One import's session, clock and lookups, loaded once instead of one query per row."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.problems: dict[int, list[str]] = {}
        self.notes: list[str] = []
        self.counters: dict[str, int] = {}
        self.before_apply: list[Callable[[], None]] = []
        self.after_apply: list[Callable[[], None]] = []
        self._first_rows: dict[tuple[Any, ...], int] = {}
        self._values: dict[tuple[Any, ...], tuple[Any, int]] = {}
        self.file_values: dict[str, dict[Any, Any]] = {}

    def problems_of(self, row: int) -> list[str]:
        return self.problems.setdefault(row, [])

    def first_row(self, *key: Any, row: int) -> int | None:
        """The earlier row that had this key, or None (and this row becomes the first)."""
        first = self._first_rows.setdefault(key, row)
        return first if first != row else None

    def conflicting_row(self, *key: Any, value: Any, row: int) -> int | None:
        """The earlier row that gave this key a different value, if any."""
        earlier = self._values.setdefault(key, (value, row))
        return earlier[1] if earlier[0] != value else None

    def note_once(self, line: str) -> None:
        if line not in self.notes:
            self.notes.append(line)

    def count(self, name: str, amount: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + amount

    # lookups

    @cached_property
    def classes(self) -> dict[str, SchoolClass]:
        return {c.code: c for c in self.session.scalars(select(SchoolClass))}

    @cached_property
    def class_codes(self) -> dict[int, str]:
        return {c.id: c.code for c in self.classes.values()}

    @cached_property
    def staff(self) -> dict[str, Staff]:
        return {s.staff_no: s for s in self.session.scalars(select(Staff))}

    @cached_property
    def staff_nos(self) -> dict[int, str]:
        return {s.id: s.staff_no for s in self.staff.values()}

    @cached_property
    def students(self) -> dict[str, Student]:
        # The national ID stays encrypted unless a change line needs it masked.
        query = select(Student).options(defer(Student.national_id))
        return {s.student_no: s for s in self.session.scalars(query)}

    @cached_property
    def students_by_hash(self) -> dict[str, Student]:
        return {s.national_id_hash: s for s in self.students.values() if s.national_id_hash}

    @cached_property
    def class_members(self) -> dict[int, list[Student]]:
        members: dict[int, list[Student]] = {}
        for student in self.students.values():
            if student.class_id is not None and student.status not in LEFT_STATUSES:
                members.setdefault(student.class_id, []).append(student)
        return members

    @cached_property
    def terms(self) -> dict[tuple[int, int], Term]:
        return {(x.academic_year, x.semester): x for x in self.session.scalars(select(Term))}

    def term(self, year: int, semester: int) -> Term:
        """The term, made on first use by a real import."""
        term = self.terms.get((year, semester))
        if term is None:
            term = self.terms[(year, semester)] = Term(academic_year=year, semester=semester)
            self.session.add(term)
        return term

    @cached_property
    def courses(self) -> dict[tuple[int, str], list[Course]]:
        by_code: dict[tuple[int, str], list[Course]] = {}
        for course in self.session.scalars(select(Course)):
            by_code.setdefault((course.term_id, course.code), []).append(course)
        return by_code

    @cached_property
    def enrolled(self) -> set[tuple[int, int]]:
        query = select(Enrolment.student_id, Enrolment.course_id)
        return {(student_id, course_id) for student_id, course_id in self.session.execute(query)}

    @cached_property
    def guardian_links(self) -> dict[int, list[GuardianLink]]:
        links: dict[int, list[GuardianLink]] = {}
        query = (
            select(GuardianLink)
            .join(GuardianLink.guardian)
            .options(contains_eager(GuardianLink.guardian))
        )
        for link in self.session.scalars(query):
            links.setdefault(link.student_id, []).append(link)
        return links

    @cached_property
    def guardians_by_phone(self) -> dict[tuple[str, str], Guardian]:
        """(name, phone hash) → guardian; rows of this file add the guardians they will create."""
        found: dict[tuple[str, str], Guardian] = {}
        for links in self.guardian_links.values():
            for link in links:
                guardian = link.guardian
                phone_hash = _stored_phone_hash(guardian)
                if phone_hash:
                    found.setdefault((guardian.name, phone_hash), guardian)
        return found

    def known_class(
        self, check: RowCheck, key: str = "class", *, required: bool = True
    ) -> SchoolClass | None:
        code = check.code(key, "col.class", 16, required=required)
        if code is None:
            return None
        school_class = self.classes.get(code)
        if school_class is None:
            check.problem(t("row.unknown_class", code=code))
        return school_class

    def known_staff(
        self, check: RowCheck, key: str, label_key: str, *, required: bool = True
    ) -> Staff | None:
        number = check.code(key, label_key, 20, required=required)
        if number is None:
            return None
        staff = self.staff.get(number)
        if staff is None:
            check.problem(t("row.unknown_staff", no=number))
        return staff

    def known_student(self, check: RowCheck) -> Student | None:
        number = check.code("student_no", "col.student_no", 20)
        if number is None:
            return None
        student = self.students.get(number)
        if student is None:
            check.problem(t("row.unknown_student", no=number))
        return student


def _stored_phone_hash(guardian: Guardian) -> str | None:
    if guardian.phone_hash:
        return guardian.phone_hash
    # Guardians entered before phone_hash existed: hash the decrypted phone once.
    return cipher().lookup_hash(guardian.phone) if guardian.phone else None


PlanRow = Callable[[ImportContext, RowCheck], "Planned | None"]


@dataclass(frozen=True)
class RosterKind:
    name: str
    columns: tuple[Column, ...]
    plan_row: PlanRow
    # Checks and notes that need every row first (IDs moving between students, missing students).
    finish: Callable[[ImportContext], None] | None = None

    @property
    def title(self) -> str:
        return t(f"kind.{self.name}")

    def describe(self) -> str:
        required = "、".join(c.label for c in self.columns if c.required)
        optional = "、".join(c.label for c in self.columns if not c.required)
        line = t("describe", kind=self.title, required=required)
        return line + (t("describe_optional", optional=optional) if optional else "")


IMPORT_LOCK = "roster-import"


Source = str | Path | RosterTable
# Told (rows done, rows in the file) once the file is read, for a job's progress bar.
Progress = Callable[[int, int], None]


def run_import(
    session: Session,
    spec: RosterKind,
    source: Source,
    make_context: Callable[[Session, datetime], ImportContext],
    *,
    now: datetime,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """The all-or-nothing import every kind shares (rosters here, staff-entered records too)."""
    result = ImportResult(kind=spec.name, dry_run=dry_run)
    try:
        table = source if isinstance(source, RosterTable) else read_roster_file(source)
        rows = map_rows(table, spec.columns)
    except RosterFileError as exc:
        result.file_errors = exc.lines
        return result
    # Only here, before this session writes: a job records progress in a transaction of its
    # own, which on SQLite would wait for this one's write lock (and this one for it).
    if progress is not None:
        progress(0, len(rows))

    # Two imports at once would check against rows the other is about to change.
    lock_named(session, IMPORT_LOCK)
    # UTC inside: SQLite keeps no offset, so a Taipei time would be stored eight hours off.
    ctx = make_context(session, now.astimezone(UTC))
    plans: list[Planned] = []
    for row in rows:
        planned = spec.plan_row(ctx, RowCheck(row, ctx.problems_of(row.number)))
        if planned is not None:
            plans.append(planned)
    if spec.finish is not None:
        spec.finish(ctx)

    result.errors = [
        RowError(number, tuple(dict.fromkeys(problems)))
        for number, problems in sorted(ctx.problems.items())
        if problems
    ]
    if result.errors:
        return result
    for planned in plans:
        if planned.action == "new":
            result.added += 1
        elif planned.action == "update":
            result.updated += 1
            result.changes.append(f"{planned.label} {'，'.join(planned.changes)}")
        else:
            result.unchanged += 1
    result.notes = ctx.notes
    if dry_run:
        return result

    for step in ctx.before_apply:
        step()
    session.flush()
    for planned in plans:
        if planned.apply is not None:
            planned.apply()
    session.flush()
    # Steps that need the ids the flush just gave (class history of new students).
    for step in ctx.after_apply:
        step()
    session.flush()
    result.applied = True
    return result
