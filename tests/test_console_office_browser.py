"""The office pages in headless Chromium: the calendar edit, an exception for one student, a
year-end export with its progress bar and download, and the backups page. Screenshots go to
tests/artifacts/ (ignored by git); no page may log a JavaScript error."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from storage.clock import TAIPEI
from tests.conftest import _missing
from tests.console_support import BASE, link_for
from tests.school import STUDENTS_101, School
from tests.test_console_office import offices, use_backup_dir  # noqa: F401 - the fixture

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SIZES = {"phone": {"width": 390, "height": 844}, "pc": {"width": 1280, "height": 900}}


@pytest.fixture
def server(app: Any) -> Iterator[str]:
    """The app served on a free port for the browser."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        _missing("Chromium", "no /usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright", "the playwright package is not installed")
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


class Page:
    """One browser tab signed in as a staff member, failing on any JavaScript error."""

    def __init__(self, browser: Any, app: Any, base: str, staff_no: str, size: str) -> None:
        self.context = browser.new_context(viewport=SIZES[size], locale="zh-TW")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        # A failed load is reported by URL (below); the browser's own favicon probe is not ours.
        self.page.on(
            "console",
            lambda m: (
                self.errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None
            ),
        )
        self.page.on(
            "response",
            lambda r: (
                self.errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico")
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.size = size
        url = link_for(app, staff_no).replace(BASE, base)
        self.page.goto(url)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base}/console/")
        self.base = base

    def go(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"office-{name}-{self.size}.png"), full_page=True)

    def fits(self) -> None:
        """Nothing but a table's own scroll box is wider than the screen."""
        overflow = self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, overflow

    def look(self, name: str) -> None:
        """The page fits the screen; keep a screenshot of it to look at."""
        self.fits()
        self.shot(name)

    def close(self) -> None:
        assert self.errors == [], self.errors
        self.context.close()


@pytest.mark.parametrize("size", ["phone", "pc"])
def test_the_calendar_edit_in_a_browser(
    app: Any,
    offices: School,  # noqa: F811 - the fixture imported above
    server: str,  # noqa: F811
    browser: Any,
    line: Any,
    size: str,
) -> None:
    tab = Page(browser, app, server, "A001", size)
    page = tab.go("/console/calendar")
    assert page.locator("svg rect").count() >= 5
    tab.shot("calendar")
    page.select_option("select[name=kind]", "upload")
    page.select_option("select[name=semester]", "1")
    page.fill("input[name=end]", "民國 116/02/08")
    page.click("#preview-change")
    assert "將公告給 9 人" in page.inner_text(".preview")
    tab.shot("calendar-preview")
    page.click("#confirm-change")
    page.wait_for_selector(".ok")
    assert "已調整並公告" in page.inner_text(".ok")
    assert "（已調整）" in page.inner_text("#windows")
    tab.shot("calendar-done")
    tab.close()


def test_an_exception_in_a_browser(
    app: Any,
    offices: School,  # noqa: F811 - the fixture imported above
    server: str,  # noqa: F811
    browser: Any,
    clock: Any,
    line: Any,
) -> None:
    clock.set(datetime(2027, 2, 5, 10, 0, tzinfo=TAIPEI))
    tab = Page(browser, app, server, "A001", "phone")
    page = tab.go("/console/exceptions")
    page.fill("input[name=student_no]", "115001")
    page.fill("input[name=term]", "115-1")
    page.fill("input[name=until]", "2027/02/10")
    page.fill("textarea[name=reason]", "住院兩週，家長來電申請")
    page.click("#grant-exception")
    page.wait_for_selector(".ok")
    assert "住院兩週" in page.inner_text("#exceptions")
    tab.shot("exception")
    app.extensions["portfolio"].queue.run_all()
    assert any("個別開放" in (m.get("text") or "") for m in line.messages_for(STUDENTS_101[0]))
    tab.close()


def test_an_export_with_its_progress_bar_and_download(
    app: Any,
    offices: School,  # noqa: F811 - the fixture imported above
    server: str,
    browser: Any,
    clock: Any,  # noqa: F811
    db: Any,
) -> None:
    from tests.test_console_office import _picked_items

    clock.set(datetime(2027, 7, 29, 9, 0, tzinfo=TAIPEI))
    _picked_items(app, db, offices)
    tab = Page(browser, app, server, "A002", "pc")
    page = tab.go("/console/yearend")
    tab.shot("yearend")
    page.click("#export-course_outcome")
    page.wait_for_selector("#job-progress")
    assert page.get_attribute("#job-progress", "value") == "0"
    tab.shot("export-waiting")
    app.extensions["portfolio"].queue.run_all()  # the worker runs the job
    page.reload()
    page.wait_for_selector("#download")
    assert page.get_attribute("#job-progress", "value") == "100"
    tab.shot("export-done")
    with page.expect_download() as info:
        page.click("#download")
    saved = Path(info.value.path())
    assert saved.stat().st_size > 0 and info.value.suggested_filename.endswith(".zip")
    tab.close()


@pytest.mark.parametrize("size", ["phone", "pc"])
def test_the_backups_page(
    app: Any,
    offices: School,  # noqa: F811 - the fixture imported above
    server: str,
    browser: Any,  # noqa: F811
    tmp_path: Path,
    monkeypatch: Any,
    size: str,
) -> None:
    use_backup_dir(app, monkeypatch, tmp_path / "backups")
    tab = Page(browser, app, server, "A004", size)
    page = tab.go("/console/system")
    page.click("#run-backup")
    page.wait_for_selector("#job-progress")
    app.extensions["portfolio"].queue.run_all()
    page = tab.go("/console/system")
    assert "尚未檢查" in page.inner_text("#backups")
    page.click("#backups button")
    app.extensions["portfolio"].queue.run_all()
    page = tab.go("/console/system")
    assert "檢查無誤" in page.inner_text("#backups")
    tab.shot("system")
    tab.close()
