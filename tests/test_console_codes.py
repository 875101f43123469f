"""綁定碼 in the console: issue by class, grade or person, slips as one PDF, per-class binding."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader
from sqlalchemy import func, select

from storage.models.binding import BindingCode
from storage.models.console import ConsoleAudit
from storage.models.line import LineAccount
from tests.console_support import Browser
from tests.school import School


def registrar(app: Any) -> Browser:
    browser = Browser(app)
    browser.sign_in("A001")
    browser.get("/console/codes")
    return browser


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_issue_a_class_and_download_one_pdf_of_slips(app: Any, school: School, db: Any) -> None:
    browser = registrar(app)
    page = browser.text()
    assert "101" in page and "102" in page and "發綁定碼並下載 PDF" in page
    response = browser.post(
        "/console/codes/issue", {"role": "student", "class": "101", "until": "民國 115/11/30"}
    )
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "李小明" not in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4
    words = pdf_text(response.data)
    for name in ("李小明", "陳怡君", "黃詩涵"):
        assert name in words
    assert "101 班 1 號" in words and "2026/11/30" in words
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(BindingCode)) == 6
        entry = s.scalars(select(ConsoleAudit)).one()
        assert entry.action == "codes_issue" and entry.after_count == 6 and entry.before_count == 0


def test_slips_carry_the_add_friend_qr_code_when_the_basic_id_is_set(
    app: Any, school: School
) -> None:
    svc = app.extensions["portfolio"]
    from bot import create_app

    with_id = create_app(
        svc.settings.with_changes(line_basic_id="@123abcde"),
        db=svc.db,
        queue="manual",
        clock=svc.clock,
        line=svc.line,
    )
    browser = registrar(with_id)
    assert "LINE_BASIC_ID" not in browser.text()
    response = browser.post("/console/codes/issue", {"role": "student", "class": "102"})
    assert "掃描加入學校 LINE" in pdf_text(response.data)
    plain = registrar(app)
    assert "LINE_BASIC_ID" in plain.text()
    assert "掃描加入學校 LINE" not in pdf_text(
        plain.post("/console/codes/issue", {"role": "student", "class": "102"}).data
    )


def test_by_grade_and_by_person_and_staff(app: Any, school: School, db: Any) -> None:
    browser = registrar(app)
    assert "吳承恩" in pdf_text(
        browser.post("/console/codes/issue", {"role": "student", "grade": "1"}).data
    )
    one = pdf_text(
        browser.post("/console/codes/issue", {"role": "student", "person": "115102"}).data
    )
    assert "劉欣怡" in one and "李小明" not in one
    staff = pdf_text(browser.post("/console/codes/issue", {"role": "staff", "person": "T004"}).data)
    assert "黃淑芬" in staff


def test_mistakes_are_listed_and_nothing_is_issued(app: Any, school: School, db: Any) -> None:
    browser = registrar(app)
    for form, words in (
        ({"role": "student", "class": "999"}, "找不到班級 999"),
        ({"role": "student", "until": "下個月"}, "2026/12/05 或 民國 115/12/05"),
        ({"role": "staff", "class": "101"}, "教職員的綁定碼不分班級"),
        ({"role": "student", "until": "2026/10/01"}, "有效期限要在今天之後"),
    ):
        response = browser.post("/console/codes/issue", form)
        assert response.status_code == 400 and words in browser.text(), form
        assert 'id="error-summary"' in browser.text()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(BindingCode)) == 0


def test_per_class_who_is_not_bound_and_reissue_one(app: Any, db: Any) -> None:
    from tests.school import seed_school

    school = seed_school(db)
    with db.transaction() as s:
        s.execute(LineAccount.__table__.delete().where(LineAccount.line_user_id == "Us10106"))
    browser = registrar(app)
    table = browser.text().split('id="binding-table"')[1]
    assert '<td class="num">5</td>' in table  # 101: 5 of 6 bound
    browser.get(f"/console/codes/class/{school.classes['101']}")
    assert browser.text().count("未綁定") >= 1 and "黃詩涵" in browser.text()
    student_id = school.students["Us10106"]
    response = browser.post(
        "/console/codes/reissue", {"role": "student", "person_id": str(student_id)}
    )
    assert response.mimetype == "application/pdf" and "黃詩涵" in pdf_text(response.data)
    with db.session() as s:
        assert s.scalar(select(BindingCode.student_id)) == student_id
        assert s.scalar(select(ConsoleAudit.action)) == "codes_reissue"


def test_others_cannot_issue_codes(app: Any, school: School, db: Any) -> None:
    teacher = Browser(app)
    teacher.sign_in("T001")
    assert teacher.get("/console/codes").status_code == 403
    assert teacher.post("/console/codes/issue", {"role": "student"}).status_code == 403
    assert (
        teacher.post("/console/codes/reissue", {"role": "student", "person_id": "1"}).status_code
        == 403
    )
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(BindingCode)) == 0


def test_the_basic_id_setting_is_checked_once() -> None:
    import pytest

    from runtime.config import ConfigError, load_settings

    env = {
        "LINE_CHANNEL_SECRET": "s" * 32,
        "LINE_CHANNEL_ACCESS_TOKEN": "t" * 40,
        "SECRET_KEY": "k7Qz9w2LmX4pR8vN1bT6yH3cJ5dF0gA",
    }
    assert load_settings({**env, "LINE_BASIC_ID": "123abcde"}).line_basic_id == "@123abcde"
    assert load_settings(env).line_basic_id is None
    with pytest.raises(ConfigError, match="LINE_BASIC_ID"):
        load_settings({**env, "LINE_BASIC_ID": "@bad id!"})
    from school.codes import friend_url

    assert friend_url("@123abcde") == "https://line.me/R/ti/p/@123abcde"
