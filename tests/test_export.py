"""The export for the central database: roster cells, checksums, refusals, nothing partial."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from school import central_format, export
from storage.clock import TAIPEI
from storage.models.picking import ExportRun, PickConfirmation
from storage.models.portfolio import (
    CERTIFIED,
    PENDING,
    SUBMITTED,
    CourseOutcome,
    FileRecord,
    Performance,
    PerformanceFile,
)
from storage.models.school import Student

AFTER_WINDOW = datetime(2027, 7, 29, 9, 0, tzinfo=TAIPEI)
IN_WINDOW = datetime(2027, 7, 23, 10, 0, tzinfo=TAIPEI)
CREATED = datetime(2026, 10, 1, 9, 0, tzinfo=TAIPEI)
NATIONAL_IDS = {"Us10101": "A123456789", "Us10102": "B287654321", "Us10201": "C198765432"}
BIRTH = {"Us10101": date(2011, 3, 5), "Us10102": date(2010, 12, 31), "Us10201": date(2011, 1, 9)}
MB = 1024 * 1024


def pdf(size: int = 2048, tag: bytes = b"") -> bytes:
    head = b"%PDF-1.4\n%" + tag + b"\n"
    return head + b"0" * (size - len(head))


def mp4(size: int = 4096, tag: bytes = b"") -> bytes:
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + tag
    return head + b"\x00" * (size - len(head))


def png(size: int = 1024) -> bytes:
    head = b"\x89PNG\r\n\x1a\n"
    return head + b"\x00" * (size - len(head))


def store(app: Any, db: Any, data: bytes, kind: str, student_id: int) -> int:
    stored = app.extensions["portfolio"].files.put_stream([data])
    with db.transaction() as s:
        record = FileRecord(
            sha256=stored.sha256,
            size=stored.size,
            mime=stored.mime or "",
            kind=kind,
            student_id=student_id,
            created_at=CREATED,
        )
        s.add(record)
        s.flush()
        return record.id


def with_identity(db: Any, school: Any) -> None:
    with db.transaction() as s:
        for uid, national_id in NATIONAL_IDS.items():
            student = s.get(Student, school.students[uid])
            student.national_id = national_id
            student.birth_date = BIRTH[uid]


def outcome(
    db: Any,
    school: Any,
    uid: str,
    course: str,
    *,
    document: int | None = None,
    video: int | None = None,
    status: str = CERTIFIED,
    picked: bool = True,
    summary: str = "三角函數在測量上的應用",
    semester: int = 1,
) -> int:
    with db.transaction() as s:
        row = CourseOutcome(
            student_id=school.students[uid],
            course_id=school.courses[course],
            academic_year=115,
            semester=semester,
            summary=summary,
            status=status,
            document_file_id=document,
            video_file_id=video,
            created_at=CREATED,
            picked_at=CREATED if picked else None,
        )
        s.add(row)
        s.flush()
        return row.id


def performance(
    db: Any,
    school: Any,
    uid: str,
    record_type: str,
    fields: dict[str, Any],
    proofs: list[int],
    *,
    picked: bool = True,
    summary: str = "簡述",
) -> int:
    with db.transaction() as s:
        row = Performance(
            student_id=school.students[uid],
            academic_year=115,
            semester=1,
            record_type=record_type,
            fields=fields,
            summary=summary,
            status=SUBMITTED,
            created_at=CREATED,
            picked_at=CREATED if picked else None,
        )
        row.proofs = [PerformanceFile(file_id=f, position=n) for n, f in enumerate(proofs)]
        s.add(row)
        s.flush()
        return row.id


def run(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def only_zip(out: Path) -> Path:
    found = list(out.iterdir())
    assert len(found) == 1 and found[0].suffix == ".zip", found
    return found[0]


def rows_of(sheet: Any) -> list[list[str]]:
    return [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]


# --- course outcomes ----------------------------------------------------------------------------


def test_course_outcomes_cell_by_cell(
    app: Any, db: Any, school: Any, clock: Any, tmp_path: Path
) -> None:
    with_identity(db, school)
    s1, s2 = school.students["Us10101"], school.students["Us10201"]
    doc1 = store(app, db, pdf(tag=b"one"), "document", s1)
    vid1 = store(app, db, mp4(), "av", s1)
    doc2 = store(app, db, png(), "document", s2)
    doc3 = store(app, db, pdf(tag=b"three"), "document", s1)
    first = outcome(db, school, "Us10101", "101-數學", document=doc1, video=vid1)
    second = outcome(
        db,
        school,
        "Us10201",
        "102-英語文-2",
        document=doc2,
        semester=2,
        summary="英文演講影片與講稿",
    )
    third = outcome(db, school, "Us10101", "101-國語文", document=doc3, summary="讀書心得")
    # Not exported: not picked, or not certified.
    outcome(db, school, "Us10101", "101-英語文", document=doc3, picked=False)
    outcome(db, school, "Us10102", "101-數學", document=doc3, status=PENDING)
    clock.set(AFTER_WINDOW)
    out = tmp_path / "out"

    result = run(app, "export", "course-outcomes", "--year", "115", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "2 位學生、3 筆、4 個檔案" in result.output
    assert "A123456789" not in result.output
    zipped = only_zip(out)
    assert zipped.name == "course-outcomes-115-20270729-090000.zip"

    with zipfile.ZipFile(zipped) as zf:
        names = sorted(zf.namelist())
        assert names == sorted(
            [
                "roster.xlsx",
                "manifest.csv",
                f"files/115001_C{first}_doc.pdf",
                f"files/115001_C{first}_av.mp4",
                f"files/115001_C{third}_doc.pdf",
                f"files/115101_C{second}_doc.png",
            ]
        )
        book = load_workbook(io.BytesIO(zf.read("roster.xlsx")))
        assert book.sheetnames == ["課程學習成果"]
        assert rows_of(book["課程學習成果"]) == [
            [
                "身分證號",
                "出生日期",
                "學年度",
                "學期",
                "課程代碼",
                "科目名稱",
                "成果簡述",
                "成果檔案連結",
                "影音檔案連結",
                "校內編號",
            ],
            [
                "A123456789",
                "1000305",
                "115",
                "1",
                "1151MAT101",
                "數學",
                "三角函數在測量上的應用",
                f"files/115001_C{first}_doc.pdf",
                f"files/115001_C{first}_av.mp4",
                f"C{first}",
            ],
            [
                "A123456789",
                "1000305",
                "115",
                "1",
                "1151CHI101",
                "國語文",
                "讀書心得",
                f"files/115001_C{third}_doc.pdf",
                "",
                f"C{third}",
            ],
            [
                "C198765432",
                "1000109",
                "115",
                "2",
                "1152ENG102",
                "英語文",
                "英文演講影片與講稿",
                f"files/115101_C{second}_doc.png",
                "",
                f"C{second}",
            ],
        ]
        # Every cell is text, so leading zeros survive whatever opens the roster.
        assert book["課程學習成果"]["B2"].data_type == "s"
        assert zf.read(f"files/115001_C{first}_doc.pdf") == pdf(tag=b"one")

        manifest = list(csv.reader(io.StringIO(zf.read("manifest.csv").decode("utf-8"))))
        assert manifest[0] == ["path", "sha256", "bytes", "student_no", "ref"]
        listed = {row[0]: row for row in manifest[1:]}
        assert set(listed) == set(names) - {"manifest.csv"}
        for name, row in listed.items():
            data = zf.read(name)
            assert row[1] == hashlib.sha256(data).hexdigest() and int(row[2]) == len(data)
        assert listed[f"files/115101_C{second}_doc.png"][3:] == ["115101", f"C{second}"]

    with db.session() as s:
        run_row = s.scalars(select(ExportRun)).one()
        assert (run_row.items, run_row.students, run_row.files) == (3, 2, 4)
        assert run_row.sha256 == hashlib.sha256(zipped.read_bytes()).hexdigest()


def test_diverse_one_sheet_per_record_type(
    app: Any, db: Any, school: Any, clock: Any, tmp_path: Path
) -> None:
    with_identity(db, school)
    sid = school.students["Us10102"]
    proof = store(app, db, pdf(tag=b"award"), "document", sid)
    clip = store(app, db, mp4(tag=b"clip"), "av", sid)
    fair = performance(
        db,
        school,
        "Us10102",
        "competition",
        {
            "name": "全國中小學科學展覽會",
            "item": "物理科",
            "level": "全國",
            "award": "佳作",
            "result_date": "2026-11-20",
            "team": "團體",
        },
        [proof, clip],
        summary="水火箭研究",
    )
    service = performance(
        db,
        school,
        "Us10102",
        "service",
        {
            "name": "淨灘",
            "organisation": "臺南市環保局",
            "start": "2026-09-05",
            "end": "2026-09-06",
            "hours": 6.5,
        },
        [],
        summary="海岸清潔",
    )
    performance(
        db,
        school,
        "Us10101",
        "works",
        {"title": "未勾選作品", "date": "2026-10-01"},
        [],
        picked=False,
    )
    clock.set(AFTER_WINDOW)
    out = tmp_path / "out"
    result = run(app, "export", "diverse", "--year", "115", "--out", str(out))
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(only_zip(out)) as zf:
        book = load_workbook(io.BytesIO(zf.read("roster.xlsx")))
        assert book.sheetnames == [
            "幹部經歷暨事蹟紀錄",
            "競賽參與紀錄",
            "檢定證照紀錄",
            "服務學習紀錄",
            "彈性學習時間紀錄",
            "團體活動時間紀錄",
            "職場學習紀錄",
            "作品成果紀錄",
            "大學及技專校院先修課程紀錄",
            "其他多元表現紀錄",
        ]
        assert rows_of(book["競賽參與紀錄"]) == [
            [
                "身分證號",
                "出生日期",
                "競賽名稱",
                "項目",
                "競賽等級",
                "獎項",
                "結果公布日期",
                "參與類型",
                "內容簡述",
                "證明文件連結",
                "影音檔案連結",
                "校內編號",
            ],
            [
                "B287654321",
                "0991231",
                "全國中小學科學展覽會",
                "物理科",
                "全國",
                "佳作",
                "1151120",
                "團體",
                "水火箭研究",
                f"files/115002_P{fair}_doc.pdf",
                f"files/115002_P{fair}_av.mp4",
                f"P{fair}",
            ],
        ]
        assert rows_of(book["服務學習紀錄"]) == [
            [
                "身分證號",
                "出生日期",
                "服務名稱",
                "服務單位",
                "開始日期",
                "結束日期",
                "服務時數",
                "內容簡述",
                "證明文件連結",
                "影音檔案連結",
                "校內編號",
            ],
            [
                "B287654321",
                "0991231",
                "淨灘",
                "臺南市環保局",
                "1150905",
                "1150906",
                "6.5",
                "海岸清潔",
                "",
                "",
                f"P{service}",
            ],
        ]
        assert rows_of(book["作品成果紀錄"]) == [
            [
                "身分證號",
                "出生日期",
                "作品名稱",
                "發表日期",
                "內容簡述",
                "證明文件連結",
                "影音檔案連結",
                "校內編號",
            ],
        ]
        for name, columns in central_format.sheet_columns("performance"):
            assert rows_of(book[name])[0] == list(columns)


# --- refusals -----------------------------------------------------------------------------------


def test_over_limit_and_wrong_files_are_refused_and_nothing_written(
    app: Any, db: Any, school: Any, clock: Any, tmp_path: Path
) -> None:
    with_identity(db, school)
    s1, s2 = school.students["Us10101"], school.students["Us10102"]
    good = store(app, db, pdf(), "document", s1)
    big = store(app, db, pdf(4 * MB + 1, tag=b"big"), "document", s2)
    video_as_doc = store(app, db, mp4(tag=b"x"), "document", s2)
    big_video = store(app, db, mp4(10 * MB + 1, tag=b"big"), "av", s2)
    outcome(db, school, "Us10101", "101-數學", document=good)
    bad = outcome(db, school, "Us10102", "101-數學", document=big, video=big_video)
    odd = outcome(db, school, "Us10102", "101-國語文", document=video_as_doc)
    clock.set(AFTER_WINDOW)
    out = tmp_path / "out"

    result = run(app, "export", "course-outcomes", "--year", "115", "--out", str(out))
    assert result.exit_code == 1
    said = result.output
    assert "無法匯出：1 位學生共 3 個問題要先處理，沒有寫出任何檔案。" in said
    assert "101-02 陳怡君（學號 115002）" in said
    assert f"C{bad} 的文件檔案有 4.1 MB，超過 4 MB 上限。" in said
    assert f"C{bad} 的影音檔案有 10.1 MB，超過 10 MB 上限。" in said
    assert f"C{odd} 的文件檔案是 mp4 格式，中央資料庫只收 pdf、jpg、png。" in said
    assert "李小明" not in said
    assert not out.exists() or list(out.iterdir()) == []
    with db.session() as s:
        assert s.scalars(select(ExportRun)).all() == []


def test_missing_identity_and_damaged_file_are_listed(
    app: Any, db: Any, school: Any, clock: Any, tmp_path: Path
) -> None:
    sid = school.students["Us10103"]  # no national ID, no birth date
    doc = store(app, db, pdf(tag=b"gone"), "document", sid)
    item = outcome(db, school, "Us10103", "101-數學", document=doc, summary="字" * 101)
    files = app.extensions["portfolio"].files
    with db.session() as s:
        sha = s.get(FileRecord, doc).sha256
    files.path(sha).write_bytes(pdf(tag=b"tampered"))
    clock.set(AFTER_WINDOW)
    out = tmp_path / "out"
    result = run(app, "export", "course-outcomes", "--year", "115", "--out", str(out))
    assert result.exit_code == 1
    assert "缺少身分證號，請註冊組補登。" in result.output
    assert "缺少出生日期，請註冊組補登。" in result.output
    assert f"C{item} 的成果簡述有 101 字，超過 100 字。" in result.output
    assert f"C{item} 的文件檔案內容與紀錄不符" in result.output
    assert not out.exists() or list(out.iterdir()) == []


def test_a_failure_while_writing_leaves_nothing(
    app: Any, db: Any, school: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    with_identity(db, school)
    sid = school.students["Us10101"]
    for n in range(3):
        outcome(
            db,
            school,
            "Us10101",
            "101-數學",
            document=store(app, db, pdf(tag=str(n).encode()), "document", sid),
        )
    files = app.extensions["portfolio"].files
    real_open = files.open
    opened: list[str] = []

    def failing_open(sha: str) -> Any:
        opened.append(sha)
        if len(opened) == 2:
            raise OSError("disk went away")
        return real_open(sha)

    monkeypatch.setattr(files, "open", failing_open)
    out = tmp_path / "out"
    with db.session() as s, pytest.raises(OSError):
        export.export_course_outcomes(s, files, 115, out, AFTER_WINDOW)
    assert list(out.iterdir()) == []  # no zip, no .partial left behind


def test_window_still_open_needs_force(
    app: Any, db: Any, school: Any, clock: Any, tmp_path: Path
) -> None:
    with_identity(db, school)
    sid = school.students["Us10101"]
    outcome(db, school, "Us10101", "101-數學", document=store(app, db, pdf(), "document", sid))
    clock.set(IN_WINDOW)
    out = tmp_path / "out"
    refused = run(app, "export", "course-outcomes", "--year", "115", "--out", str(out))
    assert refused.exit_code != 0 and "--force" in refused.output
    assert not out.exists()
    forced = run(app, "export", "course-outcomes", "--year", "115", "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    only_zip(out)


def test_unconfirmed_students_are_named_and_can_be_left_out(
    app: Any, db: Any, school: Any, clock: Any, tmp_path: Path
) -> None:
    with_identity(db, school)
    s1, s2 = school.students["Us10101"], school.students["Us10102"]
    for uid, sid, tag in (("Us10101", s1, b"a"), ("Us10102", s2, b"b")):
        outcome(db, school, uid, "101-數學", document=store(app, db, pdf(tag=tag), "document", sid))
    with db.transaction() as s:
        s.add(
            PickConfirmation(
                student_id=s1, academic_year=115, confirmed_at=CREATED, confirmed_refs=[]
            )
        )
    clock.set(AFTER_WINDOW)
    everyone = run(
        app, "export", "course-outcomes", "--year", "115", "--out", str(tmp_path / "all")
    )
    assert "2 位學生" in everyone.output
    assert "以下 1 位學生有勾選但沒有按確認送出，已一併匯出" in everyone.output
    assert "陳怡君" in everyone.output
    confirmed = run(
        app,
        "export",
        "course-outcomes",
        "--year",
        "115",
        "--out",
        str(tmp_path / "confirmed"),
        "--only-confirmed",
    )
    assert "1 位學生、1 筆" in confirmed.output and "已略過" in confirmed.output


def test_nothing_picked_writes_nothing(
    app: Any, db: Any, school: Any, clock: Any, tmp_path: Path
) -> None:
    clock.set(AFTER_WINDOW)
    result = run(app, "export", "diverse", "--year", "115", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert "115 學年度沒有已勾選的多元表現" in result.output
    assert not (tmp_path / "out").exists()


def test_central_dates_and_cells() -> None:
    assert central_format.central_date(date(2010, 12, 31)) == "0991231"
    assert central_format.central_date(date(2027, 1, 5)) == "1160105"
    assert central_format.cell("2026-11-20") == "1151120"
    assert (
        central_format.cell(6.5) == "6.5"
        and central_format.cell(12) == "12"
        and central_format.cell(None) == ""
    )
    assert central_format.cell("  二年級  ") == "二年級"
