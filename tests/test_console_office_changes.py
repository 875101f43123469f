"""The office pages' remaining duties: 學生異動's graduation and every change kind, 系統's retention
run, 認證's successor and designee, and 期程's adoption of next year's calendar. Each route is
checked per role on the server, refused without its CSRF token, previewed before it writes, and
audited; people are told in LINE."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from school import certification_office
from storage.models.console import ConsoleAudit
from storage.models.console_office import ConsoleJob
from storage.models.lifecycle import StudentChange
from storage.models.school import Student
from tests.console_support import Browser
from tests.school import REGISTRAR, STUDENTS_101, STUDENTS_102, School
from tests.test_console_office import (  # noqa: F401 - offices is a fixture
    audit_actions,
    offices,
    run_jobs,
    signed_in,
    texts_for,
)

pytestmark = pytest.mark.usefixtures("offices")


def student(db: Any, no: str) -> SimpleNamespace:
    """What the registrar's change left on the student row."""
    with db.session() as s:
        found = s.scalars(select(Student).where(Student.student_no == no)).one()
        return SimpleNamespace(
            status=found.status,
            graduated_on=found.graduated_on,
            class_seat=found.class_seat,
            sealed_at=found.sealed_at,
        )


def count(db: Any, model: Any) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# --- roles and CSRF on the new forms -------------------------------------------------------------

FORMS = {
    "/console/students/graduate": ({"action": "graduate", "classes": "102"}, "A001"),
    "/console/system": ({"action": "retention", "plan": "x"}, "A004"),
    "/console/certification/proxy": (
        {"action": "successor", "course_id": "1", "staff_no": "T004"},
        "A002",
    ),
    "/console/calendar/next/adopt": ({"year": "115"}, "A001"),
}


@pytest.mark.parametrize("path", sorted(FORMS))
def test_new_forms_refuse_other_roles_and_missing_csrf(app: Any, db: Any, path: str) -> None:
    form, allowed = FORMS[path]
    assert signed_in(app, "T004").post(path, form).status_code == 403  # a 任課教師, no office
    assert signed_in(app, "A003").post(path, form).status_code == 403  # 訓育組
    assert signed_in(app, allowed).post(path, form, csrf=False).status_code == 400
    assert Browser(app).post(path, form, csrf=False).status_code in (400, 401)
    assert count(db, StudentChange) == 0 and count(db, ConsoleJob) == 0
    assert audit_actions(db) == []


# --- 學生異動: graduation ------------------------------------------------------------------------


def test_graduation_is_previewed_then_marked_audited_and_can_be_undone(app: Any, db: Any) -> None:
    browser = signed_in(app, "A001")
    page = browser.get("/console/students").get_data(as_text=True)
    assert "畢業" in page and 'id="preview-graduation"' in page
    nobody = browser.post("/console/students/graduate", {"action": "graduate"})
    assert nobody.status_code == 400 and "請選年級" in nobody.get_data(as_text=True)
    form = {"action": "graduate", "classes": "102", "except_nos": "115103", "day": "2026/10/15"}
    preview = browser.post("/console/students/graduate", form)
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "預覽（尚未寫入）" in body
    assert "畢業：2 位，畢業日 2026/10/15" in body and "今天的每日作業會封存" in body
    assert "115101" in body and "115102" in body and "115103" not in body.split("預覽")[1]
    assert student(db, "115101").graduated_on is None  # the preview wrote nothing
    assert count(db, StudentChange) == 0
    done = browser.post("/console/students/graduate", {**form, "confirm": "1"})
    assert done.status_code == 200 and "已辦理" in done.get_data(as_text=True)
    marked = student(db, "115101")
    assert marked.graduated_on == date(2026, 10, 15) and marked.status == "畢業"
    assert student(db, "115103").graduated_on is None
    again = browser.post("/console/students/graduate", {**form, "confirm": "1"})
    assert again.status_code == 400 and "沒有符合條件" in again.get_data(as_text=True)
    undo = {"action": "cancel", "student_nos": "115102"}
    shown = browser.post("/console/students/graduate", undo).get_data(as_text=True)
    assert "取消畢業：1 位恢復為在學" in shown and student(db, "115102").status == "畢業"
    browser.post("/console/students/graduate", {**undo, "confirm": "1"})
    assert student(db, "115102").status == "在學" and student(db, "115102").graduated_on is None
    assert audit_actions(db) == ["student_graduate", "student_cancel"]
    with db.session() as s:
        detail = s.scalars(select(ConsoleAudit.detail).order_by(ConsoleAudit.id)).first()
    assert detail is not None and "115101、115102" in detail


def test_a_later_graduation_day_seals_later_and_pending_items_are_named(
    app: Any, school: School, db: Any, clock: Any
) -> None:
    from tests.test_certify import submit_item

    submit_item(db, school, clock, STUDENTS_101[0], "101-國語文", mime="application/pdf")
    browser = signed_in(app, "A001")
    form = {"action": "graduate", "student_nos": "115001 115002", "day": "民國 116/06/10"}
    body = browser.post("/console/students/graduate", form).get_data(as_text=True)
    assert "2027/6/10 當天的每日作業會封存" in body
    assert "其中 1 位還有待認證的成果" in body
    browser.post("/console/students/graduate", {**form, "confirm": "1"})
    # Until the day comes the student stays enrolled, marked to graduate.
    assert (student(db, "115001").status, student(db, "115001").graduated_on) == (
        "在學",
        date(2027, 6, 10),
    )


def test_every_change_kind_is_done_from_the_page(app: Any, db: Any) -> None:
    browser = signed_in(app, "A001")
    steps = [
        ({"kind": "transfer_out", "student_no": "115006"}, "轉出"),
        ({"kind": "reenrol", "student_no": "115006", "class_code": "102", "seat": "7"}, "102-07"),
        ({"kind": "renumber", "student_no": "115006", "new_no": "115106"}, "115106"),
        (
            {
                "kind": "transfer_in",
                "student_no": "115201",
                "class_code": "101",
                "seat": "20",
                "name": "林新生",
                "national_id": "A123456789",
            },
            "林新生",
        ),
    ]
    for form, seen in steps:
        preview = browser.post("/console/students", form)
        assert preview.status_code == 200, preview.get_data(as_text=True)
        assert seen in preview.get_data(as_text=True) and "預覽（尚未寫入）" in browser.text()
        done = browser.post("/console/students", {**form, "confirm": "1"})
        assert done.status_code == 200 and "已辦理" in done.get_data(as_text=True), form
    moved = student(db, "115106")
    assert (moved.status, moved.class_seat) == ("在學", "102-07")
    assert student(db, "115201").class_seat == "101-20"
    assert audit_actions(db) == ["student_change"] * 4


def test_one_students_whole_portfolio_is_exported_for_its_starter_only(
    app: Any, db: Any, line: Any
) -> None:
    browser = signed_in(app, "A001")
    unknown = browser.post("/console/students/export", {"student_no": "999999"})
    assert unknown.status_code == 400 and "找不到學號" in unknown.get_data(as_text=True)
    job_url = browser.post("/console/students/export", {"student_no": "115001"}).headers["Location"]
    assert "排隊中" in browser.get(job_url).get_data(as_text=True)
    run_jobs(app)
    page = browser.get(job_url).get_data(as_text=True)
    assert 'id="download"' in page
    download = browser.get(job_url + "/download")
    assert download.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    assert "portfolio.json" in names and "portfolio.xlsx" in names
    # Another registrar may not fetch it: a result waits for its starter alone.
    with db.transaction() as s:
        from storage.models.school import Staff, StaffRole

        s.add(Staff(staff_no="A009", name="何註冊", roles=[StaffRole(role="註冊組")]))
    assert signed_in(app, "A009").get(job_url + "/download").status_code == 403
    assert "已匯出這位學生的完整學習歷程" in texts_for(line, REGISTRAR)


# --- 系統: retention run -------------------------------------------------------------------------


def _graduated_today(db: Any, *numbers: str) -> None:
    with db.transaction() as s:
        for no in numbers:
            found = s.scalars(select(Student).where(Student.student_no == no)).one()
            found.status, found.graduated_on = "畢業", date(2026, 10, 1)


def test_retention_runs_the_previewed_plan_as_a_job_and_tells_its_starter(
    app: Any, db: Any, line: Any
) -> None:
    browser = signed_in(app, "A004")
    page = browser.get("/console/system").get_data(as_text=True)
    assert "目前沒有要封存或刪除的資料" in page and 'id="run-retention"' not in page
    _graduated_today(db, "115001", "115002")
    page = browser.get("/console/system").get_data(as_text=True)
    assert "將封存 2 位畢業生" in page and 'id="run-retention"' in page
    plan = page.split('name="plan" value="')[1].split('"')[0]
    # A plan that changed after the page was shown is not run: the new one is shown instead.
    _graduated_today(db, "115003")
    stale = browser.post("/console/system", {"action": "retention", "plan": plan})
    assert stale.status_code == 409 and "預覽內容已經改變" in stale.get_data(as_text=True)
    assert count(db, ConsoleJob) == 0
    plan = stale.get_data(as_text=True).split('name="plan" value="')[1].split('"')[0]
    started = browser.post("/console/system", {"action": "retention", "plan": plan})
    assert started.status_code == 303
    job_url = started.headers["Location"]
    assert "<progress" in browser.get(job_url).get_data(as_text=True)
    run_jobs(app)
    result = browser.get(job_url).get_data(as_text=True)
    assert "已封存 3 位、刪除 0 位" in result and "115001" in result
    assert student(db, "115001").sealed_at is not None
    assert audit_actions(db) == ["retention_run"]
    # The starter is told in LINE; the graduates get their farewell.
    assert "封存與刪除" in texts_for(line, "Umedia")
    assert texts_for(line, STUDENTS_101[0]) != ""
    assert texts_for(line, STUDENTS_102[0]) == ""
    with db.session() as s:
        job = s.scalars(select(ConsoleJob)).one()
        assert (job.kind, job.state, job.done, job.total) == ("retention", "done", 3, 3)
    # Someone else cannot read the result.
    assert signed_in(app, "A001").get(job_url).status_code == 403


def test_retention_refuses_to_run_when_nothing_is_due(app: Any, db: Any, tmp_path: Path) -> None:
    browser = signed_in(app, "A004")
    browser.get("/console/system")
    refused = browser.post("/console/system", {"action": "retention", "plan": "0" * 16})
    assert refused.status_code == 409
    assert count(db, ConsoleJob) == 0 and audit_actions(db) == []


# --- 認證: successor and designee ---------------------------------------------------------------


def test_a_successor_is_previewed_with_what_moves_then_set_and_audited(
    app: Any, school: School, db: Any, clock: Any
) -> None:
    from storage.models.certification import CourseSuccessor, SubjectConvener
    from storage.models.portfolio import CourseOutcome
    from tests.test_certify import submit_item

    item = submit_item(db, school, clock, STUDENTS_101[0], "101-國語文", mime="application/pdf")
    course = school.courses["101-國語文"]
    with db.transaction() as s:  # the course's teacher left: the item waits for the next link
        certification_office.set_away(
            s, school.staff["T001"], "left", date(2026, 10, 15), None, clock.now()
        )
        before = s.get(CourseOutcome, item).certifier_id
    browser = signed_in(app, "A002")
    page = browser.get("/console/certification").get_data(as_text=True)
    assert 'id="preview-successor"' in page and "115-1 國語文 101" in page
    form = {"action": "successor", "course_id": str(course), "staff_no": "T004"}
    preview = browser.post("/console/certification/proxy", form).get_data(as_text=True)
    assert "國語文 101 由 黃淑芬 接任認證" in preview and "→ 黃淑芬（接任教師）" in preview
    assert count(db, CourseSuccessor) == 0  # the preview wrote nothing
    with db.session() as s:
        assert s.get(CourseOutcome, item).certifier_id == before
    done = browser.post("/console/certification/proxy", {**form, "confirm": "1"})
    body = done.get_data(as_text=True)
    assert "已設定接任教師" in body and "→ 黃淑芬（接任教師）" in body
    assert "黃淑芬" in body.split('id="successor-list"')[1]
    with db.session() as s:
        assert s.get(CourseOutcome, item).certifier_id == school.staff["T004"]
        assert s.scalars(select(CourseSuccessor.successor_id)).one() == school.staff["T004"]
    # The convener's designee, the same way; clearing the successor hands the item back.
    designee = {"action": "designee", "subject": "國語文", "convener": "T003", "staff_no": "T002"}
    shown = browser.post("/console/certification/proxy", designee).get_data(as_text=True)
    assert "國語文 召集人 陳建宏，指定" in shown and count(db, SubjectConvener) == 0
    browser.post("/console/certification/proxy", {**designee, "confirm": "1"})
    with db.session() as s:
        row = s.scalars(select(SubjectConvener)).one()
        assert (row.convener_id, row.designee_id) == (school.staff["T003"], school.staff["T002"])
    clear = {**form, "staff_no": "", "confirm": "1"}
    back = browser.post("/console/certification/proxy", clear).get_data(as_text=True)
    assert "取消接任教師" in back and "黃淑芬 → " in back
    assert audit_actions(db) == ["proxy_successor", "proxy_designee", "proxy_successor"]
    unknown = browser.post("/console/certification/proxy", {**form, "staff_no": "X999"})
    assert unknown.status_code == 303 and count(db, CourseSuccessor) == 0
    # A convener sees the page but may not name successors.
    assert 'id="preview-successor"' not in signed_in(app, "T003").get(
        "/console/certification"
    ).get_data(as_text=True)
    assert signed_in(app, "T003").post("/console/certification/proxy", form).status_code == 403


def test_a_convener_names_their_own_subjects_designee_and_nothing_else(
    app: Any, school: School, db: Any
) -> None:
    from storage.models.certification import SubjectConvener

    browser = signed_in(app, "T003")  # 陳建宏, 數學's convener
    page = browser.get("/console/certification").get_data(as_text=True)
    assert 'id="preview-own-designee"' in page and 'id="preview-designee"' not in page
    # Whatever convener the form names, it is the signed-in convener.
    form = {"action": "designee", "subject": "數學", "convener": "T001", "staff_no": "T002"}
    shown = browser.post("/console/certification/proxy", form).get_data(as_text=True)
    assert "數學 召集人 陳建宏，指定" in shown and count(db, SubjectConvener) == 0
    browser.post("/console/certification/proxy", {**form, "confirm": "1"})
    with db.session() as s:
        row = s.scalars(select(SubjectConvener)).one()
        assert (row.subject, row.convener_id, row.designee_id) == (
            "數學",
            school.staff["T003"],
            school.staff["T002"],
        )
    assert audit_actions(db) == ["proxy_designee"]
    # Another subject, or marking a teacher away, stays the offices' to do.
    other = {**form, "subject": "國語文", "confirm": "1"}
    assert browser.post("/console/certification/proxy", other).status_code == 403
    away = {"action": "away", "staff_no": "T001", "kind": "leave"}
    assert browser.post("/console/certification/proxy", away).status_code == 403
    assert count(db, SubjectConvener) == 1


# --- 期程: next year's calendar adopted ---------------------------------------------------------


def test_next_years_calendar_is_previewed_adjusted_adopted_and_used(
    app: Any, db: Any, clock: Any
) -> None:
    from datetime import datetime

    from jobs import lifecycle as daily
    from school import windows
    from storage.clock import TAIPEI
    from storage.models.schedule import AdoptedYear

    clock.set(datetime(2028, 6, 1, 10, 0, tzinfo=TAIPEI))  # 116 is the file's last year
    svc = app.extensions["portfolio"]
    browser = signed_in(app, "A001")
    assert "行事曆只排到" in browser.get("/console/calendar?year=116").get_data(as_text=True)
    # The year the file already has is not adopted here.
    in_file = browser.get("/console/calendar/next?year=115").get_data(as_text=True)
    assert "學校設定檔已有 116 學年度" in in_file and 'id="adopt"' not in in_file
    page = browser.get("/console/calendar/next?year=116").get_data(as_text=True)
    assert "117 學年度推算出的各項期間" in page and 'id="adopt"' in page
    assert count(db, AdoptedYear) == 0  # showing the draft writes nothing
    # Staff move the first day of term; the windows shown follow, then that draft is adopted.
    moved = browser.post(
        "/console/calendar/next?year=116", {"year": "116", "s1_start": "2028/09/01"}
    ).get_data(as_text=True)
    assert 'name="s1_start" value="2028/09/01"' in moved
    hidden = moved.split('action="/console/calendar/next/adopt"')[1]
    assert 'value="2028/09/01"' in hidden
    bad = browser.post(
        "/console/calendar/next/adopt", {"year": "116", "s1_closing_ceremony": "2028/08/02"}
    )
    assert bad.status_code == 400 and "還不能使用" in bad.get_data(as_text=True)
    assert count(db, AdoptedYear) == 0
    fields = dict(re.findall(r'name="(s\d_[a-z_]+)" value="([^"]+)"', hidden))
    assert len(fields) == 6
    done = browser.post("/console/calendar/next/adopt", {"year": "116", **fields})
    assert done.status_code == 303 and "year=117" in done.headers["Location"]
    shown = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert "已採用新學年度的期程" in shown and "117 學年度期程" in shown
    with db.session() as s:
        row = s.scalars(select(AdoptedYear)).one()
        assert row.academic_year == 117 and row.adopted_by == "A001"
        assert "start = 2028-09-01" in row.toml
        rules = windows.effective_rules(s, svc.rules)
    assert 117 in rules.years and rules.year(117).semesters[1].start == date(2028, 9, 1)
    assert svc.rules.rollover_due(clock.now()) and not rules.rollover_due(clock.now())
    assert audit_actions(db) == ["calendar_adopt"]
    # The calendar no longer runs out: no warning on the page, none to 註冊組 in LINE.
    assert "行事曆只排到" not in shown and daily.warn_rollover(svc, clock.now()) == {}
    again = browser.get("/console/calendar/next?year=116").get_data(as_text=True)
    assert "已於" in again and "再次採用會以新的日期取代" in again
