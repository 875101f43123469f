"""Staff-entered records: cadre (幹部) and attendance imports, all or nothing, dry runs, the CLI,
and cadre records in the student's 我的學習歷程."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select

from flows.line_limits import check_messages
from rules.model import PERFORMANCE
from rules.reader import load_rules
from school import item_counts, records_import
from school.terms import TermRef
from storage.clock import at_taipei
from storage.models.console import ConsoleAudit
from storage.models.portfolio import SUBMITTED, Performance
from storage.models.records import AttendanceRecord
from tests.school import School
from tests.support import Chat

NOW = at_taipei(date(2026, 10, 15), 10)
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
ATTENDANCE_HEADER = ["學號", "學年度", "學期", "日期", "節次", "假別"]


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as out:
        csv.writer(out).writerows(rows)
    return path


def cadre_rows() -> list[list[str]]:
    return [
        CADRE_HEADER,
        ["115001", "115", "1", "101班", "班長", "2026-08-30", "2027-01-20", "班級幹部"],
        ["115002", "115", "1", "學生會", "副會長", "115/09/01", "", "校級"],
        ["115101", "115", "1", "熱音社", "社長", "2026/9/1", "2027/1/20", "社團幹部"],
    ]


def cadres(db: Any) -> list[Performance]:
    with db.session() as s:
        return list(
            s.scalars(
                select(Performance)
                .where(Performance.record_type == "cadre")
                .order_by(Performance.id)
            )
        )


def run(db: Any, kind: str, path: Path, dry_run: bool = False) -> Any:
    with db.transaction() as s:
        return records_import.import_records(s, kind, path, now=NOW, dry_run=dry_run)


# --- cadres ---------------------------------------------------------------------------------------


def test_cadre_import_dry_run_then_real(db: Any, school: School, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "cadres.csv", cadre_rows())
    trial = run(db, "cadres", source, dry_run=True)
    assert trial.ok and trial.added == 3 and not trial.applied
    assert "試算結果" in trial.summary_lines()[0]
    assert cadres(db) == []

    done = run(db, "cadres", source)
    assert done.ok and done.added == 3 and done.applied
    found = cadres(db)
    assert len(found) == 3
    monitor = found[0]
    assert monitor.student_id == school.students["Us10101"]
    assert (monitor.academic_year, monitor.semester) == (115, 1)
    assert monitor.entered_by_staff and monitor.status == SUBMITTED
    # The same field keys students' own cadre records use (flows/performance_types.py,
    # school/central_format.py).
    assert monitor.fields == {
        "unit": "101班",
        "position": "班長",
        "start": "2026-08-30",
        "end": "2027-01-20",
        "level": "班級幹部",
    }
    assert monitor.summary == "101班班長（班級幹部）"
    vice = found[1]
    assert vice.fields["start"] == "2026-09-01" and vice.fields["end"] is None
    assert vice.fields["level"] == "校級幹部"  # 校級 → the central database's word


def test_cadre_reimport_is_unchanged_and_changes_are_updates(
    db: Any, school: School, tmp_path: Path
) -> None:
    run(db, "cadres", write_csv(tmp_path / "a.csv", cadre_rows()))
    again = run(db, "cadres", write_csv(tmp_path / "b.csv", cadre_rows()))
    assert again.ok and (again.added, again.updated, again.unchanged) == (0, 0, 3)
    rows = cadre_rows()
    rows[2][6] = "2027-01-20"  # the vice president's term now has an end
    changed = run(db, "cadres", write_csv(tmp_path / "c.csv", rows))
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 2)
    assert "結束日期 — → 2027-01-20" in changed.changes[0]
    assert len(cadres(db)) == 3
    assert cadres(db)[1].fields["end"] == "2027-01-20"


def test_cadre_problems_are_listed_by_row_and_nothing_is_written(
    db: Any, school: School, tmp_path: Path
) -> None:
    rows = cadre_rows() + [
        ["119999", "115", "1", "101班", "副班長", "2026-08-30", "", "班級幹部"],
        ["115003", "115", "3", "101班", "副班長", "2026-08-30", "", "班級幹部"],
        ["115004", "115", "1", "101班", "風紀股長", "2026-09-30", "2026-09-01", "班級"],
        ["115005", "115", "1", "101班", "衛生股長", "", "", "股長"],
        ["115001", "115", "1", "101班", "班長", "2026-08-30", "2027-01-20", "班級幹部"],
    ]
    result = run(db, "cadres", write_csv(tmp_path / "bad.csv", rows))
    assert not result.ok
    assert [str(e) for e in result.errors] == [
        "第 5 列：未知的學號 119999",
        "第 6 列：學期必須是 1 或 2",
        "第 7 列：結束日期早於開始日期",
        "第 8 列：開始日期未填；幹部等級須為 校級幹部、班級幹部、社團幹部、其他幹部",
        "第 9 列：學號 115001 的 101班班長（2026-08-30）重複（與第 2 列相同）",
    ]
    assert cadres(db) == []
    missing = run(db, "cadres", write_csv(tmp_path / "cols.csv", [CADRE_HEADER[:5], ["115001"]]))
    assert missing.file_errors and "缺少必要欄位：開始日期、幹部等級" in missing.file_errors[0]


def test_cadre_import_from_xlsx_with_a_title_row_and_other_header_names(
    db: Any, school: School, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["某某高中 115 學年度幹部名冊"])
    sheet.append(["學號", "學年度", "學期", "單位", "職務", "起始日期", "迄止日期", "等級"])
    sheet.append([115006, 115, 1, "101班", "學藝股長", date(2026, 9, 1), None, "班級幹部"])
    path = tmp_path / "cadres.xlsx"
    book.save(path)
    result = run(db, "cadres", path)
    assert result.ok and result.added == 1, result.error_lines()
    [row] = cadres(db)
    assert row.student_id == school.students["Us10106"]
    assert row.fields["start"] == "2026-09-01"


def test_cadre_records_show_in_my_portfolio_and_use_no_upload_slot(
    chat: Chat, db: Any, school: School, tmp_path: Path
) -> None:
    run(db, "cadres", write_csv(tmp_path / "cadres.csv", cadre_rows()))
    messages = chat.say("Us10101", "我的歷程")
    assert not check_messages(messages)
    seen = Chat.texts(messages)
    assert "幹部經歷暨事蹟紀錄" in seen and "101班班長（班級幹部）" in seen
    # Staff-entered: the student cannot withdraw it.
    assert "撤回" not in seen
    with db.session() as s:
        room = item_counts.room(
            s, load_rules(), PERFORMANCE, school.students["Us10101"], TermRef(115, 1)
        )
    assert room.semester.used == 0 and room.year.used == 0


def test_cadre_cli_dry_run_and_import(app: Any, db: Any, school: School, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "cadres.csv", cadre_rows(), encoding="cp950")
    runner = app.test_cli_runner()
    trial = runner.invoke(args=["import", "cadres", str(source), "--dry-run"])
    assert trial.exit_code == 0, trial.output
    assert "幹部紀錄：試算結果" in trial.output and "新增 3 筆" in trial.output
    assert cadres(db) == []
    done = runner.invoke(args=["import", "cadres", str(source)])
    assert done.exit_code == 0 and "幹部紀錄：匯入完成" in done.output
    assert len(cadres(db)) == 3
    with db.session() as s:  # the console's operation: audited, filed under 訓育組
        audit = s.scalars(select(ConsoleAudit)).one()
        assert (audit.action, audit.office, audit.staff_id) == ("records_import", "訓育組", None)
        assert (audit.before_count, audit.after_count) == (0, 3)
        assert "cadres.csv (CLI)" in (audit.detail or "")
    bad = write_csv(
        tmp_path / "bad.csv",
        [CADRE_HEADER, ["999999", "115", "1", "x", "y", "2026-09-01", "", "班級幹部"]],
    )
    failed = runner.invoke(args=["import", "cadres", str(bad)])
    assert failed.exit_code == 1 and "第 2 列：未知的學號 999999" in failed.output
    assert "單位名稱" in runner.invoke(args=["import", "cadres", "--help"]).output


# --- attendance -----------------------------------------------------------------------------------


def attendance_rows() -> list[list[str]]:
    return [
        ATTENDANCE_HEADER,
        ["115001", "115", "1", "2026-10-01", "1", "病假"],
        ["115001", "115", "1", "2026-10-01", "第2節", "病假"],
        ["115102", "115", "1", "115/10/02", "早自習", "曠課"],
    ]


def attendance(db: Any) -> list[AttendanceRecord]:
    with db.session() as s:
        return list(s.scalars(select(AttendanceRecord).order_by(AttendanceRecord.id)))


def test_attendance_import_and_reimport(db: Any, school: School, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "attendance.csv", attendance_rows())
    trial = run(db, "attendance", source, dry_run=True)
    assert trial.ok and trial.added == 3 and attendance(db) == []
    done = run(db, "attendance", source)
    assert done.ok and done.added == 3
    assert any("不會匯出到中央資料庫" in note for note in done.notes)
    found = attendance(db)
    assert [(a.day, a.period, a.leave_type) for a in found] == [
        (date(2026, 10, 1), "1", "病假"),
        (date(2026, 10, 1), "2", "病假"),
        (date(2026, 10, 2), "早自習", "曠課"),
    ]
    assert found[2].student_id == school.students["Us10202"]

    rows = attendance_rows()
    rows[3][5] = "公假"  # 生輔組 corrected it
    again = run(db, "attendance", write_csv(tmp_path / "again.csv", rows))
    assert (again.added, again.updated, again.unchanged) == (0, 1, 2)
    assert "假別 曠課 → 公假" in again.changes[0]
    assert attendance(db)[2].leave_type == "公假"


def test_attendance_problems_write_nothing(db: Any, school: School, tmp_path: Path) -> None:
    rows = attendance_rows() + [
        ["115001", "115", "1", "2026-10-01", "1", "事假"],
        ["115002", "115", "1", "2027-09-01", "3", "事假"],
        ["115002", "115", "1", "2026-10-05", "", ""],
        ["115002", "115", "1", "昨天", "3", "事假"],
    ]
    result = run(db, "attendance", write_csv(tmp_path / "bad.csv", rows))
    assert [str(e) for e in result.errors] == [
        "第 5 列：學號 115001 2026-10-01 第 1 節重複（與第 2 列相同）",
        "第 6 列：日期 2027-09-01 不在 115 學年度",
        "第 7 列：節次未填；假別未填",
        "第 8 列：日期無法辨識：昨天",
    ]
    assert attendance(db) == []


def test_attendance_cli(app: Any, db: Any, school: School, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "attendance.csv", attendance_rows())
    result = app.test_cli_runner().invoke(args=["import", "attendance", str(source)])
    assert result.exit_code == 0, result.output
    assert "出缺勤紀錄：匯入完成" in result.output
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(AttendanceRecord)) == 3
