"""Rule 五 and 七: transfers, repeats, re-enrolment, renumbering, the student export, management."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from rules.model import COURSE_OUTCOME
from school import certification_office, item_counts, management, proxy_chain, terms
from school import lifecycle as life
from storage.identity import STUDENT, identify
from storage.models.binding import BindingCode
from storage.models.lifecycle import REENROL, RENUMBER, REPEAT, TRANSFER_OUT, StudentChange
from storage.models.line import LineAccount, OutboxMessage
from storage.models.portfolio import (
    CERTIFIED,
    PENDING,
    SUBMITTED,
    CourseOutcome,
    FileRecord,
    Performance,
    PerformanceFile,
)
from storage.models.school import (
    Course,
    Enrolment,
    SchoolClass,
    Staff,
    StaffRole,
    Student,
    StudentClassHistory,
    Term,
)
from tests.school import REGISTRAR, School

WANG, LIN, CHEN, REG = "T001", "T002", "T003", "A001"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
VALID_ID = "A123456789"


# --- helpers shared with test_retention.py ------------------------------------------------------


def cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def ok(app: Any, *args: str) -> str:
    result = cli(app, *args)
    assert result.exit_code == 0, result.output
    return str(result.output)


def svc_of(app: Any) -> Any:
    return app.extensions["portfolio"]


def stored_file(
    app: Any,
    db: Any,
    student_id: int | None,
    content: bytes,
    clock: Any,
    mime: str = "application/pdf",
) -> int:
    stored = svc_of(app).files.put_stream([content])
    with db.transaction() as s:
        record = FileRecord(
            sha256=stored.sha256,
            size=stored.size,
            mime=mime,
            kind="document",
            display_name="作品.pdf",
            student_id=student_id,
            created_at=clock.now(),
        )
        s.add(record)
        s.flush()
        return record.id


def make_outcome(
    app: Any,
    db: Any,
    school: School,
    clock: Any,
    user: str,
    course: str,
    status: str = CERTIFIED,
    semester: int = 1,
    content: bytes | None = None,
) -> int:
    """A course outcome with a stored document, certified by the course teacher by default."""
    student_id = school.students[user]
    file_id = stored_file(
        app, db, student_id, content or PDF + user.encode() + course.encode(), clock
    )
    with db.transaction() as s:
        course_row = s.get(Course, school.courses[course])
        assert course_row is not None
        row = CourseOutcome(
            student_id=student_id,
            course_id=course_row.id,
            academic_year=115,
            semester=semester,
            summary=f"{course} 的學習成果",
            status=status,
            document_file_id=file_id,
            created_at=clock.now(),
            submitted_at=clock.now(),
            certifier_id=course_row.teacher_id,
            certifier_capacity=proxy_chain.TEACHER,
        )
        if status == CERTIFIED:
            row.decided_by_id = course_row.teacher_id
            row.decided_capacity = proxy_chain.TEACHER
            row.decided_at = clock.now()
        s.add(row)
        s.flush()
        return row.id


def make_performance(
    app: Any, db: Any, school: School, clock: Any, user: str, content: bytes | None = None
) -> int:
    student_id = school.students[user]
    file_id = stored_file(app, db, student_id, content or PDF + b"perf" + user.encode(), clock)
    with db.transaction() as s:
        row = Performance(
            student_id=student_id,
            academic_year=115,
            semester=1,
            record_type="competition",
            fields={"name": "全國科展", "award": "佳作"},
            summary="科展佳作",
            status=SUBMITTED,
            created_at=clock.now(),
            submitted_at=clock.now(),
        )
        row.proofs = [PerformanceFile(file_id=file_id, position=0)]
        s.add(row)
        s.flush()
        return row.id


def student(db: Any, student_id: int) -> Student:
    with db.session() as s:
        found = s.get(Student, student_id)
        assert found is not None
        s.expunge(found)
        return found


def outcome_row(db: Any, outcome_id: int) -> CourseOutcome:
    with db.session() as s:
        found = s.get(CourseOutcome, outcome_id)
        assert found is not None
        s.expunge(found)
        return found


def deliver(app: Any) -> None:
    from jobs import delivery

    svc = svc_of(app)
    svc.queue.run_all()
    delivery.deliver_due(svc)


def texts_for(line: Any, user: str) -> str:
    from tests.support import Chat

    return Chat.texts(line.messages_for(user))


def course_ids(db: Any, student_id: int) -> set[int]:
    with db.session() as s:
        return set(s.scalars(select(Enrolment.course_id).where(Enrolment.student_id == student_id)))


# --- transfer out -------------------------------------------------------------------------------


def test_transfer_out_keeps_every_item_and_ends_the_binding(
    app: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    uid = "Us10101"
    sid = school.students[uid]
    certified = make_outcome(app, db, school, clock, uid, "101-國語文")
    pending = make_outcome(app, db, school, clock, uid, "101-數學", status=PENDING)
    before = outcome_row(db, certified)
    with db.transaction() as s:
        s.add(
            BindingCode(
                code_hash="x" * 64,
                role="student",
                student_id=sid,
                issued_at=clock.now(),
                expires_at=clock.now() + timedelta(days=30),
            )
        )
    with db.session() as s:
        room_before = item_counts.room(
            s, svc_of(app).rules, COURSE_OUTCOME, sid, terms.TermRef(115, 1)
        )

    out = ok(
        app,
        "students",
        "transfer-out",
        "--id",
        "115001",
        "--on",
        "2026-11-02",
        "--note",
        "轉至臺南一中",
    )
    assert "115001 李小明 自 101 班轉出" in out and "既有成果 2 件" in out
    assert "portfolio export student --id 115001" in out

    after = outcome_row(db, certified)
    assert (after.status, after.decided_by_id, after.decided_capacity, after.decided_at) == (
        before.status,
        before.decided_by_id,
        before.decided_capacity,
        before.decided_at,
    )
    # A pending item stays with its teacher: the work was done here and can still be certified.
    assert outcome_row(db, pending).status == PENDING
    with db.session() as s:
        room_after = item_counts.room(
            s, svc_of(app).rules, COURSE_OUTCOME, sid, terms.TermRef(115, 1)
        )
        assert room_after.semester.used == room_before.semester.used == 2
        gone = s.get(Student, sid)
        assert gone is not None
        assert (gone.status, gone.class_id, gone.seat_no) == ("轉出", None, None)
        change = s.scalars(select(StudentChange).where(StudentChange.student_id == sid)).one()
        assert change.kind == TRANSFER_OUT and change.from_class_id == school.classes["101"]
        assert change.note == "轉至臺南一中" and change.effective_on == date(2026, 11, 2)
        account = s.scalars(select(LineAccount).where(LineAccount.line_user_id == uid)).one()
        assert account.student_id is None and not identify(s, account).bound  # type: ignore[union-attr]
        assert s.scalars(select(BindingCode)).one().revoked_at is not None
        # Courses with items keep their enrolment (the teacher still sees the work), the rest go.
        kept = set(s.scalars(select(Enrolment.course_id).where(Enrolment.student_id == sid)))
        assert kept == {school.courses["101-國語文"], school.courses["101-數學"]}

    deliver(app)
    said = texts_for(line, uid)
    assert "轉出手續已完成" in said and "註冊組" in said
    with db.session() as s:
        menus = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "richmenu")).all()
        assert [(m.recipients, m.messages) for m in menus] == [([uid], [{"menu": None}])]
    assert line.linked_rich_menu(uid) is None


def test_transfer_out_twice_and_unknown_students_are_one_line_errors(
    app: Any, db: Any, school: School
) -> None:
    ok(app, "students", "transfer-out", "--id", "115001")
    again = cli(app, "students", "transfer-out", "--id", "115001")
    assert again.exit_code == 1 and "目前是「轉出」，不是在學學生" in again.output
    assert "Traceback" not in again.output
    unknown = cli(app, "students", "transfer-out", "--id", "999999")
    assert unknown.exit_code == 1 and "找不到學號 999999" in unknown.output


def test_dry_run_writes_nothing_and_says_nothing(
    app: Any, db: Any, school: School, line: Any
) -> None:
    out = ok(app, "students", "transfer-out", "--id", "115001", "--dry-run")
    assert "試算" in out and "轉出" in out
    deliver(app)
    assert line.messages_for("Us10101") == []
    with db.session() as s:
        assert s.get(Student, school.students["Us10101"]).status == "在學"  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(StudentChange)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# --- transfer in --------------------------------------------------------------------------------


def test_transfer_in_a_new_student(app: Any, db: Any, school: School, clock: Any) -> None:
    needs_id = cli(
        app,
        "students",
        "transfer-in",
        "--id",
        "115201",
        "--name",
        "王小明",
        "--class",
        "102",
        "--seat",
        "4",
    )
    assert needs_id.exit_code == 1 and "--national-id" in needs_id.output
    taken = cli(
        app,
        "students",
        "transfer-in",
        "--id",
        "115201",
        "--name",
        "王小明",
        "--national-id",
        VALID_ID,
        "--class",
        "102",
        "--seat",
        "3",
    )
    assert taken.exit_code == 1 and "102 班 3 號已有學生（學號 115103）" in taken.output
    bad = cli(
        app,
        "students",
        "transfer-in",
        "--id",
        "115201",
        "--name",
        "王小明",
        "--national-id",
        "A123456780",
        "--class",
        "102",
        "--seat",
        "4",
    )
    assert bad.exit_code == 1 and "檢查碼" in bad.output

    out = ok(
        app,
        "students",
        "transfer-in",
        "--id",
        "115201",
        "--name",
        "王小明",
        "--national-id",
        VALID_ID.lower(),
        "--class",
        "102",
        "--seat",
        "4",
        "--on",
        "2026-11-02",
        "--note",
        "來自臺南一中",
    )
    assert "115201 王小明 轉入 102 班 4 號（1 年級）" in out and "加選班級課程 6 門" in out
    assert "codes issue --role student --person 115201" in out
    with db.session() as s:
        new = s.scalars(select(Student).where(Student.student_no == "115201")).one()
        assert (new.national_id, new.grade, new.entry_year) == (VALID_ID, 1, 115)
        assert new.status == "在學"
        history = s.scalars(
            select(StudentClassHistory).where(StudentClassHistory.student_id == new.id)
        ).one()
        assert history.note == "轉入" and history.class_id == school.classes["102"]
        new_id = new.id
    expected = {
        school.courses[f"102-{subject}{suffix}"]
        for subject in ("國語文", "英語文", "數學")
        for suffix in ("", "-2")
    }
    assert course_ids(db, new_id) == expected
    again = cli(
        app,
        "students",
        "transfer-in",
        "--id",
        "115202",
        "--name",
        "王小明",
        "--national-id",
        VALID_ID,
        "--class",
        "102",
        "--seat",
        "5",
    )
    assert again.exit_code == 1 and "已屬於學號 115201" in again.output


def test_a_student_who_left_comes_back_with_their_work(
    app: Any, db: Any, school: School, clock: Any
) -> None:
    uid = "Us10102"
    sid = school.students[uid]
    item = make_outcome(app, db, school, clock, uid, "101-英語文")
    ok(app, "students", "transfer-out", "--id", "115002", "--on", "2026-10-20")
    clock.advance(days=30)
    out = ok(app, "students", "transfer-in", "--id", "115002", "--class", "101", "--seat", "2")
    assert "既有成果 1 件保留" in out
    assert student(db, sid).status == "在學"
    assert outcome_row(db, item).status == CERTIFIED
    with db.session() as s:
        kinds = list(
            s.scalars(
                select(StudentChange.kind)
                .where(StudentChange.student_id == sid)
                .order_by(StudentChange.id)
            )
        )
    assert kinds == ["transfer_out", "transfer_in"]
    # The term the transfer happened in: 101's courses again, 115-1 and 115-2.
    assert course_ids(db, sid) == {
        school.courses[f"101-{x}{y}"] for x in ("國語文", "英語文", "數學") for y in ("", "-2")
    }


# --- repeat, re-enrolment, renumbering ---------------------------------------------------------


def test_repeat_moves_the_class_and_leaves_last_terms_work_alone(
    app: Any, db: Any, school: School, clock: Any
) -> None:
    uid = "Us10103"
    sid = school.students[uid]
    first = make_outcome(app, db, school, clock, uid, "101-國語文")
    second = make_outcome(app, db, school, clock, uid, "101-數學", semester=1)
    rules = svc_of(app).rules
    with db.session() as s:
        used = item_counts.room(s, rules, COURSE_OUTCOME, sid, terms.TermRef(115, 1)).semester.used

    out = ok(
        app,
        "students",
        "repeat",
        "--id",
        "115003",
        "--class",
        "102",
        "--seat",
        "9",
        "--on",
        "2027-02-11",
        "--note",
        "成績未達",
    )
    assert "101 班 → 102 班 9 號" in out and "先前的成果 2 件" in out
    s1 = student(db, sid)
    assert (s1.class_id, s1.seat_no, s1.grade, s1.status) == (school.classes["102"], 9, 1, "在學")
    for item in (first, second):
        row = outcome_row(db, item)
        assert (row.status, row.academic_year, row.semester) == (CERTIFIED, 115, 1)
    with db.session() as s:
        assert (
            item_counts.room(s, rules, COURSE_OUTCOME, sid, terms.TermRef(115, 1)).semester.used
            == used
            == 2
        )
        change = s.scalars(select(StudentChange).where(StudentChange.student_id == sid)).one()
        assert (change.kind, change.from_class_id, change.to_class_id) == (
            REPEAT,
            school.classes["101"],
            school.classes["102"],
        )
    # 115-1 stays as it was; from 115-2 on the student sits in 102's courses.
    enrolled = course_ids(db, sid)
    assert school.courses["101-國語文"] in enrolled and school.courses["102-國語文-2"] in enrolled
    assert school.courses["101-國語文-2"] not in enrolled


def test_repeat_cannot_move_a_student_up_a_grade(app: Any, db: Any, school: School) -> None:
    with db.transaction() as s:
        s.add(SchoolClass(code="201", grade=2))
    result = cli(app, "students", "repeat", "--id", "115003", "--class", "201", "--seat", "1")
    assert result.exit_code == 1 and "不能高於原本的年級" in result.output


def test_reenrolment_with_a_new_number_keeps_the_same_student(
    app: Any, db: Any, school: School, clock: Any
) -> None:
    uid = "Us10104"
    sid = school.students[uid]
    item = make_outcome(app, db, school, clock, uid, "101-國語文")
    with db.transaction() as s:
        row = s.get(Student, sid)
        assert row is not None
        row.status = "休學"
    taken = cli(
        app,
        "students",
        "reenrol",
        "--id",
        "115004",
        "--class",
        "102",
        "--seat",
        "8",
        "--new-id",
        "115101",
    )
    assert taken.exit_code == 1 and "學號 115101 已有其他學生使用" in taken.output
    out = ok(
        app,
        "students",
        "reenrol",
        "--id",
        "115004",
        "--class",
        "102",
        "--seat",
        "8",
        "--new-id",
        "116004",
        "--on",
        "2027-02-15",
    )
    assert "116004" in out and "復學" in out and "學號 115004 已改為 116004" in out
    back = student(db, sid)
    assert (back.student_no, back.status) == ("116004", "在學")
    assert back.class_id == school.classes["102"]
    assert outcome_row(db, item).student_id == sid
    with db.session() as s:
        change = s.scalars(select(StudentChange).where(StudentChange.student_id == sid)).one()
        assert (change.kind, change.old_student_no, change.new_student_no) == (
            REENROL,
            "115004",
            "116004",
        )
        account = s.scalars(select(LineAccount).where(LineAccount.line_user_id == uid)).one()
        assert STUDENT in identify(s, account).roles  # type: ignore[union-attr]
    enrolled = cli(app, "students", "reenrol", "--id", "116004", "--class", "102", "--seat", "8")
    assert enrolled.exit_code == 1 and "目前在學" in enrolled.output


def test_renumber(app: Any, db: Any, school: School) -> None:
    sid = school.students["Us10105"]
    bad = cli(app, "students", "renumber", "--id", "115005", "--new-id", "11-5")
    assert bad.exit_code == 1 and "格式不對" in bad.output
    out = ok(app, "students", "renumber", "--id", "115005", "--new-id", "A15005")
    assert "學號 115005 已改為 A15005（王柏翰）" in out
    assert student(db, sid).student_no == "A15005"
    with db.session() as s:
        kinds = list(s.scalars(select(StudentChange.kind).where(StudentChange.student_id == sid)))
    assert kinds == [RENUMBER]


@pytest.mark.parametrize(
    "command",
    [
        "transfer-in",
        "transfer-out",
        "repeat",
        "reenrol",
        "renumber",
        "graduate",
    ],
)
def test_every_students_command_has_help(app: Any, command: str) -> None:
    result = cli(app, "students", command, "--help")
    assert result.exit_code == 0 and "--help" in result.output
    if command != "renumber":
        assert "--dry-run" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["export", "student", "--help"],
        ["retention", "run", "--help"],
        ["backup", "create", "--help"],
        ["backup", "verify", "--help"],
        ["backup", "restore", "--help"],
        ["management", "show", "--help"],
    ],
)
def test_other_commands_have_help(app: Any, args: list[str]) -> None:
    result = cli(app, *args)
    assert result.exit_code == 0, result.output


# --- the export for a transfer ------------------------------------------------------------------


def test_export_student_writes_everything_with_checksums(
    app: Any, db: Any, school: School, clock: Any, tmp_path: Path
) -> None:
    uid = "Us10101"
    certified = make_outcome(app, db, school, clock, uid, "101-國語文")
    make_outcome(app, db, school, clock, uid, "101-數學", status=PENDING)
    perf = make_performance(app, db, school, clock, uid)
    consultation = _consultation(db, school, clock, [uid])
    ok(
        app,
        "students",
        "repeat",
        "--id",
        "115001",
        "--class",
        "102",
        "--seat",
        "7",
        "--on",
        "2027-02-11",
    )

    out_dir = tmp_path / "out"
    out = ok(app, "export", "student", "--id", "115001", "--out", str(out_dir))
    assert "共 3 件項目、3 個檔案" in out
    zips = list(out_dir.glob("*.zip"))
    assert [z.name for z in zips] == ["portfolio-115001-20261015.zip"]
    with zipfile.ZipFile(zips[0]) as zf:
        names = set(zf.namelist())
        manifest = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
        for row in manifest:
            data = zf.read(row["path"])
            assert hashlib.sha256(data).hexdigest() == row["sha256"]
            assert len(data) == int(row["bytes"])
        assert {r["path"] for r in manifest} == names - {"manifest.csv"}
        doc = json.loads(zf.read("portfolio.json"))
        book = load_workbook(io.BytesIO(zf.read("portfolio.xlsx")))
    assert f"files/C{certified}_doc.pdf" in names and f"files/P{perf}_1.pdf" in names
    assert doc["student"]["student_no"] == "115001"
    assert doc["student"]["national_id"] in ("", "—") or "*" in doc["student"]["national_id"]
    first = next(o for o in doc["course_outcomes"] if o["ref"] == f"C{certified}")
    assert (
        first["status"],
        first["status_label"],
        first["decided_by"],
        first["decided_capacity"],
    ) == ("certified", "已認證", "王美玲", "任課教師")
    assert [c["kind"] for c in doc["changes"]] == ["repeat"]
    assert doc["performances"][0]["fields"] == {"競賽名稱": "全國科展", "獎項": "佳作"}
    if consultation is not None:
        rows = doc["other_records"]["consultation_students"]
        assert rows[0]["consultation_id"]["place"] == "輔導室"
        assert "課程諮詢紀錄" in book.sheetnames
    assert {"基本資料", "班級歷程", "學籍異動", "課程學習成果", "多元表現"} <= set(book.sheetnames)
    sheet = book["課程學習成果"]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["校內編號", "學年度", "學期"] and "認證者" in header
    missing = cli(app, "export", "student", "--id", "999999", "--out", str(out_dir))
    assert missing.exit_code == 1 and "找不到學號 999999" in missing.output


def _consultation(db: Any, school: School, clock: Any, users: list[str]) -> int | None:
    """A consultation with these students, when the records feature's tables exist."""
    from storage.models import records

    if not hasattr(records, "Consultation"):
        return None
    with db.transaction() as s:
        row = records.Consultation(
            consultant_id=school.staff["T004"],
            kind="individual" if len(users) == 1 else "group",
            academic_year=115,
            semester=1,
            starts_at=clock.now(),
            ends_at=clock.now() + timedelta(hours=1),
            place="輔導室",
            content="選課建議",
            created_at=clock.now(),
        )
        row.participants = [
            records.ConsultationStudent(student_id=school.students[u]) for u in users
        ]
        s.add(row)
        s.flush()
        return int(row.id)


# --- rule 七: platform management ---------------------------------------------------------------


def _head(db: Any, no: str, name: str, role: str) -> int:
    with db.transaction() as s:
        member = Staff(staff_no=no, name=name)
        member.roles = [StaffRole(role=role), StaffRole(role=role[:-1])]
        s.add(member)
        s.flush()
        return member.id


def test_management_contact_follows_the_chain(db: Any, school: School, clock: Any) -> None:
    teaching = _head(db, "A002", "陳教學", "教學組長")
    media = _head(db, "A003", "林資媒", "資媒組長")
    registrar = school.staff[REG]
    now = clock.now()

    def contact() -> int | None:
        with db.session() as s:
            found = management.management_contact(s, clock.now())
            return found.id if found else None

    assert contact() == registrar
    with db.transaction() as s:
        certification_office.set_away(
            s, registrar, "leave", date(2026, 10, 15), date(2026, 10, 20), now
        )
    assert contact() == teaching
    with db.transaction() as s:
        certification_office.set_away(s, teaching, "left", date(2026, 10, 1), None, now)
    assert contact() == media
    with db.transaction() as s:
        certification_office.set_away(
            s, media, "leave", date(2026, 10, 15), date(2026, 10, 16), now
        )
    # Everyone away: the last link still hears (as certification does).
    assert contact() == media
    clock.advance(days=2)  # 10/17: the IT media head is back
    assert contact() == media
    clock.advance(days=4)  # 10/21: the registrar head is back
    assert contact() == registrar


def test_no_heads_means_no_contact(db: Any, clock: Any) -> None:
    with db.session() as s:
        assert management.management_contact(s, clock.now()) is None
        assert management.management_chain(s, clock.now()) == []


def test_management_notice_goes_to_the_proxy_and_says_so(
    app: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    from jobs.lifecycle import notify_management

    teaching = _head(db, "A002", "陳教學", "教學組長")
    with db.transaction() as s:
        s.add(
            LineAccount(
                line_user_id="Uteach",
                staff_id=teaching,
                created_at=clock.now(),
                bound_at=clock.now(),
            )
        )
        certification_office.set_away(
            s, school.staff[REG], "leave", date(2026, 10, 15), date(2026, 10, 30), clock.now()
        )
    with db.transaction() as s:
        assert notify_management(s, svc_of(app).rules, clock.now(), "測試通知") == "Uteach"
    deliver(app)
    said = texts_for(line, "Uteach")
    assert "註冊組長 張雅婷 目前不在，由您代理" in said and "測試通知" in said
    assert line.messages_for(REGISTRAR) == []
    out = ok(app, "management", "show")
    assert "1. 註冊組長 張雅婷（請假至 2026/10/30）" in out
    assert "2. 教學組長 陳教學（在）" in out and "今天的管理通知由 陳教學 接收" in out


def test_term_key_follows_the_academic_calendar() -> None:
    assert life.term_key(date(2026, 8, 1)) == (115, 1)
    assert life.term_key(date(2027, 1, 31)) == (115, 1)
    assert life.term_key(date(2027, 2, 1)) == (115, 2)
    assert life.term_key(date(2027, 7, 31)) == (115, 2)


def test_the_school_seed_has_no_changes(db: Any, school: School) -> None:
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(StudentChange)) == 0
        assert s.scalar(select(func.count()).select_from(Term)) == 2
