"""The teaching rosters: classes, courses and enrolments, each planned row by row."""

from __future__ import annotations

from school.import_plan import Diffs, ImportContext, Planned, RosterKind, _show
from school.roster_columns import ACADEMIC_YEAR, CLASS, COURSE_CODE, GRADE, SEMESTER, STUDENT_NO
from school.roster_files import Column, RowCheck, t
from storage.models.school import Course, Enrolment, SchoolClass, Student, Term

# classes ------------------------------------------------------------------------------------------

CLASS_COLUMNS = (
    CLASS,
    Column(
        "homeroom",
        "col.homeroom",
        ("導師教職員編號", "導師教師編號", "homeroom_teacher", "homeroom_teacher_no"),
    ),
    GRADE,
)


def _plan_class(ctx: ImportContext, row: RowCheck) -> Planned | None:
    code = row.code("class", "col.class", 16)
    # A blank homeroom cell is allowed: classes are often set up before homerooms are assigned.
    homeroom = ctx.known_staff(row, "homeroom", "col.homeroom", required=False)
    grade = row.grade()
    if code and (first := ctx.first_row("class", code, row=row.number)):
        row.problem(t("row.duplicate_class", code=code, first=first))
    if homeroom and (first := ctx.first_row("homeroom", homeroom.id, row=row.number)):
        row.problem(t("row.homeroom_twice", no=homeroom.staff_no, first=first))
    if row.failed or not (code and grade):
        return None

    label = t("label.class", code=code)
    homeroom_id = homeroom.id if homeroom else None
    school_class = ctx.classes.get(code)
    if school_class is None:

        def create() -> None:
            ctx.session.add(SchoolClass(code=code, grade=grade, homeroom_teacher_id=homeroom_id))

        return Planned("new", label, apply=create)

    diffs = Diffs(school_class)
    diffs.field("grade", grade, "col.grade")
    diffs.field(
        "homeroom_teacher_id",
        homeroom_id,
        "col.homeroom",
        show=lambda sid: _show(ctx.staff_nos.get(sid)),
    )
    if not diffs.lines:
        return Planned("same", label)
    return Planned("update", label, diffs.lines, diffs.apply)


# courses ------------------------------------------------------------------------------------------

COURSE_COLUMNS = (
    ACADEMIC_YEAR,
    SEMESTER,
    COURSE_CODE,
    Column("subject", "col.course_subject", ("課程名稱", "科目", "subject", "course_name")),
    Column("class", "col.class", CLASS.aliases, required=False),
    Column("teacher", "col.teacher", ("教師編號", "任課教師編號", "teacher_no", "teacher")),
)


def _term_of(row: RowCheck) -> tuple[int, int] | None:
    year = row.academic_year("academic_year", "row.academic_year")
    semester = row.integer("semester", t("row.semester"), 1, 2, label_key="col.semester")
    return (year, semester) if year and semester else None


def _plan_course(ctx: ImportContext, row: RowCheck) -> Planned | None:
    term_key = _term_of(row)
    code = row.code("course_code", "col.course_code", 32)
    subject = row.text("subject", "col.course_subject", 64)
    school_class = ctx.known_class(row, required=False)
    teacher = ctx.known_staff(row, "teacher", "col.teacher", required=False)
    where = school_class.code if school_class else t("course.no_class")
    class_id = school_class.id if school_class else None
    class_known = school_class is not None or not row.given("class")
    if (
        term_key
        and code
        and class_known
        and (first := ctx.first_row("course", term_key, code, class_id, row=row.number))
    ):
        row.problem(t("row.duplicate_course", code=code, where=where, first=first))
    if row.failed or not (term_key and code and subject):
        return None

    label = t("label.course", code=code, where=where)
    teacher_id = teacher.id if teacher else None
    term = ctx.terms.get(term_key)
    if term is None:
        ctx.note_once(t("note.new_term", year=term_key[0], semester=term_key[1]))
    course = (
        next((c for c in ctx.courses.get((term.id, code), []) if c.class_id == class_id), None)
        if term
        else None
    )
    # A course bound to a class enrols the whole class; electives come through the enrolments file.
    members = ctx.class_members.get(class_id, []) if class_id else []
    joining = [s for s in members if course is None or (s.id, course.id) not in ctx.enrolled]
    ctx.count("class_enrolments", len(joining))

    def enrol(target: Course) -> None:
        for student in joining:
            ctx.session.add(Enrolment(student_id=student.id, course=target))

    if course is None:

        def create() -> None:
            new = Course(
                term=ctx.term(*term_key),
                code=code,
                subject=subject,
                class_id=class_id,
                teacher_id=teacher_id,
            )
            ctx.session.add(new)
            enrol(new)

        return Planned("new", label, apply=create)

    diffs = Diffs(course)
    diffs.field("subject", subject, "col.course_subject")
    diffs.field(
        "teacher_id", teacher_id, "col.teacher", show=lambda sid: _show(ctx.staff_nos.get(sid))
    )
    existing = course

    def update() -> None:
        diffs.apply()
        enrol(existing)

    return Planned(
        "update" if diffs.lines else "same",
        label,
        diffs.lines,
        update if diffs.lines or joining else None,
    )


def _finish_courses(ctx: ImportContext) -> None:
    if ctx.counters.get("class_enrolments"):
        ctx.notes.append(t("note.class_enrolments", count=ctx.counters["class_enrolments"]))


# enrolments ---------------------------------------------------------------------------------------

ENROLMENT_COLUMNS = (ACADEMIC_YEAR, SEMESTER, STUDENT_NO, COURSE_CODE)


def _plan_enrolment(ctx: ImportContext, row: RowCheck) -> Planned | None:
    term_key = _term_of(row)
    student = ctx.known_student(row)
    code = row.code("course_code", "col.course_code", 32)
    if row.failed or not (term_key and student and code):
        return None
    term = ctx.terms.get(term_key)
    if term is None:
        row.problem(t("row.unknown_term", year=term_key[0], semester=term_key[1]))
        return None
    course = _resolve_course(ctx, row, ctx.courses.get((term.id, code), []), student, code, term)
    if course is None:
        return None
    if first := ctx.first_row("enrolment", student.id, course.id, row=row.number):
        row.problem(t("row.duplicate_enrolment", no=student.student_no, code=code, first=first))
        return None

    label = t("label.enrolment", no=student.student_no, code=code)
    if (student.id, course.id) in ctx.enrolled:
        return Planned("same", label)
    return Planned(
        "new",
        label,
        apply=lambda: ctx.session.add(Enrolment(student_id=student.id, course_id=course.id)),
    )


def _resolve_course(
    ctx: ImportContext,
    row: RowCheck,
    candidates: list[Course],
    student: Student,
    code: str,
    term: Term,
) -> Course | None:
    """The one course of that code: the only one, else the student's class's, else class-less."""
    if not candidates:
        row.problem(
            t("row.unknown_course", code=code, year=term.academic_year, semester=term.semester)
        )
        return None
    if len(candidates) == 1:
        return candidates[0]
    for wanted in (student.class_id, None):
        matches = [c for c in candidates if c.class_id == wanted]
        if len(matches) == 1:
            return matches[0]
        if matches:
            break
    row.problem(t("row.ambiguous_course", code=code, no=student.student_no))
    return None


CLASSES = RosterKind("classes", CLASS_COLUMNS, _plan_class)
COURSES = RosterKind("courses", COURSE_COLUMNS, _plan_course, _finish_courses)
ENROLMENTS = RosterKind("enrolments", ENROLMENT_COLUMNS, _plan_enrolment)
