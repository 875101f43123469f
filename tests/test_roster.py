"""Roster import: every kind and encoding, all-or-nothing, idempotence, class changes, the CLI."""

from __future__ import annotations

import csv
import io
import secrets
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import create_engine, select, text

import storage.models  # noqa: F401 - registers every table on Base.metadata
from bot import roster_cli
from school import roster_people
from school.import_plan import ImportResult
from school.roster import import_roster
from school.roster_files import (
    RosterFileError,
    decode_text,
    is_valid_national_id,
    map_rows,
    normalise_phone,
    parse_roster_date,
    read_roster_file,
)
from storage import crypto
from storage.clock import FrozenClock
from storage.db import Base, Database
from storage.models.school import (
    Course,
    Enrolment,
    Guardian,
    GuardianLink,
    SchoolClass,
    Staff,
    Student,
    StudentClassHistory,
    Term,
)
from tests.conftest import PG_ADMIN_URL, SCHOOL_DAY, SECRET_KEY, _missing

FIXTURES = Path(__file__).parent / "fixtures" / "roster"
NOW = SCHOOL_DAY.astimezone(UTC)

STUDENT_HEADER = ["學號", "姓名", "身分證號", "年級", "班級", "座號"]


# --- databases: the models as they are now (create_all), on SQLite and PostgreSQL -----------------


@pytest.fixture(scope="module")
def _pg_roster_url() -> Iterator[str]:
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        _missing("PostgreSQL", type(exc).__name__)
    name = f"roster_test_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def _pg_roster_db(_pg_roster_url: str) -> Iterator[Database]:
    database = Database(_pg_roster_url)
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture(scope="module")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite file with every table, copied for each test (faster than create_all)."""
    path = tmp_path_factory.mktemp("roster") / "template.sqlite"
    database = Database(f"sqlite:///{path}")
    Base.metadata.create_all(database.engine)
    database.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def rdb(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database with the current models, on each backend."""
    crypto.configure(SECRET_KEY)
    if request.param == "sqlite":
        path = tmp_path / "roster.sqlite"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    database = request.getfixturevalue("_pg_roster_db")
    # DELETE beats TRUNCATE on tables this small; ids need not restart.
    with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    yield database


# --- helpers --------------------------------------------------------------------------------------


def run(db: Database, kind: str, source: Path, *, dry_run: bool = False) -> ImportResult:
    with db.transaction() as session:
        return import_roster(session, kind, source, now=NOW, dry_run=dry_run)


def ok(db: Database, kind: str, source: Path, **kwargs: Any) -> ImportResult:
    result = run(db, kind, source, **kwargs)
    assert result.ok, result.error_lines()
    return result


def counts(result: ImportResult) -> tuple[int, int, int]:
    return result.added, result.updated, result.unchanged


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=number, column=column, value=value)
    workbook.save(path)
    return path


def fixture_rows(name: str) -> list[list[str]]:
    with open(FIXTURES / name, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, raw (ciphertext included), to prove nothing was written."""
    with db.engine.connect() as conn:
        return {
            table.name: sorted(tuple(map(str, row)) for row in conn.execute(select(table)))
            for table in Base.metadata.sorted_tables
        }


def school(db: Database, *kinds: str) -> None:
    """Import the checked-in sample school, kind by kind, in the order a registrar would."""
    for kind in kinds:
        ok(db, kind, FIXTURES / f"{kind}.csv")


def student(db: Database, number: str) -> Student:
    with db.session() as session:
        found = session.scalars(select(Student).where(Student.student_no == number)).one()
        found.national_id  # noqa: B018 - load the deferred value before the session closes
        return found


# --- pure rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "A123456789",
        "a123456789",
        "Ａ１２３４５６７８９",
        " B223456782 ",
        "A800000014",  # resident certificate, new format (2021-)
        "F912345678",
        "AC01234567",  # resident certificate, old format
    ],
)
def test_valid_national_ids(number: str) -> None:
    assert is_valid_national_id(number)


@pytest.mark.parametrize(
    "number",
    [
        "A123456788",
        "A123456780",
        "A323456789",
        "1123456789",
        "A12345678",
        "A1234567890",
        "AE01234567",
        "",
        "A12345678X",
    ],
)
def test_invalid_national_ids(number: str) -> None:
    assert not is_valid_national_id(number)


@pytest.mark.parametrize(
    "written, expected",
    [
        ("2009-05-01", date(2009, 5, 1)),
        ("2009/5/1", date(2009, 5, 1)),
        ("20090501", date(2009, 5, 1)),
        ("98/05/01", date(2009, 5, 1)),
        ("98.5.1", date(2009, 5, 1)),
        ("0980501", date(2009, 5, 1)),
        ("980501", date(2009, 5, 1)),
        ("民國98年5月1日", date(2009, 5, 1)),
        ("2009年5月1日", date(2009, 5, 1)),
        ("100/01/31", date(2011, 1, 31)),
    ],
)
def test_roster_dates(written: str, expected: date) -> None:
    assert parse_roster_date(written) == expected


@pytest.mark.parametrize("written", ["2009/13/01", "98/02/30", "May 1 2009", "2009-05", "12345"])
def test_roster_dates_refused(written: str) -> None:
    with pytest.raises(ValueError):
        parse_roster_date(written)


@pytest.mark.parametrize(
    "written, expected",
    [
        ("0912-345-678", "0912345678"),
        ("+886 912 345 678", "0912345678"),
        ("912345678", "0912345678"),
        ("0912345678", "0912345678"),
        ("02-2345-6789", None),
        ("12345", None),
    ],
)
def test_mobile_numbers(written: str, expected: str | None) -> None:
    assert normalise_phone(written) == expected


# --- reading files --------------------------------------------------------------------------------


def test_encodings_decode_to_the_same_text() -> None:
    content = (
        "學號,姓名\r\n110001,陳小明\r\n110002,許功蓋\r\n"  # 許功蓋: Big5 bytes with a backslash
    )
    for data in (
        content.encode("utf-8"),
        content.encode("utf-8-sig"),
        content.encode("big5"),
        content.encode("cp950"),
        content.encode("utf-16"),
    ):
        assert decode_text(data).replace("\ufeff", "") == content


def test_big5_private_characters_are_named_by_row(tmp_path: Path) -> None:
    # 0xFA40 is in Big5's user-defined area, where schools keep 造字 for rare name characters.
    data = "學號,姓名\r\n110001,陳小明\r\n".encode("cp950") + b"110002,\xfa\x40\xa4\x70\r\n"
    path = tmp_path / "eudc.csv"
    path.write_bytes(data)
    with pytest.raises(RosterFileError) as caught:
        read_roster_file(path)
    assert caught.value.lines == [
        "第 3 列：含有無法辨識的字（可能是 Big5 造字），請改用正式字或另存為 UTF-8 的 CSV 檔"
    ]


def test_xlsx_cells_and_row_numbers(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "r.xlsx",
        [
            ["某某高中 學生名冊"],
            STUDENT_HEADER + ["出生日期"],
            [110001, "陳小明", "A123456789", 1, 101, 1.0, datetime(2010, 5, 1)],
            [],
            ["0110002", " 林小華 ", "B223456782", "1", "101", 2, "2010/5/2"],
        ],
    )
    table = read_roster_file(path)
    assert [number for number, _ in table.rows] == [1, 2, 3, 5]
    rows = map_rows(table, roster_people.STUDENT_COLUMNS)
    assert [r.number for r in rows] == [3, 5]
    assert rows[0].values == {
        "student_no": "110001",
        "name": "陳小明",
        "national_id": "A123456789",
        "grade": "1",
        "class": "101",
        "seat": "1",
        "birth_date": "2010-05-01",
    }
    assert rows[1].values["student_no"] == "0110002"
    assert rows[1].values["name"] == "林小華"


def test_headers_english_aliases_spaces_and_extra_columns(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        [
            [" Student_No ", "NAME", "National ID", "Grade", "class", " seat ", "備註"],
            ["110001", "陳小明", "A123456789", "1", "101", "1", "x"],
        ],
    )
    rows = map_rows(read_roster_file(path), roster_people.STUDENT_COLUMNS)
    assert set(rows[0].values) == {"student_no", "name", "national_id", "grade", "class", "seat"}


def test_missing_column_is_one_clear_error(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "s.csv",
        [
            ["學號", "姓名", "身分證號", "年級", "座號"],
            ["110001", "陳小明", "A123456789", "1", "1"],
        ],
    )
    with pytest.raises(RosterFileError) as caught:
        map_rows(read_roster_file(path), roster_people.STUDENT_COLUMNS)
    assert caught.value.lines == [
        "缺少必要欄位：班級（檔案的欄位：學號、姓名、身分證號、年級、座號）"
    ]


def test_unsupported_and_missing_files(tmp_path: Path) -> None:
    old_excel = tmp_path / "roster.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(RosterFileError, match=r"不支援的檔案格式 \.xls"):
        read_roster_file(old_excel)
    with pytest.raises(RosterFileError, match="找不到檔案：nope.csv"):
        read_roster_file(tmp_path / "nope.csv")


# --- staff ----------------------------------------------------------------------------------------


def test_staff_import(rdb: Database) -> None:
    result = ok(rdb, "staff", FIXTURES / "staff.csv")
    assert counts(result) == (5, 0, 0)
    with rdb.session() as session:
        staff = {s.staff_no: s for s in session.scalars(select(Staff))}
        assert staff["T001"].role_names == {"任課教師", "導師"}
        assert staff["T002"].role_names == {"任課教師", "導師"}
        assert staff["T003"].role_names == {"任課教師", "科召集人"}
        assert staff["T003"].subject == "數學"
        # A section head is a member of the section too (proxy chain, rule 七).
        assert staff["A001"].role_names == {"註冊組長", "註冊組"}
        assert staff["T004"].role_names == {"任課教師", "課程諮詢教師"}


def test_staff_update_and_missing_note(rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff")
    rows = [r for r in fixture_rows("staff.csv") if r[0] != "T004"]
    rows[1] = ["T001", "王美玲", "任課教師", "國文", ""]
    result = ok(rdb, "staff", write_csv(tmp_path / "staff.csv", rows))
    assert counts(result) == (0, 1, 3)
    assert result.changes == ["教職員編號 T001 角色 任課教師、導師 → 任課教師"]
    assert result.notes == ["有 1 位教職員不在此檔案中：匯入不會刪除教職員。"]
    with rdb.session() as session:
        assert session.scalars(select(Staff).where(Staff.staff_no == "T001")).one().role_names == {
            "任課教師"
        }
        assert session.scalars(select(Staff).where(Staff.staff_no == "T004")).one()


def test_staff_bad_file_changes_nothing(rdb: Database, tmp_path: Path) -> None:
    before = snapshot(rdb)
    result = run(
        rdb,
        "staff",
        write_csv(
            tmp_path / "staff.csv",
            [
                ["教職員編號", "姓名", "角色", "科別"],
                ["T001", "王美玲", "任課教師、導師", "國文"],
                ["T002", "林志明", "任課教師、班長", "英文"],
                ["T003", "陳建宏", "科召集人", ""],
                ["T001", "王小玲", "導師", ""],
                ["T005", "", "", ""],
            ],
        ),
    )
    assert [str(e) for e in result.errors] == [
        "第 3 列：未知的角色 班長",
        "第 4 列：科召集人需填科別",
        "第 5 列：教職員編號 T001 重複（與第 2 列相同）",
        "第 6 列：姓名未填；角色未填",
    ]
    assert (
        result.error_lines()[0]
        == "教職員名冊：匯入失敗，未寫入任何資料。請修正下列 4 列後重新匯入："
    )
    assert snapshot(rdb) == before


# --- classes --------------------------------------------------------------------------------------


def test_classes_import_and_update(rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff")
    assert counts(ok(rdb, "classes", FIXTURES / "classes.csv")) == (3, 0, 0)
    with rdb.session() as session:
        classes = {c.code: c for c in session.scalars(select(SchoolClass))}
        assert classes["101"].homeroom_teacher.staff_no == "T001"  # type: ignore[union-attr]
        assert classes["201"].homeroom_teacher_id is None and classes["201"].grade == 2
    changed = write_csv(
        tmp_path / "classes.csv",
        [
            ["班級", "導師編號", "年級"],
            ["101", "T001", "1"],
            ["102", "T002", "1"],
            ["201", "T004", "2"],
        ],
    )
    result = ok(rdb, "classes", changed)
    assert counts(result) == (0, 1, 2)
    assert result.changes == ["班級 201 導師編號 — → T004"]


def test_classes_bad_file_changes_nothing(rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff")
    before = snapshot(rdb)
    result = run(
        rdb,
        "classes",
        write_csv(
            tmp_path / "classes.csv",
            [
                ["班級", "導師編號", "年級"],
                ["101", "T001", "1"],
                ["102", "T999", "1"],
                ["103", "T002", "4"],
                ["101", "T003", "1"],
                ["104", "T001", "1"],
            ],
        ),
    )
    assert [str(e) for e in result.errors] == [
        "第 3 列：未知的教師編號 T999",
        "第 4 列：年級必須是 1 到 3",
        "第 5 列：班級 101 重複（與第 2 列相同）",
        "第 6 列：教師編號 T001 已是第 2 列班級的導師",
    ]
    assert snapshot(rdb) == before


# --- students -------------------------------------------------------------------------------------


def test_students_import(rdb: Database) -> None:
    school(rdb, "staff", "classes")
    result = ok(rdb, "students", FIXTURES / "students.csv")
    assert counts(result) == (5, 0, 0)
    assert result.notes == []
    first = student(rdb, "110001")
    assert (first.name, first.grade, first.seat_no, first.entry_year, first.status) == (
        "陳小明",
        1,
        1,
        115,
        "在學",
    )
    assert first.birth_date == date(2010, 5, 1)
    assert first.national_id == "A123456789"
    assert first.national_id_hash == crypto.cipher().lookup_hash("A123456789")
    assert student(rdb, "110003").birth_date == date(2010, 5, 3)  # Minguo 99/05/03
    assert student(rdb, "110003").status == "在學"  # blank status: a new student is enrolled
    assert student(rdb, "110004").birth_date == date(2010, 5, 4)  # 0990504
    with rdb.engine.connect() as conn:
        stored = conn.execute(text("SELECT national_id FROM students")).scalars().all()
    assert all(value and "A123456789" not in value for value in stored)  # encrypted at rest
    with rdb.session() as session:
        history = session.scalars(select(StudentClassHistory)).all()
        assert len(history) == 5 and {h.note for h in history} == {"名冊匯入"}


def test_students_bad_file_reports_every_row_and_changes_nothing(
    rdb: Database, tmp_path: Path
) -> None:
    school(rdb, "staff", "classes", "students")
    before = snapshot(rdb)
    result = run(
        rdb,
        "students",
        write_csv(
            tmp_path / "students.csv",
            [
                STUDENT_HEADER + ["出生日期"],
                [
                    "110001",
                    "陳小明",
                    "A123456789",
                    "1",
                    "102",
                    "9",
                    "2010-05-01",
                ],  # fine: a class change
                ["110006", "林小華", "A123456788", "1", "101", "3", ""],
                ["110007", "王大同", "P122334455", "1", "109", "1", ""],
                ["110001", "李美麗", "S233445562", "1", "101", "4", ""],
                ["110008", "張志豪", "A222333449", "4", "101", "5", ""],
                ["", "", "", "", "", "", ""],
                ["110009", "吳小芳", "T123454325", "1", "101", "六", ""],
                ["110010", "周杰", "E121212121", "1", "101", "7", "2010/13/01"],
                ["110011", "鄭成", "A123456789", "1", "101", "8", ""],
                ["110012", "", "K212121212", "2", "101", "10", ""],
                ["110013", "許功蓋", "B223456782", "1", "101", "11", ""],
                ["110014", "何平", "", "1", "101", "", ""],
            ],
        ),
    )
    assert [str(e) for e in result.errors] == [
        "第 3 列：身分證號格式錯誤",
        "第 4 列：未知的班級 109",
        "第 5 列：學號 110001 重複（與第 2 列相同）",
        "第 6 列：年級必須是 1 到 3",
        "第 8 列：座號必須是數字",
        "第 9 列：出生日期無法辨識：2010/13/01",
        "第 10 列：身分證號重複（與第 2 列相同）",
        "第 11 列：姓名未填；年級 2 與班級 101（1 年級）不符",
        "第 12 列：身分證號已屬於另一位學生（學號 110002）",
        "第 13 列：身分證號未填；座號未填",
    ]
    assert snapshot(rdb) == before


@pytest.mark.parametrize("form", ["big5", "utf-8-sig", "xlsx"])
def test_students_in_every_file_form(rdb: Database, tmp_path: Path, form: str) -> None:
    school(rdb, "staff", "classes")
    rows = fixture_rows("students.csv")
    rows.append(["110006", "許功蓋", "P122334455", "2", "201", "2", "114", "", "", ""])
    if form == "xlsx":
        source = write_xlsx(tmp_path / "students.xlsx", rows)
    else:
        source = write_csv(tmp_path / "students.csv", rows, encoding=form)
    assert counts(ok(rdb, "students", source)) == (6, 0, 0)
    assert student(rdb, "110006").name == "許功蓋"
    assert student(rdb, "110001").birth_date == date(2010, 5, 1)
    # The same roster as plain UTF-8 is, field for field, what is already stored.
    utf8 = write_csv(tmp_path / "students-utf8.csv", rows)
    assert counts(ok(rdb, "students", utf8)) == (0, 0, 6)


PREREQUISITES = {
    "staff": (),
    "classes": ("staff",),
    "students": ("staff", "classes"),
    "courses": ("staff", "classes", "students"),
    "enrolments": ("staff", "classes", "students", "courses"),
    "guardians": ("staff", "classes", "students"),
}


@pytest.fixture
def sqlite_rdb(_sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """SQLite only: reading a file does not depend on the database behind it."""
    crypto.configure(SECRET_KEY)
    path = tmp_path / "roster.sqlite"
    shutil.copyfile(_sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.mark.parametrize("form", ["big5", "utf-8-sig", "xlsx"])
@pytest.mark.parametrize("kind", list(PREREQUISITES))
def test_every_kind_in_every_file_form(
    sqlite_rdb: Database, tmp_path: Path, kind: str, form: str
) -> None:
    school(sqlite_rdb, *PREREQUISITES[kind])
    rows = fixture_rows(f"{kind}.csv")
    if form == "xlsx":
        source = write_xlsx(tmp_path / f"{kind}.xlsx", rows)
    else:
        source = write_csv(tmp_path / f"{kind}.csv", rows, encoding=form)
    assert counts(ok(sqlite_rdb, kind, source)) == (len(rows) - 1, 0, 0)
    # The UTF-8 original then finds every field already stored as it says.
    assert counts(ok(sqlite_rdb, kind, FIXTURES / f"{kind}.csv")) == (0, 0, len(rows) - 1)


def test_reimport_changes_nothing(rdb: Database) -> None:
    kinds = ("staff", "classes", "students", "courses", "enrolments", "guardians")
    school(rdb, *kinds)
    before = snapshot(rdb)
    for kind in kinds:
        result = ok(rdb, kind, FIXTURES / f"{kind}.csv")
        assert result.added == result.updated == 0 and result.unchanged > 0, kind
        assert result.changes == []
    assert snapshot(rdb) == before


def test_dry_run_writes_nothing_and_tells_the_same_story(rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff", "classes", "students")
    rows = fixture_rows("students.csv")
    rows[1][4], rows[1][5] = "102", "5"  # 110001 moves to 102
    rows.append(["110006", "許功蓋", "P122334455", "2", "201", "2", "114", "", "", ""])
    source = write_csv(tmp_path / "students.csv", rows)
    before = snapshot(rdb)
    trial = ok(rdb, "students", source, dry_run=True)
    assert snapshot(rdb) == before
    assert not trial.applied
    assert trial.summary_lines() == [
        "學生名冊：試算結果（--dry-run，未寫入任何資料）",
        "新增 1 筆、更新 1 筆、不變 4 筆",
        "更新內容：",
        "  學號 110001 班級 101 → 102，座號 1 → 5",
    ]
    real = ok(rdb, "students", source)
    assert real.applied
    assert counts(real) == counts(trial) and real.changes == trial.changes
    assert snapshot(rdb) != before


def test_class_change_keeps_the_student_and_their_records(rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff", "classes", "students", "courses", "enrolments", "guardians")
    before = student(rdb, "110001")
    with rdb.session() as session:
        enrolments_before = session.scalars(
            select(Enrolment.course_id).where(Enrolment.student_id == before.id)
        ).all()
    assert len(enrolments_before) == 3

    rows = [r for r in fixture_rows("students.csv") if r[0] != "110005"]
    rows[1][4], rows[1][5] = "102", "3"
    result = ok(rdb, "students", write_csv(tmp_path / "students.csv", rows))
    assert result.changes == ["學號 110001 班級 101 → 102，座號 1 → 3"]
    assert result.notes == ["有 1 位在學學生不在此檔案中：匯入不會刪除學生，轉出、休學請另行辦理。"]

    after = student(rdb, "110001")
    assert after.id == before.id
    with rdb.session() as session:
        assert (
            after.class_id
            == session.scalars(select(SchoolClass.id).where(SchoolClass.code == "102")).one()
        )
        assert sorted(
            session.scalars(
                select(Enrolment.course_id).where(Enrolment.student_id == after.id)
            ).all()
        ) == sorted(enrolments_before)
        assert session.scalars(
            select(GuardianLink).where(GuardianLink.student_id == after.id)
        ).one()
        history = session.scalars(
            select(StudentClassHistory)
            .where(StudentClassHistory.student_id == after.id)
            .order_by(StudentClassHistory.id)
        ).all()
        assert [(h.note, h.seat_no) for h in history] == [("名冊匯入", 1), ("轉班", 3)]
        # SQLite hands the instant back without its offset; it was stored as UTC.
        assert history[1].since.replace(tzinfo=None) == NOW.replace(tzinfo=None)
        # Missing from the file is not a reason to delete.
        assert session.scalars(select(Student).where(Student.student_no == "110005")).one()


def test_national_ids_may_swap_within_one_file(rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff", "classes", "students")
    rows = fixture_rows("students.csv")
    rows[1][2], rows[2][2] = rows[2][2], rows[1][2]
    result = ok(rdb, "students", write_csv(tmp_path / "students.csv", rows))
    assert result.changes == [
        "學號 110001 身分證號 A12****789 → B22****782",
        "學號 110002 身分證號 B22****782 → A12****789",
    ]
    assert student(rdb, "110001").national_id == "B223456782"
    assert student(rdb, "110002").national_id_hash == crypto.cipher().lookup_hash("A123456789")


# --- courses and enrolments -----------------------------------------------------------------------


def test_courses_enrol_their_class(rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff", "classes", "students")
    result = ok(rdb, "courses", FIXTURES / "courses.csv")
    assert counts(result) == (4, 0, 0)
    assert result.notes == ["新增學期：115 學年度第 1 學期", "依班級自動加入修課學生 6 筆"]
    with rdb.session() as session:
        term = session.scalars(select(Term)).one()
        assert (term.academic_year, term.semester) == (115, 1)
        enrolled = {
            (c.code, c.school_class.code if c.school_class else None): sorted(
                e.student.student_no
                for e in session.scalars(select(Enrolment).where(Enrolment.course_id == c.id))
            )
            for c in session.scalars(select(Course))
        }
    assert enrolled == {
        ("115001A01", "101"): ["110001", "110002"],
        ("115001A01", "102"): ["110003", "110004"],
        ("115001B01", "101"): ["110001", "110002"],
        ("115009E01", None): [],  # an elective: its students come through the enrolments file
    }
    # A student who joins 101 later is enrolled when the courses are imported again.
    rows = fixture_rows("students.csv")
    rows.append(["110006", "許功蓋", "P122334455", "1", "101", "3", "115", "", "", ""])
    ok(rdb, "students", write_csv(tmp_path / "students.csv", rows))
    again = ok(rdb, "courses", FIXTURES / "courses.csv")
    assert counts(again) == (0, 0, 4)
    assert again.notes == ["依班級自動加入修課學生 2 筆"]


def test_course_teacher_change_is_an_update(rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff", "classes", "students", "courses")
    rows = fixture_rows("courses.csv")
    rows[3][5] = "T003"
    result = ok(rdb, "courses", write_csv(tmp_path / "courses.csv", rows))
    assert result.changes == ["課程 115001B01（101） 授課教師編號 T002 → T003"]


def test_courses_bad_file_changes_nothing(rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff", "classes")
    before = snapshot(rdb)
    result = run(
        rdb,
        "courses",
        write_csv(
            tmp_path / "courses.csv",
            [
                ["學年度", "學期", "課程代碼", "科目名稱", "班級", "授課教師編號"],
                ["115", "1", "115001A01", "國語文", "101", "T001"],
                ["115", "3", "115001A02", "國語文", "101", "T001"],
                ["2026", "1", "115001A03", "國語文", "101", "T001"],
                ["115", "1", "115001A04", "數學", "109", "T888"],
                ["115", "1", "115001A01", "國語文", "101", "T001"],
                ["115", "1", "", "", "", ""],
            ],
        ),
    )
    assert [str(e) for e in result.errors] == [
        "第 3 列：學期必須是 1 或 2",
        "第 4 列：學年度必須是民國年（例如 115）",
        "第 5 列：未知的班級 109；未知的教師編號 T888",
        "第 6 列：課程代碼 115001A01（101）重複（與第 2 列相同）",
        "第 7 列：課程代碼未填；科目名稱未填",
    ]
    assert snapshot(rdb) == before


def test_enrolments_resolve_the_course(rdb: Database) -> None:
    school(rdb, "staff", "classes", "students", "courses")
    assert counts(ok(rdb, "enrolments", FIXTURES / "enrolments.csv")) == (4, 0, 0)
    with rdb.session() as session:
        rows = session.execute(
            select(Student.student_no, Course.code, Course.class_id)
            .join(Enrolment, Enrolment.student_id == Student.id)
            .join(Course, Course.id == Enrolment.course_id)
            .where(Course.code.in_(["115009E01", "115001B01"]))
        ).all()
        class_101 = session.scalars(select(SchoolClass.id).where(SchoolClass.code == "101")).one()
    assert sorted(rows) == [
        ("110001", "115001B01", class_101),  # from the class
        ("110001", "115009E01", None),
        ("110002", "115001B01", class_101),
        ("110003", "115009E01", None),
        ("110004", "115001B01", class_101),  # the only course of that code, though another class's
        ("110005", "115009E01", None),
    ]


def test_enrolment_prefers_the_students_class_then_the_classless_course(
    rdb: Database, tmp_path: Path
) -> None:
    school(rdb, "staff", "classes", "students")
    ok(
        rdb,
        "courses",
        write_csv(
            tmp_path / "courses.csv",
            [
                ["學年度", "學期", "課程代碼", "科目名稱", "班級", "授課教師編號"],
                ["115", "2", "X01", "音樂", "101", "T001"],
                ["115", "2", "X01", "音樂", "", "T002"],
                ["115", "2", "Y01", "美術", "101", "T001"],
                ["115", "2", "Y01", "美術", "102", "T002"],
            ],
        ),
    )
    before = snapshot(rdb)
    bad = run(
        rdb,
        "enrolments",
        write_csv(
            tmp_path / "bad.csv",
            [
                ["學年度", "學期", "學號", "課程代碼"],
                ["115", "2", "110005", "Y01"],
                ["115", "1", "110001", "X01"],
                ["115", "2", "119999", "X01"],
                ["115", "2", "110001", "Z01"],
                ["115", "2", "110003", "X01"],
                ["115", "2", "110003", "X01"],
            ],
        ),
    )
    assert [str(e) for e in bad.errors] == [
        "第 2 列：課程代碼 Y01 有多個班級開課，無法判斷學號 110005 該修哪一班",
        "第 3 列：尚未匯入 115 學年度第 1 學期的課程",
        "第 4 列：未知的學號 119999",
        "第 5 列：未知的課程代碼 Z01（115 學年度第 2 學期）",
        "第 7 列：學號 110003 的課程 X01 重複（與第 6 列相同）",
    ]
    assert snapshot(rdb) == before

    result = ok(
        rdb,
        "enrolments",
        write_csv(
            tmp_path / "good.csv",
            [
                ["學年度", "學期", "學號", "課程代碼"],
                ["115", "2", "110001", "X01"],  # in 101 already through the class: unchanged
                ["115", "2", "110003", "X01"],  # 102 has no X01 of its own: the class-less one
                ["115", "2", "110004", "Y01"],  # 102's own Y01, enrolled through the class already
            ],
        ),
    )
    assert counts(result) == (1, 0, 2)
    with rdb.session() as session:
        pairs = session.execute(
            select(Student.student_no, Course.code, SchoolClass.code)
            .join(Enrolment, Enrolment.student_id == Student.id)
            .join(Course, Course.id == Enrolment.course_id)
            .outerjoin(SchoolClass, SchoolClass.id == Course.class_id)
            .where(Student.student_no == "110003", Course.code == "X01")
        ).all()
    assert [tuple(p) for p in pairs] == [("110003", "X01", None)]


# --- guardians ------------------------------------------------------------------------------------


def test_guardians_import_update_and_siblings(rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff", "classes", "students")
    assert counts(ok(rdb, "guardians", FIXTURES / "guardians.csv")) == (3, 0, 0)
    with rdb.session() as session:
        father = session.scalars(select(Guardian).where(Guardian.name == "陳大文")).one()
        assert father.phone == "0912345678"
        assert father.phone_hash == crypto.cipher().lookup_hash("0912345678")
    with rdb.engine.connect() as conn:
        assert "0912345678" not in str(conn.execute(text("SELECT phone FROM guardians")).all())

    rows = fixture_rows("guardians.csv")
    rows[2] = ["110002", "林美惠", "母親", "0922333444"]
    rows[3] = ["110003", "王建國", "父", "0933444555"]
    rows.append(["110004", "陳大文", "父", "0912345678"])  # 110001's father, here for a sibling
    result = ok(rdb, "guardians", write_csv(tmp_path / "guardians.csv", rows))
    assert counts(result) == (1, 2, 1)
    assert result.changes == [
        "學號 110002 家長 林美惠 關係 母 → 母親",
        "學號 110003 家長 王建國 手機 已變更",
    ]
    assert result.notes == ["其中 1 筆是兄弟姊妹共用同一位家長（姓名與手機相同）"]
    with rdb.session() as session:
        father = session.scalars(select(Guardian).where(Guardian.name == "陳大文")).one()
        children = session.scalars(
            select(Student.student_no)
            .join(GuardianLink, GuardianLink.student_id == Student.id)
            .where(GuardianLink.guardian_id == father.id)
        ).all()
        assert sorted(children) == ["110001", "110004"]
        assert session.scalars(select(Guardian).where(Guardian.name == "王建國")).one().phone == (
            "0933444555"
        )
    assert counts(ok(rdb, "guardians", write_csv(tmp_path / "guardians.csv", rows))) == (0, 0, 4)


def test_siblings_new_in_one_file_share_one_guardian(rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff", "classes", "students")
    ok(
        rdb,
        "guardians",
        write_csv(
            tmp_path / "g.csv",
            [
                ["學號", "家長姓名", "關係", "手機"],
                ["110001", "陳大文", "父", "0912345678"],
                ["110004", "陳大文", "父", "+886912345678"],
                ["110005", "陳大文", "父", ""],  # no phone: nothing says it is the same person
            ],
        ),
    )
    with rdb.session() as session:
        assert len(session.scalars(select(Guardian)).all()) == 2
        assert len(session.scalars(select(GuardianLink)).all()) == 3


def test_guardians_bad_file_changes_nothing(rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff", "classes", "students", "guardians")
    before = snapshot(rdb)
    result = run(
        rdb,
        "guardians",
        write_csv(
            tmp_path / "guardians.csv",
            [
                ["學號", "家長姓名", "關係", "手機"],
                ["110001", "陳大文", "父", "0912345678"],
                ["119999", "王小明", "父", ""],
                ["110002", "林美惠", "母", "02-2345-6789"],
                ["110001", "陳大文", "父", ""],
                ["110003", "", "父", ""],
            ],
        ),
    )
    assert [str(e) for e in result.errors] == [
        "第 3 列：未知的學號 119999",
        "第 4 列：手機號碼格式錯誤（應為 09 開頭的 10 碼）",
        "第 5 列：學號 110001 的家長 陳大文 重複（與第 2 列相同）",
        "第 6 列：家長姓名未填",
    ]
    assert snapshot(rdb) == before


# --- the CLI --------------------------------------------------------------------------------------


@pytest.fixture
def cli_app(rdb: Database) -> Flask:
    """A bare Flask app with only what the roster commands use: the database and the clock."""
    app = Flask("roster-test")
    app.extensions["portfolio"] = SimpleNamespace(db=rdb, clock=FrozenClock(NOW))
    roster_cli.register(app)
    return app


def invoke(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["import", *args])


def test_cli_dry_run_then_import(cli_app: Flask, rdb: Database) -> None:
    school(rdb, "staff", "classes")
    before = snapshot(rdb)
    trial = invoke(cli_app, "students", str(FIXTURES / "students.csv"), "--dry-run")
    assert trial.exit_code == 0, trial.output
    assert trial.output.splitlines() == [
        "學生名冊：試算結果（--dry-run，未寫入任何資料）",
        "新增 5 筆、更新 0 筆、不變 0 筆",
    ]
    assert snapshot(rdb) == before
    done = invoke(cli_app, "students", str(FIXTURES / "students.csv"))
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[0] == "學生名冊：匯入完成"
    with rdb.session() as session:
        assert len(session.scalars(select(Student)).all()) == 5


def test_cli_bad_file_exits_non_zero_on_stderr(
    cli_app: Flask, rdb: Database, tmp_path: Path
) -> None:
    school(rdb, "staff", "classes")
    source = write_csv(
        tmp_path / "students.csv",
        [STUDENT_HEADER, ["110001", "陳小明", "A123456788", "1", "109", "1"]],
    )
    result = invoke(cli_app, "students", str(source))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "學生名冊：匯入失敗，未寫入任何資料。請修正下列 1 列後重新匯入：",
        "第 2 列：身分證號格式錯誤；未知的班級 109",
    ]
    missing = invoke(cli_app, "classes", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 1
    assert "找不到檔案：nope.csv" in missing.stderr


def test_cli_never_prints_a_full_national_id(cli_app: Flask, rdb: Database, tmp_path: Path) -> None:
    school(rdb, "staff", "classes", "students")
    rows = fixture_rows("students.csv")
    rows[1][2] = "Q123456782"
    result = invoke(cli_app, "students", str(write_csv(tmp_path / "s.csv", rows)))
    assert result.exit_code == 0, result.output
    assert "學號 110001 身分證號 A12****789 → Q12****782" in result.output
    assert "A123456789" not in result.output and "Q123456782" not in result.output


def test_cli_help_lists_the_columns(cli_app: Flask) -> None:
    result = invoke(cli_app, "students", "--help")
    assert "必要欄位：學號、姓名、身分證號、年級、班級、座號" in result.output
    assert "選填欄位：入學學年度、學籍狀態、出生日期" in result.output
