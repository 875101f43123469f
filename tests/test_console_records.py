"""The console's 紀錄 page: cadre and attendance imports (check → confirm → a job writes all or
nothing and shows its result to the person who confirmed), the consultants' classes (preview →
confirm), and the consultation export as a job. Each route is checked per role on the server,
forms need their CSRF token, every change is audited."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select

from school import consultants
from school import consultations as consultation_records
from storage.clock import at_taipei
from storage.models.console import ConsoleAudit
from storage.models.console_office import ConsoleJob
from storage.models.line import LineAccount
from storage.models.portfolio import Performance
from storage.models.records import GROUP, AttendanceRecord, ConsultantAssignment
from storage.models.school import SchoolClass, Staff, StaffRole
from tests.console_support import Browser
from tests.school import STUDENTS_101, School

CADRE_HEADER = [
    "學號",
    "學年度",
    "學期",
    "單位名稱",
    "擔任職務",
    "開始日期",
    "結束日期",
    "幹部等級",
]
CADRES = [
    CADRE_HEADER,
    ["115001", "115", "1", "101班", "班長", "2026-08-30", "2027-01-20", "班級幹部"],
    ["115002", "115", "1", "學生會", "副會長", "115/09/01", "", "校級"],
]
ATTENDANCE = [
    ["學號", "學年度", "學期", "日期", "節次", "假別"],
    ["115001", "115", "1", "2026-09-14", "3", "病假"],
    ["115101", "115", "1", "2026-09-15", "第5節", "事假"],
]


@pytest.fixture
def staff(db: Any, school: School, clock: Any) -> School:
    """The small school plus 教學組 (A002), 訓育組 (A003), 生輔組 (A005), 社團組 (A006) and a
    second consultation teacher (T005), the offices bound to LINE."""
    with db.transaction() as s:
        for no, name, roles, uid in (
            ("A002", "劉教學", ["教學組"], "Uteach"),
            ("A003", "周訓育", ["訓育組"], "Utrain"),
            ("A005", "許生輔", ["生輔組"], "Uconduct"),
            ("A006", "蘇社團", ["社團組"], None),
            ("T005", "楊諮詢", ["任課教師", "課程諮詢教師"], None),
        ):
            member = Staff(staff_no=no, name=name, roles=[StaffRole(role=r) for r in roles])
            s.add(member)
            s.flush()
            if uid:
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


def signed_in(app: Any, staff_no: str) -> Browser:
    browser = Browser(app)
    browser.sign_in(staff_no)
    return browser


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def upload(browser: Browser, kind: str, rows: list[list[str]], **extra: Any) -> Any:
    return browser.post(
        "/console/records/preview",
        {"kind": kind, "file": (io.BytesIO(as_csv(rows)), f"{kind}.csv"), **extra},
        content_type="multipart/form-data",
    )


def token_of(page: str) -> str:
    marker = 'name="token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def confirm(app: Any, browser: Browser, kind: str, token: str) -> Any:
    """Confirm a staged file, let its job run as the worker would, and open the job's page."""
    started = browser.post("/console/records/confirm", {"kind": kind, "token": token})
    assert started.status_code == 303, browser.text()
    app.extensions["portfolio"].queue.run_all()
    return browser.get(started.headers["Location"])


def audits(db: Any) -> list[tuple[str, str]]:
    with db.session() as s:
        return [
            (a.action, a.office) for a in s.scalars(select(ConsoleAudit).order_by(ConsoleAudit.id))
        ]


def count(db: Any, table: Any) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def texts_for(line: Any, user: str) -> str:
    return " ".join(m.get("text") or m.get("altText", "") for m in line.messages_for(user))


# --- roles ----------------------------------------------------------------------------------------

PAGE_ROLES = {"A002", "A003", "A005", "A006"}


def test_the_records_page_is_for_its_offices_only(app: Any, staff: School) -> None:
    for staff_no in ("A001", "A002", "A003", "A005", "A006", "T001", "T004"):
        response = signed_in(app, staff_no).get("/console/records")
        assert response.status_code == (200 if staff_no in PAGE_ROLES else 403), staff_no
    assert Browser(app).get("/console/records").status_code == 401


def test_each_office_sees_only_its_own_parts(app: Any, staff: School) -> None:
    training = signed_in(app, "A003").get("/console/records").get_data(as_text=True)
    assert '<option value="cadres"' in training and '<option value="attendance"' not in training
    assert "課程諮詢教師負責班級" not in training and "產生諮詢紀錄檔" not in training
    assert "紀錄</a>" in training  # in the menu
    conduct = signed_in(app, "A005").get("/console/records").get_data(as_text=True)
    assert '<option value="attendance"' in conduct and '<option value="cadres"' not in conduct
    teaching = signed_in(app, "A002").get("/console/records").get_data(as_text=True)
    assert "幹部與出缺勤匯入" not in teaching
    assert "課程諮詢教師負責班級" in teaching and "T004 黃淑芬" in teaching
    assert "產生諮詢紀錄檔" in teaching


@pytest.mark.parametrize(
    ("path", "form", "allowed", "refused"),
    [
        ("/console/records/confirm", {"kind": "cadres", "token": "x"}, "A003", "A005"),
        ("/console/records/confirm", {"kind": "attendance", "token": "x"}, "A005", "A003"),
        (
            "/console/records/consultants",
            {"action": "assign", "staff_no": "T004", "target": "101", "confirm": "1"},
            "A002",
            "A003",
        ),
        ("/console/records/consultations/export", {"year": "115"}, "A002", "A005"),
    ],
)
def test_records_forms_refuse_other_roles_and_missing_csrf(
    app: Any, staff: School, db: Any, path: str, form: dict[str, str], allowed: str, refused: str
) -> None:
    assert signed_in(app, "T001").post(path, form).status_code == 403
    assert signed_in(app, refused).post(path, form).status_code == 403
    assert signed_in(app, allowed).post(path, form, csrf=False).status_code == 400
    assert count(db, ConsultantAssignment) == 0 and count(db, ConsoleJob) == 0
    assert audits(db) == []


def test_a_crafted_upload_for_another_offices_kind_is_refused(
    app: Any, staff: School, db: Any
) -> None:
    conduct = signed_in(app, "A005")
    assert upload(conduct, "cadres", CADRES).status_code == 403
    assert signed_in(app, "A002").get("/console/records").status_code == 200
    assert upload(signed_in(app, "A002"), "attendance", ATTENDANCE).status_code == 403
    no_csrf = signed_in(app, "A003")
    assert upload(no_csrf, "cadres", CADRES, csrf_token="").status_code == 400


# --- cadre and attendance imports ----------------------------------------------------------------


def test_a_cadre_file_is_checked_then_imported_and_audited(
    app: Any, staff: School, db: Any, line: Any
) -> None:
    browser = signed_in(app, "A003")
    preview = upload(browser, "cadres", CADRES)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "幹部紀錄：請確認試算結果" in page
    assert 'id="added">2<' in page and 'id="updated">0<' in page
    assert count(db, Performance) == 0  # the check writes nothing
    started = browser.post("/console/records/confirm", {"kind": "cadres", "token": token_of(page)})
    assert started.status_code == 303 and count(db, Performance) == 0  # the job writes it
    app.extensions["portfolio"].queue.run_all()
    done = browser.get(started.headers["Location"])
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "幹部紀錄匯入完成" in body.split('id="import-done"')[1]
    assert 'id="added">2<' in body and 'value="100"' in body and "cadres.csv" in body
    assert 'href="/console/records"' in body.split('id="back"')[1]
    assert "幹部紀錄已匯入（cadres.csv）：新增 2 筆" in texts_for(line, "Utrain")
    with db.session() as s:
        stored = s.scalars(select(Performance).order_by(Performance.id)).all()
        assert [p.fields["position"] for p in stored] == ["班長", "副會長"]
        assert all(p.entered_by_staff and p.record_type == "cadre" for p in stored)
        audit = s.scalars(select(ConsoleAudit)).one()
        assert (audit.action, audit.office) == ("records_import", "訓育組")
        assert (audit.before_count, audit.after_count) == (0, 2)
        assert "cadres.csv" in (audit.detail or "")
    # The history on the page shows it; the staged file is gone (a second confirm is refused).
    assert "cadres.csv" in browser.get("/console/records").get_data(as_text=True)
    again = browser.post("/console/records/confirm", {"kind": "cadres", "token": token_of(page)})
    assert again.status_code == 410 and count(db, Performance) == 2


def test_a_changed_cadre_row_is_shown_as_a_change(app: Any, staff: School, db: Any) -> None:
    browser = signed_in(app, "A006")  # 社團組 imports cadres too
    first = upload(browser, "cadres", CADRES).get_data(as_text=True)
    confirm(app, browser, "cadres", token_of(first))
    changed = [CADRE_HEADER, [*CADRES[1][:6], "2027-01-31", "班級幹部"], CADRES[2]]
    page = upload(browser, "cadres", changed).get_data(as_text=True)
    assert 'id="updated">1<' in page and 'id="unchanged">1<' in page
    assert "2027-01-20" in page and "2027-01-31" in page  # old → new
    assert audits(db) == [("records_import", "社團組")]
    # Confirmed, the job's page shows the same change the check did.
    done = confirm(app, browser, "cadres", token_of(page)).get_data(as_text=True)
    assert 'id="updated">1<' in done and 'id="unchanged">1<' in done
    assert "2027-01-31" in done.split('id="changes"')[1]
    assert audits(db) == [("records_import", "社團組")] * 2


def test_row_errors_are_listed_by_row_and_nothing_is_written(
    app: Any, staff: School, db: Any
) -> None:
    browser = signed_in(app, "A003")
    bad = [
        CADRE_HEADER,
        CADRES[1],
        ["999999", "115", "1", "學生會", "會長", "2026-09-01", "", "校級幹部"],
        ["115003", "115", "1", "學生會", "幹事", "2026-09-01", "", "超級幹部"],
    ]
    response = upload(browser, "cadres", bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="row-errors"' in page
    assert "第 3 列" in page and "999999" in page and "第 4 列" in page
    assert 'name="token"' not in page  # nothing to confirm
    assert count(db, Performance) == 0 and audits(db) == []


def test_attendance_is_imported_by_conduct(app: Any, staff: School, db: Any) -> None:
    browser = signed_in(app, "A005")
    page = upload(browser, "attendance", ATTENDANCE).get_data(as_text=True)
    assert 'id="added">2<' in page and "不會匯出到中央資料庫" in page
    done = confirm(app, browser, "attendance", token_of(page))
    assert done.status_code == 200 and "出缺勤紀錄匯入完成" in done.get_data(as_text=True)
    with db.session() as s:
        rows = s.scalars(select(AttendanceRecord).order_by(AttendanceRecord.day)).all()
        assert [(r.period, r.leave_type) for r in rows] == [("3", "病假"), ("5", "事假")]
    assert audits(db) == [("records_import", "生輔組")]
    # Each office reads its own kinds' imports: 訓育組 does not see attendance files.
    assert "attendance.csv" in browser.get("/console/records").get_data(as_text=True)
    training = signed_in(app, "A003").get("/console/records").get_data(as_text=True)
    assert "attendance.csv" not in training and "還沒有匯入過幹部或出缺勤紀錄" in training


def test_a_file_of_the_wrong_type_is_refused(app: Any, staff: School) -> None:
    browser = signed_in(app, "A003")
    response = browser.post(
        "/console/records/preview",
        {"kind": "cadres", "file": (io.BytesIO(b"x"), "cadres.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "error-summary" in response.get_data(as_text=True)


# --- consultants ----------------------------------------------------------------------------------


def test_a_consultant_is_assigned_after_a_preview_and_audited(
    app: Any, staff: School, db: Any
) -> None:
    browser = signed_in(app, "A002")
    form = {"action": "assign", "staff_no": "T004", "target": "grade:10"}
    preview = browser.post("/console/records/consultants", form)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "將指派 黃淑芬（T004）負責 1 年級全部班級" in page
    assert count(db, ConsultantAssignment) == 0  # a preview writes nothing
    done = browser.post("/console/records/consultants", {**form, "confirm": "1"})
    assert done.status_code == 303 and done.headers["Location"].endswith("changed=1#consultants")
    listed = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert "已更新課程諮詢教師的負責班級" in listed and "101、102" in listed
    with db.session() as s:
        row = s.scalars(select(ConsultantAssignment)).one()
        assert (row.staff_id, row.grade, row.class_id) == (staff.staff["T004"], 1, None)
    assert audits(db) == [("consultant_assign", "教學組")]
    # Assigning it again changes nothing and offers no confirm.
    same = browser.post("/console/records/consultants", form).get_data(as_text=True)
    assert "已經負責" in same and 'id="confirm-change"' not in same


def test_a_consultant_is_unassigned_from_one_class(app: Any, staff: School, db: Any) -> None:
    with db.transaction() as s:
        teacher = s.get(Staff, staff.staff["T005"])
        c102 = s.get(SchoolClass, staff.classes["102"])
        consultants.assign_consultant(s, teacher, at_taipei(date(2026, 9, 1), 9), school_class=c102)
    browser = signed_in(app, "A002")
    form = {"action": "unassign", "staff_no": "T005", "target": "102"}
    page = browser.post("/console/records/consultants", form).get_data(as_text=True)
    assert "將取消 楊諮詢（T005）負責 102 班（1 筆）" in page
    assert count(db, ConsultantAssignment) == 1
    browser.post("/console/records/consultants", {**form, "confirm": "1"})
    assert count(db, ConsultantAssignment) == 0
    assert audits(db) == [("consultant_unassign", "教學組")]


def test_a_consultant_change_names_what_is_wrong(app: Any, staff: School, db: Any) -> None:
    browser = signed_in(app, "A002")
    for form, words in (
        ({"action": "assign", "staff_no": "T001", "target": "101"}, "不是課程諮詢教師"),
        ({"action": "assign", "staff_no": "T404", "target": "101"}, "找不到教職員編號 T404"),
        ({"action": "assign", "staff_no": "T004", "target": "909"}, "找不到班級 909"),
        ({"action": "assign", "staff_no": "T004", "target": "grade:15"}, "年級必須是"),
        ({"action": "", "staff_no": "T004", "target": "101"}, "請選擇變更"),
    ):
        response = browser.post("/console/records/consultants", {**form, "confirm": "1"})
        assert response.status_code == 400 and words in response.get_data(as_text=True), words
    assert count(db, ConsultantAssignment) == 0 and audits(db) == []


# --- the consultation export ----------------------------------------------------------------------


def consult(app: Any, db: Any, school: School) -> None:
    """Two consultations of 115 by T004, who advises grade 1."""
    rules = app.extensions["portfolio"].rules
    with db.transaction() as s:
        teacher = s.get(Staff, school.staff["T004"])
        consultants.assign_consultant(s, teacher, at_taipei(date(2026, 9, 1), 9), grade=1)
        for n, day in enumerate((date(2026, 10, 1), date(2026, 10, 8))):
            consultation_records.save_consultation(
                s,
                rules,
                teacher.id,
                consultation_records.ConsultationInput(
                    kind=GROUP,
                    student_ids=[school.students[u] for u in STUDENTS_101[: n + 2]],
                    starts_at=at_taipei(day, 10, 0),
                    ends_at=at_taipei(day, 10, 50),
                    place="圖書館",
                    content=f"選課說明 {n + 1}",
                ),
                at_taipei(day, 12, 0),
            )


def test_the_consultation_export_runs_as_a_job_for_its_starter(
    app: Any, staff: School, db: Any, line: Any
) -> None:
    consult(app, db, staff)
    browser = signed_in(app, "A002")
    started = browser.post("/console/records/consultations/export", {"year": "115"})
    assert started.status_code == 303
    job_url = started.headers["Location"]
    waiting = browser.get(job_url).get_data(as_text=True)
    assert "排隊中" in waiting and "<progress" in waiting and 'http-equiv="refresh"' in waiting
    again = browser.post("/console/records/consultations/export", {"year": "115"})
    assert again.headers["Location"] == job_url  # a double click joins the running job
    app.extensions["portfolio"].queue.run_all()
    done = browser.get(job_url).get_data(as_text=True)
    assert "已匯出 115 學年度課程諮詢紀錄 2 筆（學生明細 5 列）" in done
    assert 'value="100"' in done and 'id="download"' in done
    download = browser.get(job_url + "/download")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    assert "consultations_115.xlsx" in download.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(download.data))
    records_sheet = book.worksheets[0]
    assert records_sheet.max_row == 3  # the header and two records
    assert {c.value for c in records_sheet[3]} >= {"選課說明 2", "圖書館"}
    # The page lists the job; only its starter may see or fetch the result.
    assert "115 學年度諮詢紀錄" in browser.get("/console/records").get_data(as_text=True)
    with db.transaction() as s:
        s.add(StaffRole(staff_id=staff.staff["A003"], role="教學組"))
    other = signed_in(app, "A003")
    assert other.get(job_url).status_code == 403
    assert other.get(job_url + "/download").status_code == 403
    assert "/console/jobs/" in texts_for(line, "Uteach")
    assert audits(db) == [("consultation_export", "教學組")]


def test_an_empty_year_says_so_and_offers_no_download(app: Any, staff: School, db: Any) -> None:
    browser = signed_in(app, "A002")
    job_url = browser.post("/console/records/consultations/export", {"year": "114"}).headers[
        "Location"
    ]
    app.extensions["portfolio"].queue.run_all()
    page = browser.get(job_url).get_data(as_text=True)
    assert "114 學年度沒有任何課程諮詢紀錄" in page and 'id="download"' not in page
    assert browser.get(job_url + "/download").status_code == 403
    with db.session() as s:
        job = s.scalars(select(ConsoleJob)).one()
        assert (
            job.result_path is None
            and not Path(
                app.extensions["portfolio"].settings.storage_dir, "console-jobs", str(job.id)
            ).exists()
        )
