"""The 紀錄 page in headless Chromium: a cadre import checked, confirmed and written by its job
(and a file with row errors), and the consultation export with its progress bar and download, on
a phone and a PC. Screenshots go to tests/artifacts/; no page may log a JavaScript error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.school import School
from tests.test_console_office_browser import Page, browser, server  # noqa: F401 - fixtures
from tests.test_console_records import CADRE_HEADER, CADRES, as_csv, consult, staff  # noqa: F401


@pytest.mark.parametrize("size", ["phone", "pc"])
def test_a_cadre_import_in_a_browser(
    app: Any,
    staff: School,  # noqa: F811 - the fixture imported above
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    tmp_path: Path,
    size: str,
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        as_csv([CADRE_HEADER, ["999999", "115", "1", "學生會", "會長", "2026-09-01", "", "校級"]])
    )
    good = tmp_path / "cadres.csv"
    good.write_bytes(as_csv(CADRES))
    tab = Page(browser, app, server, "A003", size)
    page = tab.go("/console/records")
    tab.shot("records-imports")
    page.set_input_files("input[name=file]", str(bad))
    page.click("#check-file")
    page.wait_for_selector("#row-errors")
    assert "第 2 列" in page.inner_text("#row-errors")
    tab.shot("records-row-errors")
    # A refused file is answered 422, as the roster's is; that one is expected, nothing else.
    assert tab.errors == [f"422 {server}/console/records/preview"]
    tab.errors.clear()
    page = tab.go("/console/records")
    page.select_option("select[name=kind]", "cadres")
    page.set_input_files("input[name=file]", str(good))
    page.click("#check-file")
    page.wait_for_selector("#preview")
    assert page.inner_text("#added") == "2"
    tab.shot("records-preview")
    page.click("#confirm-import")
    page.wait_for_selector("#job-progress")
    tab.shot("records-import-waiting")
    app.extensions["portfolio"].queue.run_all()  # the worker runs the import
    page.reload()
    page.wait_for_selector("#import-done")
    assert page.inner_text("#added") == "2"
    tab.shot("records-imported")
    page.click("#back")
    assert "cadres.csv" in page.inner_text("#history")
    tab.close()


@pytest.mark.parametrize("size", ["phone", "pc"])
def test_the_consultation_export_in_a_browser(
    app: Any,
    staff: School,  # noqa: F811 - the fixture imported above
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    db: Any,
    size: str,
) -> None:
    consult(app, db, staff)
    tab = Page(browser, app, server, "A002", size)
    page = tab.go("/console/records")
    page.select_option("select[name=action]", "assign")
    page.select_option("select[name=staff_no]", "T005")
    page.select_option("select[name=target]", "102")
    page.click("#preview-change")
    page.wait_for_selector("#change-preview")
    assert "將指派 楊諮詢（T005）負責 102 班" in page.inner_text("#change-preview")
    tab.shot("records-consultant-preview")
    page.click("#confirm-change")
    page.wait_for_selector("#change-done")
    assert "102 班" in page.inner_text("#consultant-list")
    page.click("#export-consultations")
    page.wait_for_selector("#job-progress")
    assert page.get_attribute("#job-progress", "value") == "0"
    tab.shot("records-export-waiting")
    app.extensions["portfolio"].queue.run_all()  # the worker runs the job
    page.reload()
    page.wait_for_selector("#download")
    assert page.get_attribute("#job-progress", "value") == "100"
    tab.shot("records-export-done")
    with page.expect_download() as info:
        page.click("#download")
    assert info.value.suggested_filename == "consultations_115.xlsx"
    assert Path(info.value.path()).stat().st_size > 0
    page = tab.go("/console/records")
    tab.shot("records-consultants")
    tab.close()
