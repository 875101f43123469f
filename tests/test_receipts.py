"""收訖明細: importing the central receipt list, students answering in chat, the staff report."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select

from rules.reader import load_rules
from school import receipts
from storage.clock import TAIPEI, at_taipei
from storage.models.line import OutboxMessage
from storage.models.picking import ANSWER_CORRECT, ANSWER_WRONG, ReceiptItem, ReceiptList
from storage.models.school import Student
from tests.support import Chat
from tests.test_picking import add_outcome, add_performance

IMPORTED_AT = datetime(2027, 7, 30, 10, 0, tzinfo=TAIPEI)
# The rest of 7/30 and three whole days after it (the school's window ends 7/31, earlier).
HEADER = "學號,項目類型,項目編號"
DEADLINE = at_taipei(date(2027, 8, 3)) - timedelta(microseconds=1)


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def run(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def items(db: Any) -> list[ReceiptItem]:
    with db.session() as s:
        return list(s.scalars(select(ReceiptItem).order_by(ReceiptItem.id)))


def test_import_then_students_confirm_and_staff_see_the_report(
    chat: Chat, app: Any, db: Any, school: Any, clock: Any, line: Any, tmp_path: Path
) -> None:
    math = add_outcome(db, school, "Us10101", "101-數學", picked=True, summary="三角函數的探究")
    fair = add_performance(db, school, "Us10101", picked=True)
    other = add_outcome(db, school, "Us10102", "101-國語文", picked=True)
    clock.set(IMPORTED_AT)
    source = write_csv(
        tmp_path / "receipt.csv",
        [
            "學號,項目類型,項目編號,說明",
            f"115001,課程學習成果,C{math},已收訖（成果檔案）",
            f"115001,競賽參與紀錄,115001_P{fair}_doc.pdf,已收訖（證明文件）",
            f"115002,課程學習成果,{other},",
        ],
    )

    result = run(app, "receipts", "import", str(source))
    assert result.exit_code == 0, result.output
    assert "已匯入 3 筆、2 位學生（115 學年度），學生確認期限 2027/8/2 23:59" in result.output
    assert "已用 LINE 通知 2 位學生" in result.output
    with db.session() as s:
        receipt_list = s.scalars(select(ReceiptList)).one()
        assert receipt_list.respond_until == DEADLINE
        notices = s.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "receipt_notice")
        ).all()
        # One identical message to everyone concerned: one multicast, two recipients.
        assert [(n.kind, sorted(n.recipients)) for n in notices] == [
            ("multicast", ["Us10101", "Us10102"])
        ]
    chat.run_jobs()
    notice = Chat.texts(chat.new_messages("Us10101"))
    assert "中央資料庫已回傳 115 學年度的收訖明細。請在 2027/8/2 前逐筆確認" in notice
    assert chat.new_messages("Us10103") == []

    first = Chat.texts(chat.say("Us10101", "收訖明細"))
    assert "收訖明細 1/2（請於 2027/8/2 前確認）" in first
    assert "課程學習成果｜數學" in first and "三角函數的探究" in first
    assert "中央資料庫：已收訖（成果檔案）" in first
    second = Chat.texts(chat.say("Us10101", "正確"))
    assert "收訖明細 2/2" in second and "競賽｜全國科展" in second
    assert "請簡短說明哪裡有誤" in Chat.texts(chat.say("Us10101", "有誤"))
    done = Chat.texts(chat.say("Us10101", "獎項應該是佳作，不是優等"))
    assert "已記下" in done and "收訖明細 2 筆都回覆好了" in done and "其中 1 筆回報有誤" in done
    answers = {
        (r.reference, r.answer, r.note)
        for r in items(db)
        if r.student_id == school.students["Us10101"]
    }
    assert answers == {
        (f"C{math}", ANSWER_CORRECT, None),
        (f"P{fair}", ANSWER_WRONG, "獎項應該是佳作，不是優等"),
    }
    # Coming back: everything is answered; the student may go through again.
    again = Chat.texts(chat.say("Us10101", "收訖確認"))
    assert "你的收訖明細都已回覆（有誤 1 筆）" in again

    report = run(app, "receipts", "report", "--year", "115")
    assert report.exit_code == 0, report.output
    said = report.output
    assert "115 學年度收訖明細：共 3 筆，已回覆 2 筆；確認期限 2027/8/2 23:59" in said
    assert f"101-01 李小明（學號 115001）P{fair}：獎項應該是佳作，不是優等" in said
    assert "尚未回覆（1 人）" in said
    assert f"101-02 陳怡君（學號 115002）：C{other}" in said


def test_the_deadline_is_at_least_three_whole_days(
    chat: Chat, app: Any, db: Any, school: Any, clock: Any, tmp_path: Path
) -> None:
    math = add_outcome(db, school, "Us10101", "101-數學", picked=True)
    clock.set(IMPORTED_AT)
    source = write_csv(tmp_path / "r.csv", [HEADER, f"115001,課程學習成果,C{math}"])
    assert run(app, "receipts", "import", str(source)).exit_code == 0
    chat.run_jobs()
    clock.set(datetime(2027, 8, 2, 23, 59, 30, tzinfo=TAIPEI))
    assert "收訖明細 1/1" in Chat.texts(chat.say("Us10101", "收訖明細"))
    clock.set(datetime(2027, 8, 3, 0, 0, 1, tzinfo=TAIPEI))
    # Answering after the deadline is refused, and saying it again says it has closed.
    assert "收訖明細確認已於 2027/8/2 23:59 截止" in Chat.texts(chat.say("Us10101", "正確"))
    assert items(db)[0].answer is None
    assert "已於 2027/8/2 23:59 截止" in Chat.texts(chat.say("Us10101", "收訖明細"))
    rules = load_rules()
    # The days run from the import (no window is fixed before any submission); a last day on a
    # weekend moves on to the next working day.
    assert receipts.respond_until(
        rules, 115, datetime(2027, 7, 20, 9, 0, tzinfo=TAIPEI)
    ) == at_taipei(date(2027, 7, 24)) - timedelta(microseconds=1)
    assert receipts.respond_until(
        rules, 115, datetime(2027, 7, 29, 9, 0, tzinfo=TAIPEI)
    ) == at_taipei(date(2027, 8, 3)) - timedelta(microseconds=1)


def test_bad_rows_refuse_the_whole_file(
    app: Any, db: Any, school: Any, clock: Any, tmp_path: Path
) -> None:
    mine = add_outcome(db, school, "Us10101", "101-數學", picked=True)
    unpicked = add_outcome(db, school, "Us10101", "101-國語文")
    theirs = add_outcome(db, school, "Us10102", "101-數學", picked=True)
    clock.set(IMPORTED_AT)
    source = write_csv(
        tmp_path / "bad.csv",
        [
            "學號,項目類型,項目編號",
            f"115001,課程學習成果,C{mine}",
            f"999999,課程學習成果,C{mine}",
            f"115001,課程學習成果,C{unpicked}",
            f"115001,課程學習成果,C{theirs}",
            f"115001,多元表現,C{mine}",
            "115001,課程學習成果,abc",
            "115001,獎狀,C1",
            f"115001,課程學習成果,C{mine}",
        ],
    )
    result = run(app, "receipts", "import", str(source))
    assert result.exit_code == 1
    said = result.output
    assert "第 3 列：找不到這位學生（學號 999999）。" in said
    assert f"第 4 列：學號 115001 的 C{unpicked} 沒有勾選提交。" in said
    assert f"第 5 列：學號 115001 沒有 C{theirs} 這個項目。" in said
    assert f"第 6 列：C{mine} 與項目類型「多元表現」不符。" in said
    assert "第 7 列：看不懂項目編號「abc」" in said
    assert "第 8 列：看不懂項目類型「獎狀」" in said
    assert f"第 9 列：C{mine} 重複了（第 2 列已出現）。" in said
    assert "共 7 個問題，沒有匯入任何資料。" in said
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReceiptList)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_missing_columns_and_dry_run(
    app: Any, db: Any, school: Any, clock: Any, tmp_path: Path
) -> None:
    math = add_outcome(db, school, "Us10101", "101-數學", picked=True)
    clock.set(IMPORTED_AT)
    wrong = write_csv(tmp_path / "wrong.csv", ["姓名,項目編號", f"李小明,C{math}"])
    result = run(app, "receipts", "import", str(wrong))
    assert result.exit_code == 1 and "缺少欄位：身分證號／學號、項目類型" in result.output
    good = write_csv(tmp_path / "good.csv", [HEADER, f"115001,課程學習成果,C{math}"])
    dry = run(app, "receipts", "import", str(good), "--dry-run")
    assert dry.exit_code == 0 and "試算：可匯入 1 筆、1 位學生" in dry.output
    assert items(db) == []
    assert run(app, "receipts", "import", str(good)).exit_code == 0
    twice = run(app, "receipts", "import", str(good))
    assert twice.exit_code == 1 and "這個檔案已經匯入過了" in twice.output
    # --help documents the format.
    helped = run(app, "receipts", "import", "--help").output
    assert "身分證號 or 學號" in helped and "項目編號" in helped


def test_xlsx_by_national_id_never_echoes_it(
    app: Any, db: Any, school: Any, clock: Any, tmp_path: Path, caplog: Any
) -> None:
    caplog.set_level("DEBUG")
    fair = add_performance(db, school, "Us10102", picked=True)
    with db.transaction() as s:
        from storage.crypto import cipher

        student = s.get(Student, school.students["Us10102"])
        student.national_id = "B287654321"
        student.national_id_hash = cipher().lookup_hash("B287654321")
    clock.set(IMPORTED_AT)
    book = Workbook()
    sheet = book.active
    sheet.append(["身分證號", "項目類型", "項目編號"])
    sheet.append(["b287654321", "多元表現", f"P{fair}"])
    sheet.append(["Z999999999", "多元表現", f"P{fair}"])
    path = tmp_path / "receipt.xlsx"
    book.save(path)
    refused = run(app, "receipts", "import", str(path))
    assert refused.exit_code == 1
    assert "第 3 列：找不到這位學生（學號 —）。" in refused.output
    assert "Z999999999" not in refused.output and "B287654321" not in refused.output
    book = Workbook()
    sheet = book.active
    sheet.append(["身分證號", "項目類型", "項目編號"])
    sheet.append(["B287654321", "多元表現", f"P{fair}"])
    book.save(path)
    result = run(app, "receipts", "import", str(path))
    assert result.exit_code == 0, result.output
    assert [(r.student_id, r.reference) for r in items(db)] == [
        (school.students["Us10102"], f"P{fair}")
    ]
    assert "B287654321" not in caplog.text


def test_a_newer_list_supersedes_the_older_rows(
    chat: Chat, app: Any, db: Any, school: Any, clock: Any, tmp_path: Path
) -> None:
    math = add_outcome(db, school, "Us10101", "101-數學", picked=True)
    clock.set(IMPORTED_AT)
    first = write_csv(
        tmp_path / "first.csv",
        ["學號,項目類型,項目編號,說明", f"115001,課程學習成果,C{math},缺影音檔"],
    )
    assert run(app, "receipts", "import", str(first)).exit_code == 0
    chat.run_jobs()
    chat.say("Us10101", "收訖明細")
    chat.say("Us10101", "有誤")
    chat.say("Us10101", "影音檔有上傳")
    clock.advance(days=2)
    second = write_csv(
        tmp_path / "second.csv",
        ["學號,項目類型,項目編號,說明", f"115001,課程學習成果,C{math},已收訖（含影音）"],
    )
    assert run(app, "receipts", "import", str(second)).exit_code == 0
    chat.run_jobs()
    asked = Chat.texts(chat.say("Us10101", "收訖明細"))
    assert "收訖明細 1/1" in asked and "已收訖（含影音）" in asked
    old, new = items(db)
    assert old.superseded_at is not None and old.answer == ANSWER_WRONG
    assert new.superseded_at is None and new.answer is None
    report = run(app, "receipts", "report", "--year", "115").output
    assert "沒有人回報有誤" in report and "尚未回覆（1 人）" in report
