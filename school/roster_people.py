"""The people rosters: students, staff and guardians, each planned row by row."""

from __future__ import annotations

from school.import_plan import Diffs, ImportContext, Planned, RosterKind, _show, _stored_phone_hash
from school.roster_columns import CLASS, GRADE, STUDENT_NO
from school.roster_files import (
    ACTIVE_STATUS,
    CONVENER,
    HEAD_ROLES,
    LEFT_STATUSES,
    STAFF_ROLES,
    Column,
    RowCheck,
    t,
)
from storage.crypto import cipher, mask_national_id
from storage.models.school import (
    Guardian,
    GuardianLink,
    Staff,
    StaffRole,
    Student,
    StudentClassHistory,
)

# students -----------------------------------------------------------------------------------------

STUDENT_COLUMNS = (
    STUDENT_NO,
    Column("name", "col.name", ("學生姓名", "name")),
    Column(
        "national_id",
        "col.national_id",
        (
            "身份證號",
            "身分證字號",
            "身份證字號",
            "身分證統一編號",
            "統一證號",
            "national_id",
            "id_no",
        ),
    ),
    GRADE,
    CLASS,
    Column("seat", "col.seat", ("seat", "seat_no")),
    Column("entry_year", "col.entry_year", ("入學年度", "entry_year"), required=False),
    Column("status", "col.status", ("在學狀態", "status"), required=False),
    Column(
        "birth_date",
        "col.birth_date",
        ("生日", "出生年月日", "birth_date", "birthday"),
        required=False,
    ),
)


def _plan_student(ctx: ImportContext, row: RowCheck) -> Planned | None:
    number = row.code("student_no", "col.student_no", 20)
    name = row.text("name", "col.name", 64)
    national_id = row.national_id()
    grade = row.grade()
    school_class = ctx.known_class(row)
    seat = row.integer("seat", t("row.seat_number"), 1, 999, label_key="col.seat")
    entry_year = row.academic_year("entry_year", "row.entry_year", required=False)
    status = row.text("status", "col.status", 16, required=False)
    birth_date = row.day("birth_date", "col.birth_date")

    if school_class and grade and school_class.grade != grade:
        row.problem(
            t(
                "row.grade_mismatch",
                grade=grade,
                code=school_class.code,
                class_grade=school_class.grade,
            )
        )
    if number and (first := ctx.first_row("student_no", number, row=row.number)):
        row.problem(t("row.duplicate_student_no", no=number, first=first))
    id_hash = cipher().lookup_hash(national_id) if national_id else None
    if id_hash and (first := ctx.first_row("national_id", id_hash, row=row.number)):
        row.problem(t("row.duplicate_national_id", first=first))
    if (
        school_class
        and seat
        and (first := ctx.first_row("seat", school_class.id, seat, row=row.number))
    ):
        row.problem(t("row.duplicate_seat", code=school_class.code, seat=seat, first=first))
    if number and id_hash:
        ctx.file_values.setdefault("id_hash", {})[number] = (id_hash, row.number)
    if row.failed or not (
        number and name and national_id and id_hash and grade and school_class and seat
    ):
        return None

    label = t("label.student", no=number)
    student = ctx.students.get(number)
    if student is None:

        def create() -> None:
            new = Student(
                student_no=number,
                name=name,
                national_id=national_id,
                national_id_hash=id_hash,
                birth_date=birth_date,
                grade=grade,
                class_id=school_class.id,
                seat_no=seat,
                entry_year=entry_year,
                status=status or ACTIVE_STATUS,
            )
            ctx.session.add(new)
            ctx.after_apply.append(lambda: _record_class(ctx, new, "history.first"))

        return Planned("new", label, apply=create)

    diffs = Diffs(student)
    diffs.field("name", name, "col.name")
    if student.national_id_hash != id_hash:
        old = mask_national_id(student.national_id) or t("change.empty")
        diffs.assign(
            "national_id",
            national_id,
            t(
                "change.arrow",
                label=t("col.national_id"),
                old=old,
                new=mask_national_id(national_id),
            ),
        )
        diffs.assign("national_id_hash", id_hash)
        # Two students' IDs may swap in one file: free the unique hashes before setting any.
        ctx.before_apply.append(lambda: setattr(student, "national_id_hash", None))
    if birth_date is not None:
        diffs.field("birth_date", birth_date, "col.birth_date")
    diffs.field("grade", grade, "col.grade")
    class_changed = diffs.field(
        "class_id", school_class.id, "col.class", show=lambda cid: _show(ctx.class_codes.get(cid))
    )
    diffs.field("seat_no", seat, "col.seat")
    if entry_year is not None:
        diffs.field("entry_year", entry_year, "col.entry_year")
    if status is not None:
        diffs.field("status", status, "col.status")
    if not diffs.lines:
        return Planned("same", label)

    def update() -> None:
        # In place, never delete and re-create: every record points at students.id (rule 五).
        diffs.apply()
        if class_changed:
            ctx.after_apply.append(lambda: _record_class(ctx, student, "history.class_change"))

    return Planned("update", label, diffs.lines, update)


def _record_class(ctx: ImportContext, student: Student, note_key: str) -> None:
    assert student.class_id is not None
    ctx.session.add(
        StudentClassHistory(
            student_id=student.id,
            class_id=student.class_id,
            seat_no=student.seat_no,
            since=ctx.now,
            note=t(note_key),
        )
    )


def _finish_students(ctx: ImportContext) -> None:
    in_file: dict[str, tuple[str, int]] = ctx.file_values.get("id_hash", {})
    for number, (id_hash, row) in in_file.items():
        owner = ctx.students_by_hash.get(id_hash)
        if owner is None or owner.student_no == number:
            continue
        # The owner keeps the ID unless this same file gives the owner a different one.
        # (The owner in the file with this same ID is a duplicate, reported row by row already.)
        if owner.student_no not in in_file:
            ctx.problems_of(row).append(t("row.national_id_taken", no=owner.student_no))
    missing = sum(
        1 for no, s in ctx.students.items() if no not in in_file and s.status not in LEFT_STATUSES
    )
    if missing:
        ctx.notes.append(t("note.students_missing", count=missing))


# staff --------------------------------------------------------------------------------------------

STAFF_COLUMNS = (
    Column(
        "staff_no", "col.staff_no", ("教師編號", "職員編號", "員工編號", "staff_no", "teacher_no")
    ),
    Column("name", "col.name", ("name",)),
    Column("roles", "col.roles", ("職務", "roles", "role")),
    Column(
        "subject", "col.subject_area", ("任教科目", "學科", "subject", "department"), required=False
    ),
)


def _plan_staff(ctx: ImportContext, row: RowCheck) -> Planned | None:
    number = row.code("staff_no", "col.staff_no", 20)
    name = row.text("name", "col.name", 64)
    roles = row.roles()
    subject = row.text("subject", "col.subject_area", 32, required=False)
    if roles and CONVENER in roles and not subject:
        row.problem(t("row.convener_needs_subject"))
    if number and (first := ctx.first_row("staff_no", number, row=row.number)):
        row.problem(t("row.duplicate_staff_no", no=number, first=first))
    if number:
        ctx.file_values.setdefault("staff_no", {})[number] = row.number
    if row.failed or not (number and name and roles):
        return None

    label = t("label.staff", no=number)
    staff = ctx.staff.get(number)
    if staff is None:

        def create() -> None:
            ctx.session.add(
                Staff(
                    staff_no=number,
                    name=name,
                    subject=subject,
                    roles=[StaffRole(role=r) for r in sorted(roles)],
                )
            )

        return Planned("new", label, apply=create)

    diffs = Diffs(staff)
    diffs.field("name", name, "col.name")
    if subject is not None:
        diffs.field("subject", subject, "col.subject_area")
    old_roles = staff.role_names
    if old_roles != roles:
        diffs.lines.append(
            t(
                "change.arrow",
                label=t("col.roles"),
                old=_roles_text(old_roles),
                new=_roles_text(roles),
            )
        )
    if not diffs.lines:
        return Planned("same", label)

    def update() -> None:
        diffs.apply()
        for role in list(staff.roles):
            if role.role not in roles:
                staff.roles.remove(role)
        for name_of_role in sorted(roles - old_roles):
            staff.roles.append(StaffRole(role=name_of_role))

    return Planned("update", label, diffs.lines, update)


def _roles_text(roles: set[str]) -> str:
    order = {role: i for i, role in enumerate((*STAFF_ROLES, *HEAD_ROLES))}
    return "、".join(sorted(roles, key=lambda r: order.get(r, len(order)))) or t("change.empty")


def _finish_staff(ctx: ImportContext) -> None:
    in_file = ctx.file_values.get("staff_no", {})
    missing = sum(1 for no in ctx.staff if no not in in_file)
    if missing:
        ctx.notes.append(t("note.staff_missing", count=missing))


# guardians ----------------------------------------------------------------------------------------

GUARDIAN_COLUMNS = (
    STUDENT_NO,
    Column(
        "guardian_name", "col.guardian_name", ("監護人姓名", "家長", "guardian_name", "guardian")
    ),
    Column("relation", "col.relation", ("稱謂", "relation", "relationship")),
    Column("phone", "col.phone", ("手機號碼", "行動電話", "mobile", "phone"), required=False),
)


def _plan_guardian(ctx: ImportContext, row: RowCheck) -> Planned | None:
    student = ctx.known_student(row)
    name = row.text("guardian_name", "col.guardian_name", 64)
    relation = row.text("relation", "col.relation", 16, required=False)
    phone = row.phone()
    phone_hash = cipher().lookup_hash(phone) if phone else None
    if student and name and (first := ctx.first_row("guardian", student.id, name, row=row.number)):
        row.problem(t("row.duplicate_guardian", no=student.student_no, name=name, first=first))
    if row.failed or not (student and name):
        return None

    label = t("label.guardian", no=student.student_no, name=name)
    links = ctx.guardian_links.get(student.id, [])
    link = next((k for k in links if k.guardian.name == name), None)
    if link is not None:
        return _update_guardian(ctx, row, link, label, relation, phone, phone_hash)

    # A parent of siblings is one guardian with a link per child, found by name and phone.
    guardian = ctx.guardians_by_phone.get((name, phone_hash)) if phone_hash else None
    if guardian is not None:
        ctx.count("shared_guardians")
    else:
        guardian = Guardian(name=name, phone=phone, phone_hash=phone_hash)
        if phone_hash:
            ctx.guardians_by_phone[(name, phone_hash)] = guardian
    shared = guardian

    def create() -> None:
        ctx.session.add(GuardianLink(guardian=shared, student_id=student.id, relation=relation))

    return Planned("new", label, apply=create)


def _update_guardian(
    ctx: ImportContext,
    row: RowCheck,
    link: GuardianLink,
    label: str,
    relation: str | None,
    phone: str | None,
    phone_hash: str | None,
) -> Planned | None:
    guardian = link.guardian
    diffs = Diffs(link)
    if relation is not None:
        diffs.field("relation", relation, "col.relation")
    phone_diffs = Diffs(guardian)
    if phone_hash is not None:
        first = ctx.conflicting_row("guardian_phone", guardian.id, value=phone_hash, row=row.number)
        if first:
            row.problem(t("row.phone_conflict", first=first))
            return None
        if _stored_phone_hash(guardian) != phone_hash:
            # Only staff may see a parent's phone; the summary says that it changed, not to what.
            phone_diffs.assign("phone", phone, t("change.phone"))
            phone_diffs.assign("phone_hash", phone_hash)
    lines = diffs.lines + phone_diffs.lines
    if not lines:
        return Planned("same", label)

    def update() -> None:
        diffs.apply()
        phone_diffs.apply()

    return Planned("update", label, lines, update)


def _finish_guardians(ctx: ImportContext) -> None:
    if ctx.counters.get("shared_guardians"):
        ctx.notes.append(t("note.shared_guardian", count=ctx.counters["shared_guardians"]))


STUDENTS = RosterKind("students", STUDENT_COLUMNS, _plan_student, _finish_students)
STAFF = RosterKind("staff", STAFF_COLUMNS, _plan_staff, _finish_staff)
GUARDIANS = RosterKind("guardians", GUARDIAN_COLUMNS, _plan_guardian, _finish_guardians)
