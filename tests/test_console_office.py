"""The office year's console pages: 期程, 認證 and 個別開放, 年末, 系統 and the jobs they start.
Each route is checked per role on the server; each change is audited; people are told in LINE."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.clock import TAIPEI
from storage.models.console import ConsoleAudit
from storage.models.console_office import ConsoleJob, StudentException
from storage.models.line import LineAccount
from storage.models.portfolio import CourseOutcome
from storage.models.schedule import WindowChange
from storage.models.school import Staff, StaffRole
from tests.console_support import Browser
from tests.school import STUDENTS_101, School


def taipei(*args: int) -> datetime:
    return datetime(*args, tzinfo=TAIPEI)


@pytest.fixture
def offices(db: Any, school: School, clock: Any) -> School:
    """The small school plus 教學組 (A002), 訓育組 (A003) and 資媒組 (A004), bound to LINE."""
    with db.transaction() as s:
        for no, name, role, uid in (
            ("A002", "劉教學", "教學組", "Uteach"),
            ("A003", "周訓育", "訓育組", "Utrain"),
            ("A004", "鄭資媒", "資媒組", "Umedia"),
        ):
            member = Staff(staff_no=no, name=name, roles=[StaffRole(role=role)])
            s.add(member)
            s.flush()
            s.add(
                LineAccount(
                    line_user_id=uid,
                    staff_id=member.id,
                    created_at=clock.now(),
                    bound_at=clock.now(),
                )
            )
            school.staff[no] = member.id
    return school


def use_backup_dir(app: Any, monkeypatch: Any, folder: Path) -> None:
    svc = app.extensions["portfolio"]
    monkeypatch.setattr(svc, "settings", svc.settings.with_changes(backup_dir=folder))


def signed_in(app: Any, staff_no: str) -> Browser:
    browser = Browser(app)
    browser.sign_in(staff_no)
    return browser


def run_jobs(app: Any) -> None:
    app.extensions["portfolio"].queue.run_all()


def audit_actions(db: Any) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(ConsoleAudit.action).order_by(ConsoleAudit.id)))


def texts_for(line: Any, user: str) -> str:
    return " ".join(m.get("text") or m.get("altText", "") for m in line.messages_for(user))


# --- roles on every route ------------------------------------------------------------------------

STAFF = ("A001", "A002", "A003", "A004", "T001", "T003", "T004")
ROUTES: dict[str, set[str]] = {
    "/console/calendar": {"A001", "A002"},
    "/console/calendar/next?year=115": {"A001", "A002"},
    "/console/certification": {"A002", "T003"},
    "/console/certification/audit.xlsx": {"A002", "T003"},
    "/console/exceptions": {"A001", "A002"},
    "/console/yearend": {"A002", "A003"},
    "/console/yearend/receipts": {"A002", "A003"},
    "/console/system": {"A001", "A004"},  # 註冊組長 heads the management proxy chain
    "/console/teaching": {"T001", "T003", "T004"},
    "/console/students": {"A001"},
    "/console/events": {"A001", "A002", "A003"},
}


@pytest.mark.parametrize("path", sorted(ROUTES))
def test_every_office_page_checks_roles_on_the_server(app: Any, offices: School, path: str) -> None:
    for staff_no in STAFF:
        response = signed_in(app, staff_no).get(path)
        expected = 200 if staff_no in ROUTES[path] else 403
        assert response.status_code == expected, (staff_no, path, response.status_code)
    assert Browser(app).get(path).status_code == 401


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/console/calendar/change", {"kind": "upload", "semester": "1", "end": "2027/02/08"}),
        (
            "/console/exceptions",
            {
                "kind": "upload",
                "student_no": "115001",
                "term": "115-1",
                "until": "2026/10/20",
                "reason": "病假",
            },
        ),
        ("/console/certification/proxy", {"action": "away", "staff_no": "T001"}),
        ("/console/yearend/export", {"kind": "course_outcome"}),
        ("/console/system", {"action": "backup"}),
    ],
)
def test_office_forms_refuse_other_roles_and_missing_csrf(
    app: Any, offices: School, db: Any, path: str, form: dict[str, str]
) -> None:
    teacher = signed_in(app, "T004")  # a 任課教師 with no office
    assert teacher.post(path, form).status_code == 403
    allowed = {
        "/console/calendar/change": "A001",
        "/console/exceptions": "A001",
        "/console/certification/proxy": "A002",
        "/console/yearend/export": "A002",
        "/console/system": "A004",
    }[path]
    assert signed_in(app, allowed).post(path, form, csrf=False).status_code == 400
    with db.session() as s:
        for table in (WindowChange, StudentException, ConsoleJob):
            assert s.scalar(select(func.count()).select_from(table)) == 0
    assert audit_actions(db) == []


# --- 期程 -----------------------------------------------------------------------------------------


def test_the_calendar_shows_the_year_and_a_change_is_previewed_then_announced(
    app: Any, offices: School, db: Any, line: Any
) -> None:
    browser = signed_in(app, "A001")
    page = browser.get("/console/calendar").get_data(as_text=True)
    assert "115 學年度期程" in page and "<svg" in page and "附表二" in page
    assert "2027/02/03" in page  # 115-1 upload ends, shown as staff read it
    preview = browser.post(
        "/console/calendar/change",
        {"year": "115", "kind": "upload", "semester": "1", "end": "民國 116/02/08"},
    )
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "將公告給 9 人" in body and "9 則" in body
    with db.session() as s:  # a preview writes nothing
        assert s.scalar(select(func.count()).select_from(WindowChange)) == 0
    done = browser.post(
        "/console/calendar/change",
        {"year": "115", "kind": "upload", "semester": "1", "end": "民國 116/02/08", "confirm": "1"},
    )
    assert done.status_code == 303
    assert "已調整並公告" in browser.get(done.headers["Location"]).get_data(as_text=True)
    run_jobs(app)
    with db.session() as s:
        change = s.scalars(select(WindowChange)).one()
        assert change.last_day == date(2027, 2, 8) and change.changed_by == "A001"
    assert audit_actions(db) == ["window_change"]
    assert "2027/2/8" in texts_for(line, STUDENTS_101[0])


def test_a_window_across_the_next_semester_shows_the_overlap(
    app: Any, offices: School, db: Any
) -> None:
    browser = signed_in(app, "A002")
    preview = browser.post(
        "/console/calendar/change",
        {"year": "115", "kind": "certification", "semester": "1", "end": "2027/02/20"},
    )
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "115-2" in body and "開學日" in body
    bad = browser.post(
        "/console/calendar/change",
        {"year": "115", "kind": "upload", "semester": "1", "end": "明天"},
    )
    assert bad.status_code == 400
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(WindowChange)) == 0


def test_next_year_is_derived_adjusted_and_downloadable(app: Any, offices: School) -> None:
    browser = signed_in(app, "A002")
    page = browser.get("/console/calendar/next?year=115").get_data(as_text=True)
    assert "116 學年度期程" in page and "檢查通過" in page
    adjusted = browser.post(
        "/console/calendar/next?year=115", {"year": "115", "s1_closing_ceremony": "2027/08/02"}
    )
    assert "還不能使用" in adjusted.get_data(as_text=True)
    toml = browser.get("/console/calendar/next?year=115&format=toml")
    assert "academic_year = 116" in toml.get_data(as_text=True)


# --- 個別開放 ------------------------------------------------------------------------------------


def test_an_exception_for_one_student_is_granted_audited_and_told(
    app: Any, offices: School, db: Any, line: Any, clock: Any
) -> None:
    clock.set(taipei(2027, 2, 5, 10, 0))  # 115-1 upload closed on 2/3
    browser = signed_in(app, "A001")
    refused = browser.post(
        "/console/exceptions",
        {
            "kind": "upload",
            "student_no": "115001",
            "term": "115-1",
            "until": "2027/02/10",
            "reason": "",
        },
    )
    assert refused.status_code == 400 and "請寫下開放的原因" in refused.get_data(as_text=True)
    granted = browser.post(
        "/console/exceptions",
        {
            "kind": "upload",
            "student_no": "115001",
            "term": "115-1",
            "until": "民國 116/02/10",
            "reason": "住院兩週，家長來電申請",
        },
    )
    assert granted.status_code == 303
    page = browser.get("/console/exceptions").get_data(as_text=True)
    assert "住院兩週" in page and "115001" in page and "提前結束" in page
    run_jobs(app)
    assert "個別開放" in texts_for(line, STUDENTS_101[0])
    assert texts_for(line, STUDENTS_101[1]) == ""
    with db.session() as s:
        row = s.scalars(select(StudentException)).one()
        assert row.until == date(2027, 2, 10) and row.created_by_id == offices.staff["A001"]
    browser.post("/console/exceptions", {"revoke": str(row.id)})
    assert audit_actions(db) == ["exception_grant", "exception_revoke"]
    with db.session() as s:
        assert s.scalars(select(StudentException)).one().revoked_at is not None


# --- 認證 -----------------------------------------------------------------------------------------


def test_certification_shows_pending_with_age_and_a_teacher_away_moves_them(
    app: Any, offices: School, db: Any, clock: Any
) -> None:
    from tests.test_certify import submit_item

    item = submit_item(db, offices, clock, STUDENTS_101[0], "101-國語文", mime="application/pdf")
    clock.set(taipei(2026, 10, 25, 10, 0))
    browser = signed_in(app, "A002")
    page = browser.get("/console/certification").get_data(as_text=True)
    assert "國語文 101" in page and "王美玲" in page and "10 天" in page
    course = offices.courses["101-國語文"]
    assert "代理順序" in browser.get(f"/console/certification?course={course}").get_data(
        as_text=True
    )
    from school import certification_office

    with db.transaction() as s:
        certification_office.set_convener(s, "國語文", offices.staff["T004"], None, clock.now())
    moved = browser.post(
        "/console/certification/proxy", {"action": "away", "staff_no": "T001", "from": "2026/10/25"}
    )
    # What moved to whom is shown at once.
    assert moved.status_code == 200 and "王美玲 → 黃淑芬" in moved.get_data(as_text=True)
    with db.session() as s:
        assert s.get(CourseOutcome, item).certifier_id == offices.staff["T004"]
    assert audit_actions(db) == ["teacher_away"]
    # A convener sees their subject only.
    convener = signed_in(app, "T003").get("/console/certification").get_data(as_text=True)
    assert "目前沒有待認證的項目" in convener and 'id="pending"' not in convener


# --- 年末 -----------------------------------------------------------------------------------------


def _picked_items(app: Any, db: Any, school: School) -> None:
    from tests.test_export import outcome, pdf, store, with_identity

    with_identity(db, school)
    for uid in STUDENTS_101[:2]:
        outcome(
            db,
            school,
            uid,
            "101-國語文",
            document=store(app, db, pdf(tag=uid.encode()), "document", school.students[uid]),
        )


def test_a_year_end_export_runs_as_a_job_and_waits_for_its_starter(
    app: Any, offices: School, db: Any, line: Any, clock: Any
) -> None:
    clock.set(taipei(2027, 7, 29, 9, 0))
    _picked_items(app, db, offices)
    browser = signed_in(app, "A002")
    page = browser.get("/console/yearend").get_data(as_text=True)
    assert "各班勾選確認進度" in page and "產生課程學習成果匯出檔" in page
    assert "產生多元表現匯出檔" not in page  # 訓育組's
    started = browser.post("/console/yearend/export", {"kind": "course_outcome", "year": "115"})
    assert started.status_code == 303
    job_url = started.headers["Location"]
    waiting = browser.get(job_url).get_data(as_text=True)
    assert "排隊中" in waiting and 'http-equiv="refresh"' in waiting and "<progress" in waiting
    # A double click joins the running job instead of starting a second.
    again = browser.post("/console/yearend/export", {"kind": "course_outcome", "year": "115"})
    assert again.headers["Location"] == job_url
    run_jobs(app)
    done = browser.get(job_url).get_data(as_text=True)
    assert "完成" in done and 'value="100"' in done and "http-equiv" not in done
    download = browser.get(job_url + "/download")
    assert download.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(download.data)).namelist()
    # Only its starter may see or fetch it; 訓育組 may not build 教學組's file.
    other = signed_in(app, "A003")
    assert other.get(job_url).status_code == 403
    assert other.get(job_url + "/download").status_code == 403
    assert other.post("/console/yearend/export", {"kind": "course_outcome"}).status_code == 403
    assert "/console/jobs/" in texts_for(line, "Uteach")
    assert audit_actions(db) == ["export_start"]


def test_a_refused_export_lists_the_problems_per_student(
    app: Any, offices: School, db: Any, clock: Any
) -> None:
    from tests.test_export import outcome

    clock.set(taipei(2027, 7, 29, 9, 0))
    outcome(db, offices, STUDENTS_101[0], "101-國語文")
    browser = signed_in(app, "A002")
    job_url = browser.post(
        "/console/yearend/export", {"kind": "course_outcome", "year": "115"}
    ).headers["Location"]
    run_jobs(app)
    page = browser.get(job_url).get_data(as_text=True)
    assert "沒有完成" in page and "115001" in page and "需要先處理的問題" in page
    assert browser.get(job_url + "/download").status_code == 403


# --- 系統 -----------------------------------------------------------------------------------------


def test_system_runs_and_verifies_a_backup_and_shows_health_and_quota(
    app: Any, offices: School, db: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    folder = tmp_path / "backups"
    use_backup_dir(app, monkeypatch, folder)
    browser = signed_in(app, "A004")
    page = browser.get("/console/system").get_data(as_text=True)
    assert "本月 LINE 訊息額度" in page and "資料庫" in page and "還沒有任何備份" in page
    assert "目前沒有要封存或刪除的資料" in page  # retention's dry run
    job_url = browser.post("/console/system", {"action": "backup"}).headers["Location"]
    run_jobs(app)
    assert "備份完成" in browser.get(job_url).get_data(as_text=True)
    page = browser.get("/console/system").get_data(as_text=True)
    assert "portfolio-backup-" in page and "尚未檢查" in page
    name = page.split("portfolio-backup-")[1].split("<")[0]
    check = browser.post(
        "/console/system", {"action": "verify", "name": f"portfolio-backup-{name}"}
    )
    run_jobs(app)
    assert "檢查無誤" in browser.get(check.headers["Location"]).get_data(as_text=True)
    assert "檢查無誤" in browser.get("/console/system").get_data(as_text=True)
    assert (
        browser.post("/console/system", {"action": "verify", "name": "../etc"}).status_code == 403
    )
    assert audit_actions(db) == ["backup", "backup_verify"]


# --- 收訖明細 ------------------------------------------------------------------------------------


def test_receipts_are_checked_then_imported_and_the_report_shows_silence(
    app: Any, offices: School, db: Any, line: Any, clock: Any
) -> None:
    from storage.models.picking import ReceiptItem
    from tests.test_picking import add_outcome

    math = add_outcome(db, offices, "Us10101", "101-數學", picked=True, summary="三角函數")
    other = add_outcome(db, offices, "Us10102", "101-國語文", picked=True)
    clock.set(taipei(2027, 7, 30, 10, 0))
    browser = signed_in(app, "A003")
    bad = io.BytesIO("學號,項目類型,項目編號\n999999,課程學習成果,C1\n".encode())
    refused = browser.post(
        "/console/yearend/receipts",
        {"year": "115", "file": (bad, "receipt.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and "第 2 列" in refused.get_data(as_text=True)
    good = io.BytesIO(
        f"學號,項目類型,項目編號\n115001,課程學習成果,C{math}\n"
        f"115002,課程學習成果,C{other}\n".encode()
    )
    preview = browser.post(
        "/console/yearend/receipts",
        {"year": "115", "file": (good, "receipt.csv")},
        content_type="multipart/form-data",
    )
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "檢查通過，尚未匯入" in body and "共 2 筆" in body
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReceiptItem)) == 0
    token = body.split('name="token" value="')[1].split('"')[0]
    assert (
        browser.post(
            "/console/yearend/receipts",
            {"year": "115", "token": "../../etc/passwd", "confirm": "1"},
        ).status_code
        == 403
    )
    done = browser.post(
        "/console/yearend/receipts", {"year": "115", "token": token, "confirm": "1"}
    )
    page = done.get_data(as_text=True)
    assert "已匯入 2 筆" in page and "尚未回覆（2 位學生）" in page
    run_jobs(app)
    assert "收訖明細" in texts_for(line, "Us10101")
    assert audit_actions(db) == ["receipts_import"]


# --- teachers ------------------------------------------------------------------------------------


def test_a_teacher_certifies_from_the_console_and_the_first_decision_stands(
    app: Any, offices: School, db: Any, line: Any, clock: Any
) -> None:
    from tests.test_certify import submit_item

    first = submit_item(db, offices, clock, STUDENTS_101[0], "101-國語文", mime="application/pdf")
    second = submit_item(db, offices, clock, STUDENTS_101[1], "101-國語文", mime="image/jpeg")
    teacher = signed_in(app, "T001")  # 王美玲: teaches 國語文, homeroom of 101
    page = teacher.get("/console/teaching").get_data(as_text=True)
    assert "等我認證（2 件）" in page and "/f/" in page  # files open through signed links
    assert "我的班級" in page and "101 班勾選確認" in page
    with db.session() as s:
        version = s.get(CourseOutcome, first).certify_version
    ok = teacher.post(
        "/console/teaching/decide",
        {"id": str(first), "version": str(version), "verdict": "approve"},
    )
    assert "已認證通過" in teacher.get(ok.headers["Location"]).get_data(as_text=True)
    # The same tap again (a second tab): the first decision stands.
    again = teacher.post(
        "/console/teaching/decide",
        {"id": str(first), "version": str(version), "verdict": "reject", "reason": "不是本人作品"},
    )
    assert "以第一個決定為準" in teacher.get(again.headers["Location"]).get_data(as_text=True)
    with db.session() as s:
        assert s.get(CourseOutcome, first).status == "certified"
        version2 = s.get(CourseOutcome, second).certify_version
    no_reason = teacher.post(
        "/console/teaching/decide",
        {"id": str(second), "version": str(version2), "verdict": "reject"},
    )
    assert "請寫下原因" in teacher.get(no_reason.headers["Location"]).get_data(as_text=True)
    teacher.post(
        "/console/teaching/decide",
        {
            "id": str(second),
            "version": str(version2),
            "verdict": "reject",
            "reason": "檔案看不清楚",
        },
    )
    run_jobs(app)
    assert "被退回" in texts_for(line, STUDENTS_101[1])
    # Another teacher cannot decide 王美玲's item.
    with db.session() as s:
        assert s.get(CourseOutcome, second).status == "rejected"
    other = signed_in(app, "T004")
    assert other.get("/console/teaching").status_code == 200
    assert signed_in(app, "A004").get("/console/teaching").status_code == 403


# --- 學生異動 ------------------------------------------------------------------------------------


def test_a_transfer_is_previewed_then_done_and_the_portfolio_exported(
    app: Any, offices: School, db: Any, line: Any
) -> None:
    from storage.models.school import Student

    browser = signed_in(app, "A001")
    form = {"kind": "repeat", "student_no": "115001", "class_code": "102", "seat": "9"}
    preview = browser.post("/console/students", form)
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "預覽（尚未寫入）" in body and "101-01 → 102-09" in body
    with db.session() as s:  # the preview wrote nothing
        assert s.scalars(select(Student).where(Student.student_no == "115001")).one().seat_no == 1
    done = browser.post("/console/students", {**form, "confirm": "1"})
    assert "已辦理" in done.get_data(as_text=True)
    with db.session() as s:
        assert s.scalars(select(Student).where(Student.student_no == "115001")).one().seat_no == 9
    taken = browser.post("/console/students", {**form, "student_no": "115002"})
    assert taken.status_code == 400 and "已有學生" in taken.get_data(as_text=True)
    out = browser.post(
        "/console/students", {"kind": "transfer_out", "student_no": "115003", "confirm": "1"}
    )
    assert "轉出" in out.get_data(as_text=True)
    job_url = browser.post("/console/students/export", {"student_no": "115003"}).headers["Location"]
    run_jobs(app)
    assert browser.get(job_url + "/download").status_code == 200
    assert audit_actions(db) == ["student_change", "student_change", "student_export"]
    assert signed_in(app, "A002").post("/console/students", form).status_code == 403


# --- 活動 -----------------------------------------------------------------------------------------


def test_an_event_is_previewed_created_answered_and_its_roll_taken(
    app: Any, offices: School, db: Any, line: Any, clock: Any
) -> None:
    from school import school_events
    from storage.models.console_office import EventAttendance
    from storage.models.schedule import SchoolEvent

    browser = signed_in(app, "A002")
    page = browser.get("/console/events").get_data(as_text=True)
    assert "還沒排定" in page and "學生學習歷程訓練" in page
    form = {
        "kind": "student_training",
        "title": "學習歷程上傳說明",
        "day": "2026/11/07",
        "time": "09:30",
        "place": "視聽教室",
        "grades": "",
        "classes": "101",
    }
    preview = browser.post("/console/events", form).get_data(as_text=True)
    assert "將通知 6 人" in preview
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SchoolEvent)) == 0
    past = browser.post("/console/events", {**form, "day": "2026/10/01"})
    assert past.status_code == 400
    done = browser.post("/console/events", {**form, "confirm": "1"})
    assert done.status_code == 303
    run_jobs(app)
    assert "學習歷程上傳說明" in texts_for(line, STUDENTS_101[0])
    with db.transaction() as s:
        event = s.scalars(select(SchoolEvent)).one()
        for uid, sid in list(offices.students.items())[:2]:
            school_events.set_rsvp(s, event, f"student:{sid}", uid, True, clock.now())
        event_id = event.id
    page = browser.get("/console/events").get_data(as_text=True)
    assert "李小明" in page and "2／0／4（6）" in page
    roll = browser.get(f"/console/events/{event_id}/roll").get_data(as_text=True)
    key = roll.split('name="present" value="')[1].split('"')[0]
    saved = browser.post(f"/console/events/{event_id}/roll", {"present": key})
    assert "已記錄出席 1 人" in saved.get_data(as_text=True)
    with db.session() as s:
        assert [
            a.attended for a in s.scalars(select(EventAttendance).order_by(EventAttendance.id))
        ] == [True, False]
    assert audit_actions(db) == ["event_create", "event_attendance"]
