"""人員 in the console: find a person (words never in the URL), roles, binding, items inline."""

from __future__ import annotations

from typing import Any

from tests.console_support import Browser
from tests.school import School
from tests.test_certify import submit_item


def test_find_a_student_and_see_binding_guardians_and_items(
    app: Any, school: School, db: Any, clock: Any
) -> None:
    submit_item(
        db, school, clock, "Us10101", "101-數學", summary="函數圖形的報告", mime="application/pdf"
    )
    browser = Browser(app)
    browser.sign_in("A001")
    browser.get("/console/people")
    found = browser.post("/console/people", {"q": "李小明"})
    assert found.status_code == 200 and "李小明" in browser.text()
    assert "李小明" not in found.request.url and "%E6" not in found.request.url
    student_id = school.students["Us10101"]
    card = browser.get(f"/console/people/student/{student_id}").get_data(as_text=True)
    assert "101 班 1 號" in card and "已綁定" in card and "李大華" in card
    assert "函數圖形的報告" in card and "待認證" in card
    assert '<iframe class="file" src="https://portfolio.example.edu.tw/f/' in card
    file_url = card.split('<iframe class="file" src="')[1].split('"')[0]
    assert browser.client.get(
        file_url.replace("https://portfolio.example.edu.tw", ""),
        base_url="https://portfolio.example.edu.tw",
    ).status_code in (
        200,
        410,
    )  # 410: the test's bytes are not in the store; the link itself is accepted
    guardian = browser.get(f"/console/people/guardian/{school.guardian}").get_data(as_text=True)
    assert "李小明" in guardian and "已綁定" in guardian
    staff = browser.post("/console/people", {"q": "T003"})
    assert "陳建宏" in browser.text() and staff.status_code == 200
    member = browser.get(f"/console/people/staff/{school.staff['T003']}").get_data(as_text=True)
    assert "科召集人" in member and "數學" in member


def test_a_homeroom_teacher_finds_only_their_class(app: Any, school: School) -> None:
    browser = Browser(app)
    browser.sign_in("T001")  # 101
    browser.get("/console/people")
    browser.post("/console/people", {"q": "1151"})  # 102's numbers
    assert "吳承恩" not in browser.text()
    browser.post("/console/people", {"q": "陳"})
    assert "陳怡君" in browser.text() and "陳建宏" not in browser.text()  # no staff for 導師
    own = school.students["Us10101"]
    other = school.students["Us10201"]
    assert browser.get(f"/console/people/student/{own}").status_code == 200
    assert browser.get(f"/console/people/student/{other}").status_code == 403
    assert browser.get(f"/console/people/staff/{school.staff['T003']}").status_code == 403
    assert browser.get(f"/console/people/guardian/{school.guardian}").status_code == 200


def test_others_may_not_look_people_up(app: Any, school: School) -> None:
    browser = Browser(app)
    browser.sign_in("T003")  # a subject teacher and convener, no homeroom
    assert browser.get("/console/people").status_code == 403
    assert browser.get(f"/console/people/student/{school.students['Us10101']}").status_code == 403
    assert browser.post("/console/people", {"q": "李"}).status_code == 403
