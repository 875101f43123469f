"""課程諮詢紀錄 through the webhook: recording, refusals outside advised classes, listing and
correcting, students' own view, course choices, the staff commands and the yearly export."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from PIL import Image
from sqlalchemy import func, select

from dev.emulator import events as ev
from flows.line_limits import check_messages
from rules.reader import load_rules
from school import consultants, records
from school import consultations as consultation_records
from storage.clock import at_taipei
from storage.models.portfolio import AuditEntry
from storage.models.records import (
    GROUP,
    INDIVIDUAL,
    ConsultantAssignment,
    Consultation,
    ConsultationStudent,
)
from storage.models.school import Course, Enrolment, SchoolClass, Staff, StaffRole, Term
from tests.school import CONSULTANT, PARENT, TEACHER_WANG, School
from tests.support import Chat

RULES = load_rules()


# --- helpers --------------------------------------------------------------------------------------


def advise(
    db: Any,
    school: School,
    *,
    class_codes: tuple[str, ...] = (),
    grade: int | None = None,
    staff_no: str = "T004",
) -> None:
    with db.transaction() as s:
        staff = s.scalars(select(Staff).where(Staff.staff_no == staff_no)).one()
        for code in class_codes:
            consultants.assign_consultant(
                s,
                staff,
                at_taipei(date(2026, 9, 1)),
                school_class=s.get(SchoolClass, school.classes[code]),
            )
        if grade is not None:
            consultants.assign_consultant(s, staff, at_taipei(date(2026, 9, 1)), grade=grade)


def add_class(db: Any, code: str, grade: int = 1) -> int:
    with db.transaction() as s:
        row = SchoolClass(code=code, grade=grade)
        s.add(row)
        s.flush()
        return row.id


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 210, 220)).save(buffer, "JPEG")
    return buffer.getvalue()


def send_photo(chat: Chat, user: str) -> list[dict[str, Any]]:
    message_id = ev.new_message_id()
    chat.platform.register_content(message_id, jpeg(), "image/jpeg")
    chat.post([ev.image_event(user, message_id, platform=chat.platform)])
    return chat.new_messages(user)


def said(messages: list[dict[str, Any]]) -> str:
    assert not check_messages(messages), check_messages(messages)
    assert len(messages) <= 5
    return Chat.texts(messages)


def consultations(db: Any) -> list[Consultation]:
    with db.session() as s:
        return list(s.scalars(select(Consultation).order_by(Consultation.id)))


def student_ids(db: Any, consultation_id: int) -> list[int]:
    with db.session() as s:
        return list(
            s.scalars(
                select(ConsultationStudent.student_id)
                .where(ConsultationStudent.consultation_id == consultation_id)
                .order_by(ConsultationStudent.id)
            )
        )


def make_record(
    db: Any,
    school: School,
    students: list[str],
    content: str = "選課說明",
    day: date = date(2026, 10, 1),
    staff_no: str = "T004",
) -> int:
    with db.transaction() as s:
        staff = s.scalars(select(Staff).where(Staff.staff_no == staff_no)).one()
        record = consultation_records.save_consultation(
            s,
            RULES,
            staff.id,
            consultation_records.ConsultationInput(
                kind=GROUP if len(students) > 1 else INDIVIDUAL,
                student_ids=[school.students[u] for u in students],
                starts_at=at_taipei(day, 10, 0),
                ends_at=at_taipei(day, 10, 50),
                place="輔導室",
                content=content,
            ),
            at_taipei(day, 12, 0),
        )
        return record.id


# --- recording ------------------------------------------------------------------------------------


def test_group_consultation_for_the_whole_class_with_an_attachment(
    chat: Chat, db: Any, school: School
) -> None:
    advise(db, school, class_codes=("101",))
    text = said(chat.say(CONSULTANT, "新增諮詢紀錄"))
    assert "團體諮詢" in text and "個別諮詢" in text
    # Only one advised class: the class question is skipped.
    text = said(chat.tap(CONSULTANT, "cs:kind:group"))
    assert "101 班" in text and "全班" in text
    text = said(chat.tap(CONSULTANT, "cs:whole"))
    assert "選擇日期" in text
    said(chat.tap(CONSULTANT, "cs:date", {"date": "2026-10-14"}))
    text = said(chat.tap(CONSULTANT, "cs:time", {"time": "13:10"}))
    assert "幾點結束" in text and "13:10" in text
    text = said(chat.tap(CONSULTANT, "cs:time", {"time": "14:00"}))
    assert "地點" in text
    said(chat.say(CONSULTANT, "輔導室"))
    text = said(chat.say(CONSULTANT, "說明高二選修課程與大學學群的關係，建議先探索興趣。"))
    assert "簡報" in text
    text = said(send_photo(chat, CONSULTANT))
    assert "照片 1" in text and "共 1 個" in text
    text = said(chat.tap(CONSULTANT, "cs:done"))
    assert "確認諮詢紀錄" in text and "101 班全班（6 人）" in text and "13:10–14:00" in text
    assert consultations(db) == []  # nothing is stored before 儲存
    text = said(chat.tap(CONSULTANT, "cs:save"))
    assert "已儲存諮詢紀錄" in text

    [record] = consultations(db)
    assert record.kind == GROUP and record.class_id == school.classes["101"]
    assert record.starts_at == at_taipei(date(2026, 10, 14), 13, 10)
    assert record.ends_at == at_taipei(date(2026, 10, 14), 14, 0)
    assert (record.academic_year, record.semester) == (115, 1)
    assert record.place == "輔導室" and record.content.startswith("說明高二選修課程")
    assert record.consultant_id == school.staff["T004"]
    assert sorted(student_ids(db, record.id)) == sorted(
        school.students[u] for u in school.students if u.startswith("Us101")
    )
    with db.session() as s:
        attached = s.get(Consultation, record.id)
        assert attached is not None and len(attached.attachments) == 1
        assert attached.attachments[0].file.mime == "image/jpeg"
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.item_kind == "consultation", AuditEntry.action == "consult_recorded"
                )
            )
            == 1
        )

    # The attachment opens for a student who took part and for the consultant, nobody else.
    import re

    client = chat.app.test_client()
    student_view = said(chat.say("Us10101", "諮詢紀錄"))
    [link] = re.findall(r"https://\S+/f/\S+", student_view)
    path = link.split("portfolio.example.edu.tw", 1)[1]
    assert client.get(path).status_code == 200
    own = chat.say(CONSULTANT, "我的諮詢紀錄")
    uris = [a["uri"] for a in _actions(own) if a.get("type") == "uri"]
    assert uris and client.get(uris[0].split("portfolio.example.edu.tw", 1)[1]).status_code == 200
    from flows.links import file_link
    from school import file_access as item_store

    with db.session() as s:
        file_id = s.get(Consultation, record.id).attachments[0].file_id
    outsider = file_link(
        "test-secret-key-0123456789abcdef",
        "https://x",
        file_id,
        (item_store.VIEWER_STUDENT, school.students["Us10201"]),
        chat.clock.now(),
    )
    assert client.get(outsider.split("https://x", 1)[1]).status_code == 403


def _actions(messages: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("action"), dict):
                found.append(node["action"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(messages)
    return found


def test_individual_consultation_typed_from_a_grade_assignment(
    chat: Chat, db: Any, school: School
) -> None:
    advise(db, school, grade=1)
    said(chat.say(CONSULTANT, "新增諮詢紀錄"))
    text = said(chat.say(CONSULTANT, "個別諮詢"))
    assert "101、102" in text  # a grade: every class of it
    text = said(chat.say(CONSULTANT, "102"))
    assert "吳承恩" in text and "劉欣怡" in text
    text = said(chat.say(CONSULTANT, "1 2"))
    assert "只記錄一位學生" in text
    said(chat.say(CONSULTANT, "2"))
    text = said(chat.say(CONSULTANT, "2026-11-01"))  # after today: refused
    assert "不能是還沒到的日子" in text
    said(chat.say(CONSULTANT, "115/10/13"))  # Minguo, as staff type it
    said(chat.say(CONSULTANT, "9:00"))
    text = said(chat.say(CONSULTANT, "8點30分"))
    assert "要晚於開始時間 09:00" in text
    said(chat.say(CONSULTANT, "9點50分"))
    said(chat.say(CONSULTANT, "圖書館討論室"))
    text = said(chat.say(CONSULTANT, "字" * 151))
    assert "最多 150 字" in text and "151" in text
    said(chat.say(CONSULTANT, "字" * 150))  # exactly the limit is fine
    text = said(chat.say(CONSULTANT, "完成"))
    assert "劉欣怡（1 人）" in text
    said(chat.say(CONSULTANT, "儲存"))

    [record] = consultations(db)
    assert record.kind == INDIVIDUAL and record.class_id is None
    assert record.starts_at == at_taipei(date(2026, 10, 13), 9, 0)
    assert record.ends_at == at_taipei(date(2026, 10, 13), 9, 50)
    assert student_ids(db, record.id) == [school.students["Us10202"]]
    assert len(record.content) == 150


def test_picked_students_by_seat_range_and_student_number(
    chat: Chat, db: Any, school: School
) -> None:
    advise(db, school, grade=1)
    said(chat.say(CONSULTANT, "新增諮詢紀錄"))
    said(chat.tap(CONSULTANT, "cs:kind:group"))
    said(chat.tap(CONSULTANT, f"cs:class:{school.classes['101']}"))
    text = said(chat.tap(CONSULTANT, "cs:pick"))
    assert "01 李小明" in text
    text = said(chat.say(CONSULTANT, "1、3-4 99"))
    assert "找不到：99" in text
    # Seats of the class plus a student of another advised class by student number.
    said(chat.say(CONSULTANT, "1、3-4，115101"))
    said(chat.tap(CONSULTANT, "cs:date", {"date": "2026-10-15"}))
    said(chat.tap(CONSULTANT, "cs:time", {"time": "12:10"}))
    said(chat.tap(CONSULTANT, "cs:time", {"time": "12:50"}))
    said(chat.say(CONSULTANT, "會議室"))
    said(chat.say(CONSULTANT, "午餐時間小組諮詢"))
    said(chat.tap(CONSULTANT, "cs:done"))
    said(chat.tap(CONSULTANT, "cs:save"))
    [record] = consultations(db)
    assert student_ids(db, record.id) == [
        school.students[u] for u in ("Us10101", "Us10103", "Us10104", "Us10201")
    ]


# --- refusals -------------------------------------------------------------------------------------


def test_a_class_the_consultant_does_not_advise_is_refused(
    chat: Chat, db: Any, school: School
) -> None:
    add_class(db, "103")
    advise(db, school, class_codes=("101",))
    with db.transaction() as s:
        staff = s.scalars(select(Staff).where(Staff.staff_no == "T004")).one()
        c103 = s.scalars(select(SchoolClass).where(SchoolClass.code == "103")).one()
        consultants.assign_consultant(s, staff, at_taipei(date(2026, 9, 1)), school_class=c103)
    said(chat.say(CONSULTANT, "新增諮詢紀錄"))
    text = said(chat.tap(CONSULTANT, "cs:kind:individual"))
    assert "101、103" in text and "102" not in text
    text = said(chat.say(CONSULTANT, "102"))
    assert "您沒有負責 102 班的課程諮詢" in text
    # A forged or stale button for the class is refused the same way.
    text = said(chat.tap(CONSULTANT, f"cs:class:{school.classes['102']}"))
    assert "您沒有負責 102 班的課程諮詢" in text
    said(chat.tap(CONSULTANT, f"cs:class:{school.classes['101']}"))
    # A student of the class not advised, named by student number, is refused too.
    text = said(chat.say(CONSULTANT, "115101"))
    assert "吳承恩（學號 115101）不在您負責諮詢的班級" in text
    said(chat.say(CONSULTANT, "取消"))
    assert consultations(db) == []

    # And storage refuses it whatever the chat did.
    with db.transaction() as s, pytest.raises(records.RecordError) as refused:
        consultation_records.save_consultation(
            s,
            RULES,
            school.staff["T004"],
            consultation_records.ConsultationInput(
                kind=INDIVIDUAL,
                student_ids=[school.students["Us10201"]],
                starts_at=at_taipei(date(2026, 10, 1), 10),
                ends_at=at_taipei(date(2026, 10, 1), 11),
                place="輔導室",
                content="x",
            ),
            at_taipei(date(2026, 10, 1), 12),
        )
    assert refused.value.reason == "not_advised"


def test_consultant_without_classes_and_other_teachers_are_told_kindly(
    chat: Chat, db: Any, school: School
) -> None:
    text = said(chat.say(CONSULTANT, "新增諮詢紀錄"))
    assert "還沒有負責諮詢的班級" in text
    text = said(chat.tap(CONSULTANT, "menu:consult"))
    assert "還沒有負責諮詢的班級" in text
    for words in ("新增諮詢紀錄", "我的諮詢紀錄", "學生選課"):
        assert "限課程諮詢教師使用" in said(chat.say(TEACHER_WANG, words))
    assert "限課程諮詢教師使用" in said(chat.tap(TEACHER_WANG, "menu:consult"))
    assert "不適用於目前的身分" in said(chat.say(PARENT, "諮詢紀錄"))
    # The flow's buttons do nothing without the flow.
    assert "按鈕已經失效" in said(chat.tap(TEACHER_WANG, "cs:save"))


def test_menu_tile_offers_what_a_consultant_can_do(chat: Chat, db: Any, school: School) -> None:
    advise(db, school, class_codes=("101", "102"))
    make_record(db, school, ["Us10101"])
    text = said(chat.tap(CONSULTANT, "menu:consult"))
    assert "黃淑芬老師" in text and "101、102" in text and "1 筆" in text
    assert "新增諮詢紀錄" in text and "我的諮詢紀錄" in text and "學生選課" in text
    text = said(chat.tap(CONSULTANT, "cons:new"))
    assert "團體諮詢" in text


# --- listing and correcting -----------------------------------------------------------------------


def test_list_and_correct_own_record(chat: Chat, db: Any, school: School) -> None:
    advise(db, school, grade=1)
    first = make_record(db, school, ["Us10101", "Us10102"], content="第一次")
    make_record(db, school, ["Us10103"], content="第二次", day=date(2026, 10, 2))
    text = said(chat.say(CONSULTANT, "我的諮詢紀錄"))
    assert "共 2 筆" in text and "第一次" in text and "第二次" in text and "修改" in text

    text = said(chat.tap(CONSULTANT, f"cons:edit:{first}"))
    assert "修改諮詢紀錄" in text and "李小明、陳怡君（2 人）" in text
    text = said(chat.tap(CONSULTANT, "cs:edit:place"))
    assert "目前：輔導室" in text
    text = said(chat.say(CONSULTANT, "圖書館"))
    assert "修改諮詢紀錄" in text and "圖書館" in text  # straight back to the card
    said(chat.tap(CONSULTANT, "cs:edit:when"))
    said(chat.tap(CONSULTANT, "cs:date", {"date": "2026-10-05"}))
    said(chat.tap(CONSULTANT, "cs:time", {"time": "15:00"}))
    text = said(chat.tap(CONSULTANT, "cs:time", {"time": "15:40"}))
    assert "15:00–15:40" in text
    text = said(chat.tap(CONSULTANT, "cs:save"))
    assert "已更新諮詢紀錄" in text

    records_now = consultations(db)
    assert len(records_now) == 2
    corrected = next(r for r in records_now if r.id == first)
    assert corrected.place == "圖書館" and corrected.updated_at is not None
    assert corrected.starts_at == at_taipei(date(2026, 10, 5), 15, 0)
    assert sorted(student_ids(db, first)) == sorted(
        [school.students["Us10101"], school.students["Us10102"]]
    )
    with db.session() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "consult_corrected", AuditEntry.item_id == first)
            )
            == 1
        )


def test_another_consultants_record_cannot_be_opened(chat: Chat, db: Any, school: School) -> None:
    with db.transaction() as s:
        other = Staff(staff_no="T009", name="周明德")
        other.roles = [StaffRole(role="課程諮詢教師")]
        s.add(other)
    advise(db, school, grade=1)
    advise(db, school, grade=1, staff_no="T009")
    theirs = make_record(db, school, ["Us10101"], staff_no="T009")
    text = said(chat.tap(CONSULTANT, f"cons:edit:{theirs}"))
    assert "找不到這筆諮詢紀錄" in text
    assert "還沒有任何諮詢紀錄" in said(chat.say(CONSULTANT, "我的諮詢紀錄"))


def test_cancel_while_correcting_keeps_the_record(chat: Chat, db: Any, school: School) -> None:
    advise(db, school, class_codes=("101",))
    first = make_record(db, school, ["Us10101"], content="原本的內容")
    said(chat.tap(CONSULTANT, f"cons:edit:{first}"))
    said(chat.tap(CONSULTANT, "cs:edit:content"))
    said(chat.say(CONSULTANT, "改過的內容"))
    assert "維持原樣" in said(chat.say(CONSULTANT, "取消"))
    assert consultations(db)[0].content == "原本的內容"


# --- students and course choices ------------------------------------------------------------------


def test_students_see_only_their_own_records(chat: Chat, db: Any, school: School) -> None:
    advise(db, school, grade=1)
    make_record(db, school, ["Us10101", "Us10102"], content="探索學群")
    text = said(chat.say("Us10101", "諮詢紀錄"))
    assert "共 1 筆" in text and "探索學群" in text and "黃淑芬老師" in text and "輔導室" in text
    assert "還沒有你的課程諮詢紀錄" in said(chat.say("Us10201", "諮詢紀錄"))
    assert "探索學群" in said(chat.tap("Us10102", "menu:consult"))
    # Students cannot record.
    assert "不適用於目前的身分" in said(chat.say("Us10101", "新增諮詢紀錄"))


def test_consultant_sees_course_choices_of_advised_classes(
    chat: Chat, db: Any, school: School
) -> None:
    advise(db, school, class_codes=("101", "102"))
    with db.transaction() as s:
        term = s.get(Term, school.term2)
        assert term is not None
        elective = Course(term_id=term.id, code="1152PHY", subject="探究與實作", class_id=None)
        s.add(elective)
        s.flush()
        s.add(Enrolment(student_id=school.students["Us10102"], course_id=elective.id))
    text = said(chat.say(CONSULTANT, "學生選課"))
    assert "要看哪一班" in text
    text = said(chat.tap(CONSULTANT, f"cons:courses:{school.classes['101']}"))
    assert "101 班 115 學年度修課情形（6 位學生）" in text
    assert "全班共同：國語文、數學、英語文" in text or "全班共同：國語文、英語文、數學" in text
    assert "第 1 學期" in text and "全班修課相同" in text
    assert "02 陳怡君：探究與實作" in text

    # A class not advised is refused, even by a hand-made button.
    add_class(db, "103")
    with db.session() as s:
        c103 = s.scalars(select(SchoolClass).where(SchoolClass.code == "103")).one().id
    text = said(chat.tap(CONSULTANT, f"cons:courses:{c103}"))
    assert "您沒有負責 103 班" in text


# --- staff commands -------------------------------------------------------------------------------


def cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def test_assign_command_with_dry_run(app: Any, db: Any, school: School) -> None:
    trial = cli(app, "consultants", "assign", "T004", "--class", "101", "--dry-run")
    assert trial.exit_code == 0, trial.output
    assert "試算" in trial.output
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ConsultantAssignment)) == 0

    done = cli(app, "consultants", "assign", "T004", "--class", "101")
    assert done.exit_code == 0 and "已指派 黃淑芬（T004）負責 101 班" in done.output
    again = cli(app, "consultants", "assign", "T004", "--class", "101")
    assert "已經負責" in again.output
    grade = cli(app, "consultants", "assign", "T004", "--grade", "11")  # rules grades work too
    assert grade.exit_code == 0 and "2 年級全部班級" in grade.output
    listing = cli(app, "consultants", "list")
    assert "T004" in listing.output and "101 班" in listing.output

    refused = cli(app, "consultants", "assign", "T001", "--class", "101")
    assert refused.exit_code != 0 and "不是課程諮詢教師" in refused.output
    assert cli(app, "consultants", "assign", "T004", "--class", "999").exit_code != 0
    assert cli(app, "consultants", "assign", "T004").exit_code != 0
    assert cli(app, "consultants", "assign", "T004", "--grade", "5").exit_code != 0

    with db.session() as s:
        assert [c.code for c in consultants.advised_classes(s, school.staff["T004"])] == ["101"]
    removed = cli(app, "consultants", "unassign", "T004", "--class", "101")
    assert removed.exit_code == 0 and "1 筆" in removed.output


def test_export_consultations_of_a_year(app: Any, db: Any, school: School, tmp_path: Path) -> None:
    advise(db, school, grade=1)
    make_record(db, school, ["Us10101", "Us10102"], content="學群探索")
    make_record(db, school, ["Us10201"], content="個別晤談")
    make_record(db, school, ["Us10103"], content="去年的紀錄", day=date(2026, 3, 1))
    out = tmp_path / "out" / "consultations.xlsx"
    result = cli(app, "export", "consultations", "--year", "115", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "2 筆" in result.output
    book = load_workbook(out)
    main = list(book["課程諮詢紀錄"].iter_rows(values_only=True))
    assert main[0][:4] == ("紀錄編號", "學年度", "學期", "日期")
    assert len(main) == 3
    assert {row[12] for row in main[1:]} == {"學群探索", "個別晤談"}
    first = next(row for row in main[1:] if row[12] == "學群探索")
    assert first[6] == "團體諮詢" and first[8] == 2 and first[9] == "115001、115002"
    assert first[14] == "黃淑芬" and first[4] == "10:00" and first[5] == "10:50"
    people = list(book["學生明細"].iter_rows(values_only=True))
    assert len(people) == 1 + 3
    empty = cli(
        app, "export", "consultations", "--year", "120", "--out", str(tmp_path / "none.xlsx")
    )
    assert empty.exit_code == 0 and "沒有任何課程諮詢紀錄" in empty.output


def send_file(chat: Chat, user: str, name: str, data: bytes, content_type: str) -> list[Any]:
    message_id = ev.new_message_id()
    chat.platform.register_content(message_id, data, content_type)
    chat.post([ev.file_event(user, message_id, name, len(data), platform=chat.platform)])
    return chat.new_messages(user)


def test_attachments_take_pdf_slides_and_refuse_other_files(
    chat: Chat, db: Any, school: School
) -> None:
    advise(db, school, class_codes=("101",))
    said(chat.say(CONSULTANT, "新增諮詢紀錄"))
    said(chat.tap(CONSULTANT, "cs:kind:individual"))
    said(chat.say(CONSULTANT, "1"))
    said(chat.tap(CONSULTANT, "cs:date", {"date": "2026-10-15"}))
    said(chat.tap(CONSULTANT, "cs:time", {"time": "08:00"}))
    said(chat.tap(CONSULTANT, "cs:time", {"time": "08:30"}))
    said(chat.say(CONSULTANT, "輔導室"))
    said(chat.say(CONSULTANT, "討論選課"))
    # A PowerPoint file (a zip inside) is not taken: the teacher hears to save it as PDF.
    text = said(
        send_file(
            chat,
            CONSULTANT,
            "選課說明.pptx",
            b"PK\x03\x04" + b"\0" * 200,
            "application/octet-stream",
        )
    )
    assert "另存成 PDF" in text
    # A video is refused before anything is downloaded (its content was never registered).
    chat.post([ev.video_event(CONSULTANT, ev.new_message_id(), platform=chat.platform)])
    assert "附件請傳 PDF 或照片" in said(chat.new_messages(CONSULTANT))
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    text = said(send_file(chat, CONSULTANT, "選課說明.pdf", pdf, "application/pdf"))
    assert "選課說明.pdf" in text and "共 1 個" in text
    text = said(chat.tap(CONSULTANT, "cs:clear"))
    assert "附件已清除" in text and "目前附件：無" in text
    said(send_file(chat, CONSULTANT, "選課說明.pdf", pdf, "application/pdf"))
    said(chat.say(CONSULTANT, "完成"))
    said(chat.tap(CONSULTANT, "cs:save"))
    with db.session() as s:
        [record] = s.scalars(select(Consultation)).all()
        assert [a.file.display_name for a in record.attachments] == ["選課說明.pdf"]
        assert record.attachments[0].file.mime == "application/pdf"
