"""The console in headless Chromium (Debian's chromium, driven by Playwright): sign in from a
link, import a roster through the preview, issue codes and download the slips, the overview's
charts drawn with the right numbers, no JavaScript errors, at phone (390 px) and PC (1280 px)
widths. Screenshots of every page go to tests/artifacts/ (not kept in git)."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from werkzeug.serving import make_server

from tests.conftest import IN_CI
from tests.console_support import link_for
from tests.school import School
from tests.test_certify import submit_item
from tests.test_console_roster import GOOD, students, students_csv

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
WIDTHS = {"phone": (390, 844), "pc": (1280, 900)}


def _need(what: str) -> None:
    message = f"{what} is missing: `make test` installs it (apt-get install chromium; pip .[test])"
    if IN_CI:
        pytest.fail(f"{message}; CI needs it")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need("playwright")
    if not Path(CHROMIUM).is_file():
        _need("chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Live:
    """The app served on a free local port, with the pages' JavaScript errors collected."""

    def __init__(self, app: Any, base: str) -> None:
        self.app = app
        self.base = base
        self.errors: list[str] = []

    def watch(self, page: Any) -> Any:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page


@pytest.fixture
def live(app: Any) -> Iterator[Live]:
    from bot import create_app

    holder: dict[str, Any] = {}
    server = make_server(
        "127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True
    )
    base = f"http://127.0.0.1:{server.server_port}"
    svc = app.extensions["portfolio"]
    holder["app"] = create_app(
        svc.settings.with_changes(public_base_url=base),
        db=svc.db,
        queue="manual",
        clock=svc.clock,
        line=svc.line,
        sleep=lambda s: None,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Live(holder["app"], base)
    server.shutdown()
    thread.join(5)


def shot(page: Any, name: str, size: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{size}.png"), full_page=True)


def sign_in(live: Live, browser: Any, staff_no: str, size: str) -> Any:
    width, height = WIDTHS[size]
    context = browser.new_context(
        viewport={"width": width, "height": height}, accept_downloads=True
    )
    page = live.watch(context.new_page())
    page.goto(link_for(live.app, staff_no).replace("https://portfolio.example.edu.tw", live.base))
    assert page.locator("button[type=submit]").count() == 1
    shot(page, "signin", size)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.base}/console/")
    return page


@pytest.mark.parametrize("size", sorted(WIDTHS))
def test_sign_in_and_the_overview_charts(
    live: Live, browser: Any, school: School, db: Any, clock: Any, size: str
) -> None:
    submit_item(db, school, clock, "Us10101", "101-數學")
    submit_item(db, school, clock, "Us10102", "101-數學")
    submit_item(db, school, clock, "Us10201", "102-英語文")
    page = sign_in(live, browser, "A001", size)
    assert "總覽" in page.title()
    page.wait_for_function("window.Chart && Chart.getChart('class-chart')")
    drawn = page.evaluate("""() => {
        const chart = Chart.getChart('class-chart');
        const days = Chart.getChart('day-chart');
        return {labels: chart.data.labels,
                pending: chart.data.datasets.find(d => d.label === '待認證').data,
                silent: chart.data.datasets.find(d => d.label === '尚未上傳').data,
                bars: chart.getDatasetMeta(1).data.map(b => b.base - b.y),
                uploads: days.data.datasets[0].data.reduce((a, b) => a + b, 0)};
    }""")
    assert drawn["labels"] == ["101", "102"]
    assert drawn["pending"] == [2, 1] and drawn["silent"] == [4, 2]
    assert drawn["bars"][1] > 0  # drawn on screen, 101's bar twice as tall as 102's
    assert abs(drawn["bars"][0] - 2 * drawn["bars"][1]) < 1
    assert drawn["uploads"] == 3
    shot(page, "overview", size)
    page.click("#class-table a[href*='/list/silent'] >> nth=0")  # 101: nothing uploaded
    assert "尚未上傳的學生" in page.inner_text("h1") and "共 4 筆" in page.inner_text("h1")
    shot(page, "list", size)
    page.goto(f"{live.base}/console/audit")
    shot(page, "audit", size)
    page.goto(f"{live.base}/console/people")
    page.fill("input[name=q]", "李小明")
    page.click("text=查詢")
    page.click("#found a")
    assert "101 班 1 號" in page.inner_text("main")
    shot(page, "person", size)
    page.click("text=登出")
    assert "已登出" in page.inner_text("h1")
    assert live.errors == []


@pytest.mark.parametrize("size", sorted(WIDTHS))
def test_import_a_roster_through_the_preview(
    live: Live, browser: Any, school: School, db: Any, tmp_path: Path, size: str
) -> None:
    roster = tmp_path / "students.csv"
    roster.write_bytes(students_csv(GOOD))
    page = sign_in(live, browser, "A001", size)
    page.click("nav >> text=名冊匯入")
    page.select_option("select[name=kind]", "students")
    page.set_input_files("input[type=file]", str(roster))
    shot(page, "roster", size)
    page.click("text=上傳並試算")
    assert page.inner_text("#added") == "3" and students(db) == 9
    shot(page, "roster-preview", size)
    page.click("text=確認匯入")
    page.wait_for_selector("#job-progress")
    assert page.get_attribute("#job-progress", "value") == "0" and students(db) == 9
    shot(page, "roster-job", size)
    live.app.extensions["portfolio"].queue.run_all()  # the worker runs the import
    page.reload()
    page.wait_for_selector("#import-done")
    assert "匯入完成" in page.inner_text("#import-done") and students(db) == 12
    assert page.get_attribute("#job-progress", "value") == "100"
    shot(page, "roster-done", size)
    page.click("#back")
    assert "張雅婷" in page.inner_text("#history")
    assert live.errors == []


@pytest.mark.parametrize("size", sorted(WIDTHS))
def test_issue_codes_and_download_the_slips(
    live: Live, browser: Any, school: School, size: str
) -> None:
    page = sign_in(live, browser, "A001", size)
    page.click("nav >> text=綁定碼")
    page.select_option("select[name=class]", "102")
    page.fill("input[name=until]", "民國 115/11/30")
    shot(page, "codes", size)
    with page.expect_download() as download:
        page.click("text=發綁定碼並下載 PDF")
    data = Path(download.value.path()).read_bytes()
    words = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "吳承恩" in words and "2026/11/30" in words
    assert download.value.suggested_filename.endswith(".pdf")
    page.click("#binding-table a >> text=102")
    shot(page, "codes-class", size)
    assert live.errors == []
