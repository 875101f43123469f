"""名冊匯入 in the console: upload, dry run, confirm (a job writes it, its page shows the result to
the person who confirmed); errors by row; nothing partly written."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select

from school.roster_files import is_valid_national_id
from storage.models.console import ConsoleAudit
from storage.models.console_office import ConsoleJob
from storage.models.school import Staff, StaffRole, Student
from tests.console_support import Browser
from tests.school import REGISTRAR, School

HEADER = "學號,姓名,身分證號,年級,班級,座號"


def national_id(n: int) -> str:
    """A valid national ID, different for each n."""
    body = f"A1{n:07d}"
    return next(body + str(d) for d in range(10) if is_valid_national_id(body + str(d)))


def students_csv(rows: list[str]) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8")


GOOD = [f"11501{n},新同學{n},{national_id(n)},1,101,{6 + n}" for n in range(1, 4)]


def students(db: Any) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Student)))


def upload(
    browser: Browser, data: bytes, name: str = "students.csv", kind: str = "students"
) -> Any:
    return browser.post(
        "/console/roster/preview",
        {"kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def token_of(page: str) -> str:
    return page.split('name="token" value="')[1].split('"')[0]


def run_jobs(app: Any) -> None:
    """Run what the confirm queued, as the worker would."""
    app.extensions["portfolio"].queue.run_all()


def confirm(app: Any, browser: Browser, token: str, kind: str = "students") -> Any:
    """Confirm a staged file, let its job run, and open the job's page (where the result waits)."""
    started = browser.post("/console/roster/confirm", {"kind": kind, "token": token})
    assert started.status_code == 303, browser.text()
    run_jobs(app)
    return browser.get(started.headers["Location"])


def registrar(app: Any) -> Browser:
    browser = Browser(app)
    browser.sign_in("A001")
    browser.get("/console/roster")
    return browser


def test_preview_writes_nothing_and_confirm_writes_all(app: Any, school: School, db: Any) -> None:
    browser = registrar(app)
    assert students(db) == 9
    preview = upload(browser, students_csv(GOOD))
    page = browser.text()
    assert preview.status_code == 200 and 'id="added">3<' in page and "確認匯入" in page
    assert "目前還沒有寫入任何資料" in page
    assert students(db) == 9
    done = confirm(app, browser, token_of(page))
    result = browser.text().split('id="import-done"')[1]
    assert done.status_code == 200 and "學生名冊匯入完成" in result
    assert 'id="added">3<' in result and 'id="updated">0<' in result and "students.csv" in result
    assert students(db) == 12
    browser.get(browser.text().split('id="back" href="')[1].split('"')[0])
    history = browser.text().split('id="history"')[1]
    assert "張雅婷" in history and "students.csv" in history
    with db.session() as s:
        entry = s.scalars(select(ConsoleAudit)).one()
        assert (entry.before_count, entry.after_count, entry.office) == (9, 12, "註冊組")
    # The staged file is gone: confirming twice does nothing more.
    again = browser.post("/console/roster/confirm", {"kind": "students", "token": token_of(page)})
    assert again.status_code == 410 and students(db) == 12


def test_confirm_starts_a_job_that_writes_nothing_until_it_runs(
    app: Any, school: School, db: Any, line: Any
) -> None:
    browser = registrar(app)
    upload(browser, students_csv(GOOD))
    token = token_of(browser.text())
    started = browser.post("/console/roster/confirm", {"kind": "students", "token": token})
    assert started.status_code == 303
    job_url = started.headers["Location"]
    waiting = browser.get(job_url).get_data(as_text=True)
    assert "名冊匯入" in waiting and "排隊中" in waiting and 'http-equiv="refresh"' in waiting
    assert '<progress id="job-progress" max="100" value="0">' in waiting
    assert 'id="import-done"' not in waiting
    # A double click joins the job the first click started; nothing is written yet.
    again = browser.post("/console/roster/confirm", {"kind": "students", "token": token})
    assert again.headers["Location"] == job_url
    assert students(db) == 9
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ConsoleAudit)) == 0
        assert s.scalar(select(func.count()).select_from(ConsoleJob)) == 1
    run_jobs(app)
    done = browser.get(job_url).get_data(as_text=True)
    assert 'value="100"' in done and "（3/3）" in done and 'http-equiv="refresh"' not in done
    assert 'id="import-done"' in done and students(db) == 12
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ConsoleAudit)) == 1
    told = " ".join(m.get("text", "") for m in line.messages_for(REGISTRAR))
    assert "學生名冊已匯入（students.csv）：新增 3 筆、更新 0 筆、不變 0 筆" in told
    assert job_url in told
    # The result is the starter's alone.
    with db.transaction() as s:
        s.add(Staff(staff_no="A009", name="蔡註冊", roles=[StaffRole(role="註冊組")]))
    other = Browser(app)
    other.sign_in("A009")
    assert other.get(job_url).status_code == 403


def test_a_bad_file_shows_every_error_by_row_and_writes_nothing(
    app: Any, school: School, db: Any
) -> None:
    browser = registrar(app)
    bad = [*GOOD[:2], "115013,壞資料,A000000000,4,101,9"]
    preview = upload(browser, students_csv(bad))
    page = browser.text()
    assert preview.status_code == 422 and "第 4 列" in page
    assert "確認匯入" not in page and 'name="token"' not in page
    assert students(db) == 9
    forged = browser.post("/console/roster/confirm", {"kind": "students", "token": "x" * 32})
    assert forged.status_code == 410 and students(db) == 9


def test_a_file_that_went_bad_before_confirming_writes_nothing(
    app: Any, school: School, db: Any
) -> None:
    browser = registrar(app)
    upload(browser, students_csv(GOOD))
    token = token_of(browser.text())
    # Meanwhile the CLI imports someone with the last row's national ID: the re-check fails.
    from storage.crypto import cipher

    with db.transaction() as s:
        s.add(
            Student(
                student_no="999999",
                name="搶先的人",
                grade=1,
                national_id_hash=cipher().lookup_hash(national_id(3)),
            )
        )
    confirm(app, browser, token)
    page = browser.text()
    assert "沒有完成" in page and "第 4 列" in page.split('id="row-errors"')[1]
    assert "學生名冊：匯入失敗，未寫入任何資料" in page.split('id="error-summary"')[1]
    assert 'id="import-done"' not in page and 'id="back"' in page
    assert students(db) == 10  # only the one added meanwhile: none of the file's rows
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ConsoleAudit)) == 0
    # The job read the staged file and removed it, as the confirm used to.
    again = browser.post("/console/roster/confirm", {"kind": "students", "token": token})
    assert again.status_code == 410


def test_big5_csv_and_xlsx_are_read(app: Any, school: School, db: Any) -> None:
    browser = registrar(app)
    upload(browser, students_csv(GOOD[:1]).decode().encode("cp950"), "big5.csv")
    assert 'id="added">1<' in browser.text()
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    for row in GOOD:
        sheet.append(row.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    upload(browser, buffer.getvalue(), "students.xlsx")
    assert 'id="added">3<' in browser.text()
    upload(browser, b"%PDF-1.4", "students.pdf")
    assert browser.last.status_code == 400 and "CSV 或 Excel" in browser.text()


def test_another_offices_kind_or_staged_file_is_refused(app: Any, school: School, db: Any) -> None:
    with db.transaction() as s:
        s.add(Staff(staff_no="A002", name="劉教學", roles=[StaffRole(role="教學組")]))
    teaching = Browser(app)
    teaching.sign_in("A002")
    teaching.get("/console/roster")
    assert "學生名冊" not in teaching.text().split('name="kind"')[1].split("</select>")[0]
    assert upload(teaching, students_csv(GOOD)).status_code == 403
    registrar_browser = registrar(app)
    upload(registrar_browser, students_csv(GOOD))
    token = token_of(registrar_browser.text())
    # 教學組 cannot confirm the registrar's staged file, even for a kind it may import.
    stolen = teaching.post("/console/roster/confirm", {"kind": "courses", "token": token})
    assert stolen.status_code == 410 and students(db) == 9
    teacher = Browser(app)
    teacher.sign_in("T001")
    assert teacher.get("/console/roster").status_code == 403
    assert upload(teacher, students_csv(GOOD)).status_code == 403


def test_uploads_are_rate_limited(app: Any, school: School, clock: Any) -> None:
    from school.console_access import UPLOAD_LIMIT

    browser = registrar(app)
    for _ in range(UPLOAD_LIMIT[0]):
        assert upload(browser, students_csv(GOOD[:1])).status_code == 200
    assert upload(browser, students_csv(GOOD[:1])).status_code == 429
    assert "分鐘後再試" in browser.text()


def test_two_jobs_for_one_staged_file_import_it_once(app: Any, school: School, db: Any) -> None:
    """Should two confirms ever both start a job, the first to take the file imports it."""
    from school import jobs as console_jobs

    browser = registrar(app)
    upload(browser, students_csv(GOOD))
    params = {"kind": "students", "token": token_of(browser.text())}
    svc = app.extensions["portfolio"]
    with db.transaction() as s:
        ids = [
            console_jobs.start(
                s, console_jobs.IMPORT_ROSTER, params, school.staff["A001"], svc.clock.now()
            )
            for _ in range(2)
        ]
    for job_id in ids:
        svc.queue.enqueue("jobs.console.run_console_job", job_id)
    run_jobs(app)
    assert students(db) == 12
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ConsoleAudit)) == 1
        jobs = [s.get(ConsoleJob, job_id) for job_id in ids]
        assert [job.state for job in jobs if job] == ["done", "failed"]
        assert jobs[1] is not None and "請重新上傳檔案" in (jobs[1].message or "")
