"""More office pages in headless Chromium, at a desk and on a 390 px phone: 學生異動 with a
graduation, 活動, a teacher's 教學 page, 系統's retention run with its progress bar, and 期程
with next year's calendar adopted. Screenshots go to tests/artifacts/; no page may log an error."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from storage.clock import TAIPEI
from storage.models.school import Student
from tests.test_console_office import offices  # noqa: F401 - the fixture
from tests.test_console_office_browser import Page, browser, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("offices")
SIZES = ["phone", "pc"]


@pytest.mark.parametrize("size", SIZES)
def test_students_page_graduates_a_class(
    app: Any,
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Any,
    size: str,
) -> None:
    tab = Page(browser, app, server, "A001", size)
    page = tab.go("/console/students")
    tab.look("students")
    page.fill("#graduation input[name=classes]", "102")
    page.click("#preview-graduation")
    page.wait_for_selector("#graduation-preview")
    assert "畢業：3 位" in page.inner_text("#graduation-preview")
    tab.look("graduation-preview")
    page.click("#confirm-graduation")
    page.wait_for_selector("#graduation .ok")
    assert "已辦理" in page.inner_text("#graduation .ok")
    with db.session() as s:
        assert s.scalar(select(Student.graduated_on).where(Student.student_no == "115101"))
    tab.shot("graduation-done")
    tab.close()


@pytest.mark.parametrize("size", SIZES)
def test_events_and_teaching_pages(
    app: Any,
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    size: str,
) -> None:
    office = Page(browser, app, server, "A002", size)
    page = office.go("/console/events")
    assert "學生學習歷程訓練" in page.inner_text("main")
    office.look("events")
    office.close()
    teacher = Page(browser, app, server, "T001", size)
    page = teacher.go("/console/teaching")
    assert page.locator("h1").count() == 1
    teacher.look("teaching")
    teacher.close()


def test_retention_runs_with_its_progress_bar(
    app: Any,
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Any,
) -> None:
    with db.transaction() as s:
        found = s.scalars(select(Student).where(Student.student_no == "115001")).one()
        found.status, found.graduated_on = "畢業", date(2026, 10, 1)
    tab = Page(browser, app, server, "A004", "phone")
    page = tab.go("/console/system")
    assert "將封存 1 位畢業生" in page.inner_text("#retention")
    tab.look("retention")
    page.click("#run-retention")
    page.wait_for_selector("#job-progress")
    assert page.get_attribute("#job-progress", "value") == "0"
    app.extensions["portfolio"].queue.run_all()  # the worker runs the job
    page.reload()
    page.wait_for_selector("#job-progress[value='100']")
    assert "已封存 1 位" in page.inner_text("main")
    tab.look("retention-done")
    tab.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_calendar_and_next_years_adoption(
    app: Any,
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    clock: Any,
    size: str,
) -> None:
    clock.set(datetime(2028, 6, 1, 10, 0, tzinfo=TAIPEI))
    tab = Page(browser, app, server, "A001", size)
    page = tab.go("/console/calendar?year=116")
    tab.look("calendar-116")
    page.click("text=由本學年推算下一學年度的期程")
    page.wait_for_selector("#draft-windows")
    tab.look("calendar-next")
    page.fill("input[name=s1_start]", "2028/09/01")
    page.click("#recheck")
    page.wait_for_selector("#draft-windows")
    page.click("#adopt")
    page.wait_for_selector(".ok")
    assert "已採用" in page.inner_text(".ok")
    assert "117 學年度期程" in page.inner_text("h1")
    tab.look("calendar-adopted")
    tab.close()


@pytest.mark.parametrize("size", SIZES)
def test_a_convener_names_their_designee(
    app: Any,
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    size: str,
) -> None:
    tab = Page(browser, app, server, "T003", size)  # 陳建宏, 數學's convener
    page = tab.go("/console/certification")
    tab.fits()
    page.select_option("#my-designee select[name=staff_no]", "T002")
    page.click("#preview-own-designee")
    page.wait_for_selector("#proxy-preview")
    assert "數學 召集人 陳建宏，指定" in page.inner_text("#proxy-preview")
    tab.look("own-designee-preview")
    page.click("#confirm-proxy")
    page.wait_for_selector("main .ok")
    assert "林志明" in page.inner_text("main")
    tab.shot("own-designee-done")
    tab.close()
