"""紀錄: cadre (訓育組, 社團組) and attendance (生輔組) imports through the roster's upload →
check your answers → confirm (then a job writes them); which classes each consultation teacher
advises (教學組); and the year's consultation records as a download built by a job. Each calls
the operation the CLI calls."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, redirect, request, url_for
from sqlalchemy.orm import Session

from bot.console.core import bp, now, page, reading, record, render, svc, transaction, user
from bot.console.office import CONSULTANT_ROLES, RECORD_KIND_ROLES, office_of
from bot.console.roster_view import check_upload, confirm_upload, preview_page
from catalogue import text
from school import consultants, records, records_import
from school import jobs as console_jobs
from school.recipients import to_roster_grade
from school.records import RecordError
from storage.clock import academic_year_of, taipei_date
from storage.models.school import SchoolClass, Staff

# The grades staff pick from (rules grades 10-12; the roster keeps them as 1-3).
GRADES = (10, 11, 12)


def _kinds() -> list[str]:
    return [k for k, roles in RECORD_KIND_ROLES.items() if user().has(*roles)]


def _year() -> int:
    raw = request.values.get("year", "")
    if raw.isdigit() and 100 <= int(raw) <= 999:
        return int(raw)
    return academic_year_of(taipei_date(now()))


def _what(school_class: SchoolClass | None, grade: int | None) -> str:
    if school_class is not None:
        return text("records.cli.class_label", code=school_class.code)
    return text("records.cli.grade_label", grade=grade)


@dataclass(frozen=True)
class ConsultantRow:
    staff: Staff
    assigned: list[str]  # what staff assigned: classes and whole grades
    classes: list[str]  # the classes that makes


def _consultant_rows() -> tuple[list[ConsultantRow], list[Staff], list[str]]:
    with reading() as session:
        people = consultants.consultant_staff(session)
        by_staff: dict[int, list[str]] = {}
        for row in consultants.assignments(session):
            by_staff.setdefault(row.staff_id, []).append(_what(row.school_class, row.grade))
        rows = [
            ConsultantRow(
                staff,
                by_staff.get(staff.id, []),
                [c.code for c in consultants.advised_classes(session, staff.id)],
            )
            for staff in people
        ]
        codes = [c.code for c in records.all_classes(session)]
        session.expunge_all()
    return rows, people, codes


def _page(status: int = 200, **context: object) -> Response:
    kinds = _kinds()
    may_consult = user().has(*CONSULTANT_ROLES)
    # Each office reads the imports of its own kinds (社團組's cadres beside 訓育組's).
    offices = set().union(*(RECORD_KIND_ROLES[k] for k in kinds))
    with reading() as session:
        past = records_import.history(session, offices) if kinds else []
        mine = (
            console_jobs.for_staff(
                session, user().staff_id, (console_jobs.EXPORT_CONSULTATIONS,), limit=5
            )
            if may_consult
            else []
        )
        session.expunge_all()
    rows, people, codes = _consultant_rows() if may_consult else ([], [], [])
    return render(
        "office_records.html",
        status=status,
        kinds=kinds,
        history=past,
        may_consult=may_consult,
        consultants=rows,
        people=people,
        class_codes=codes,
        grades=GRADES,
        year=_year(),
        jobs=mine,
        percent=console_jobs.percent,
        kind_name=lambda k: text(f"roster.kind.{k}"),
        **context,
    )


@bp.get("/records", endpoint="records")
@page("console.records")
def records_page() -> Response:
    return _page(done_change=request.args.get("changed") == "1")


# --- cadre and attendance imports ---------------------------------------------------------------


@bp.post("/records/preview")
@page("console.records_import")
def records_preview() -> Response:
    # 生輔組 may not import 訓育組's cadres: check_upload holds each office to its own kinds.
    checked = check_upload(RECORD_KIND_ROLES, _page, records_import.preview)
    if isinstance(checked, Response):
        return checked
    return preview_page(checked, url_for("console.records_confirm"), url_for("console.records"))


@bp.post("/records/confirm")
@page("console.records_import")
def records_confirm() -> Response:
    kind = request.form.get("kind", "")
    return confirm_upload(
        RECORD_KIND_ROLES,
        _page,
        console_jobs.IMPORT_RECORDS,
        office=office_of(RECORD_KIND_ROLES.get(kind, frozenset())),
    )


# --- consultants ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsultantChange:
    action: str  # assign | unassign
    staff_no: str
    target: str  # a class code, or "grade:<10-12>"


def _change_of_form() -> ConsultantChange:
    action = request.form.get("action", "")
    return ConsultantChange(
        action if action in ("assign", "unassign") else "",
        request.form.get("staff_no", "").strip(),
        request.form.get("target", "").strip(),
    )


def _resolve(
    session: Session, change: ConsultantChange
) -> tuple[Staff, SchoolClass | None, int | None]:
    """The consultant and the class or roster grade the form names, or RecordError."""
    staff = records.staff_by_no(session, change.staff_no)
    if staff is None:
        raise RecordError("unknown_staff", no=change.staff_no)
    if change.target.startswith("grade:"):
        raw = change.target.removeprefix("grade:")
        grade = to_roster_grade(int(raw)) if raw.isdigit() else 0
        if grade not in (1, 2, 3):
            raise RecordError("bad_grade", grade=raw)
        return staff, None, grade
    found = records.class_by_code(session, change.target)
    if found is None:
        raise RecordError("unknown_class", code=change.target)
    return staff, found, None


@bp.post("/records/consultants")
@page("console.consultants_change")
def consultants_change() -> Response:
    """Preview (nothing written) what the change does; with confirm=1 make it and audit it."""
    change = _change_of_form()
    if not change.action or not change.staff_no or not change.target:
        return _page(400, errors=[text("console_office.records.change_incomplete")])
    confirm = request.form.get("confirm") == "1"
    with transaction() as session:
        try:
            staff, school_class, grade = _resolve(session, change)
            what = _what(school_class, grade)
            names = {"name": staff.name, "no": staff.staff_no, "what": what}
            if change.action == "assign":
                result = consultants.assign_consultant(
                    session,
                    staff,
                    now(),
                    school_class=school_class,
                    grade=grade,
                    dry_run=not confirm,
                )
                changes = 1 if result.created else 0
                line = text(
                    "console_office.records.would_assign" if changes else "records.cli.already",
                    **names,
                )
            else:
                changes = consultants.unassign_consultant(
                    session, staff, school_class=school_class, grade=grade, dry_run=not confirm
                )
                line = text(
                    "console_office.records.would_unassign"
                    if changes
                    else "console_office.records.not_assigned",
                    n=changes,
                    **names,
                )
        except RecordError as exc:
            session.rollback()
            return _page(400, errors=[text(f"records.cli.{exc.reason}", **exc.values)])
        if not confirm or not changes:
            session.rollback()
            return _page(change=change, change_line=line, change_ready=bool(changes))
        done_key = "records.cli.assigned" if change.action == "assign" else "records.cli.unassigned"
        record(
            session,
            office_of(CONSULTANT_ROLES),
            f"consultant_{change.action}",
            text(done_key, n=changes, **names),
        )
    return redirect(url_for("console.records", changed="1") + "#consultants", code=303)


# --- the consultation export -------------------------------------------------------------------


@bp.post("/records/consultations/export")
@page("console.consultation_export")
def consultation_export() -> Response:
    """Start the export as a job; its page shows the progress and then the download."""
    year = _year()
    params = {"year": year}
    kind = console_jobs.EXPORT_CONSULTATIONS
    with transaction() as session:
        running = console_jobs.running(session, kind, params)
        if running is not None:
            return redirect(url_for("console.job", job_id=running.id), code=303)
        job_id = console_jobs.start(session, kind, params, user().staff_id, now())
        record(
            session,
            office_of(CONSULTANT_ROLES),
            "consultation_export",
            text("console_office.records.export_audit", year=year, id=job_id),
        )
    svc().queue.enqueue("jobs.console.run_console_job", job_id)
    return redirect(url_for("console.job", job_id=job_id), code=303)
