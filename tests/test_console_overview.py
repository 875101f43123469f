"""總覽: counts per class and course, the list behind each number, xlsx of every list."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import load_workbook

from tests.console_support import Browser
from tests.school import School
from tests.test_certify import submit_item


def seed_work(db: Any, school: School, clock: Any) -> None:
    submit_item(db, school, clock, "Us10101", "101-數學")
    submit_item(db, school, clock, "Us10101", "101-國語文")
    submit_item(db, school, clock, "Us10102", "101-數學")
    clock.advance(days=1)
    submit_item(db, school, clock, "Us10201", "102-英語文")


def chart_data(page: str) -> dict[str, Any]:
    return json.loads(page.split('id="chart-data">')[1].split("</script>")[0])


def test_the_overview_counts_and_links_every_number(
    app: Any, school: School, db: Any, clock: Any
) -> None:
    seed_work(db, school, clock)
    browser = Browser(app)
    browser.sign_in("A001")
    page = browser.get("/console/").get_data(as_text=True)
    data = chart_data(page)
    assert data["classes"]["labels"] == ["101", "102"]
    assert data["classes"]["pending"] == [3, 1]
    assert data["classes"]["silent"] == [4, 2]
    assert sum(data["days"]["counts"]) == 4 and "2026/10/15" in data["days"]["labels"]
    table = page.split('id="class-table"')[1].split("</table>")[0]
    assert f"/console/list/silent?class={school.classes['101']}" in table
    silent = browser.get(f"/console/list/silent?class={school.classes['101']}")
    text = silent.get_data(as_text=True)
    assert "共 4 筆" in text and "李小明" not in text and "張家豪" in text
    pending = browser.get("/console/list/pending").get_data(as_text=True)
    assert "共 4 筆" in pending and "數學" in pending
    sheet = browser.get(f"/console/list/pending?class={school.classes['101']}&format=xlsx")
    assert sheet.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(sheet.data)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("學號", "姓名") and len(rows) == 4
    assert "本月 LINE 訊息" in page
    assert "民國 115/" in page  # the window's dates in both calendars


def test_a_teacher_sees_their_courses_numbers(
    app: Any, school: School, db: Any, clock: Any
) -> None:
    seed_work(db, school, clock)
    browser = Browser(app)
    browser.sign_in("T003")  # 數學 in both classes
    page = browser.get("/console/").get_data(as_text=True)
    assert 'id="class-table"' not in page and "本月 LINE 訊息" not in page
    courses = page.split('id="course-table"')[1].split("</table>")[0]
    assert "數學" in courses and "英語文" not in courses
    pending = browser.get("/console/list/pending").get_data(as_text=True)
    assert "共 2 筆" in pending


def test_the_overview_counts_the_same_on_sqlite(sqlite_db: Any, clock: Any) -> None:
    from school import overview as ov
    from tests.school import seed_school

    school = seed_school(sqlite_db)
    submit_item(sqlite_db, school, clock, "Us10101", "101-數學")
    clock.advance(hours=15)  # 01:00 the next Taipei day
    submit_item(sqlite_db, school, clock, "Us10102", "101-數學")
    with sqlite_db.session() as session:
        data = ov.overview(session, ov.WHOLE_SCHOOL, 115, 1)
        listed = ov.listing(session, ov.WHOLE_SCHOOL, 115, 1, "pending")
    assert [(str(d), n) for d, n in data.per_day] == [("2026-10-15", 1), ("2026-10-16", 1)]
    assert [r.pending for r in data.classes] == [2, 0] and listed.total == 2
