"""Grade-12 documents through the webhook: drafting 自傳 and 學習計畫 in many messages with a
preview that fits LINE, homeroom teachers' and counsellors' reading and comments, and the
student hearing of comments on their next reply."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update

from flows import grade12_states
from flows.desk import build_desk
from flows.line_limits import MAX_TEXT_LENGTH, check_messages, utf16_length
from flows.long_text import split_for_line
from rules.reader import load_rules
from school import records, student_documents
from storage.clock import at_taipei
from storage.models.line import LineAccount
from storage.models.records import DocumentComment, StudentDocument
from storage.models.school import SchoolClass, Staff, StaffRole, Student
from tests.school import TEACHER_LIN, TEACHER_WANG, School
from tests.support import Chat

SENIOR = "Us10201"  # in class 102, made a grade-12 class below
SENIOR_2 = "Us10202"
JUNIOR = "Us10101"
COUNSELLOR = "Ucoun"


@pytest.fixture
def seniors(db: Any, school: School) -> School:
    """Class 102 (homeroom 林志明) becomes 高三; a counsellor of 輔導室 is bound."""
    with db.transaction() as s:
        s.execute(update(SchoolClass).where(SchoolClass.code == "102").values(grade=3))
        s.execute(update(Student).where(Student.class_id == school.classes["102"]).values(grade=3))
        counsellor = Staff(staff_no="C001", name="許心怡")
        counsellor.roles = [StaffRole(role="輔導室")]
        s.add(counsellor)
        s.flush()
        s.add(
            LineAccount(
                line_user_id=COUNSELLOR,
                staff_id=counsellor.id,
                created_at=at_taipei(date(2026, 9, 1)),
                bound_at=at_taipei(date(2026, 9, 1)),
            )
        )
    return school


def said(messages: list[dict[str, Any]]) -> str:
    assert messages, "nothing was said"
    assert not check_messages(messages), check_messages(messages)
    assert len(messages) <= 5
    return Chat.texts(messages)


def sections(db: Any, school: School, user: str) -> dict[str, str]:
    with db.session() as s:
        return {
            d.section: d.body
            for d in s.scalars(
                select(StudentDocument).where(StudentDocument.student_id == school.students[user])
            )
        }


# --- the student writes -----------------------------------------------------------------------


def test_autobiography_in_several_messages_with_a_preview(
    chat: Chat, db: Any, seniors: School
) -> None:
    text = said(chat.say(SENIOR, "自傳"))
    assert "【自傳】還沒有內容，上限 5000 字" in text
    text = said(chat.say(SENIOR, "我從小在花蓮長大，喜歡觀察海岸的生物。"))
    assert "已加入「自傳」，共 19 字" in text
    said(chat.say(SENIOR, "高一參加生物研究社，開始做潮間帶調查。"))
    text = said(chat.say(SENIOR, "完成"))
    assert "「自傳」預覽（共 39 字）" in text
    assert "我從小在花蓮長大" in text and "潮間帶調查" in text
    assert sections(db, seniors, SENIOR)["autobiography"] == (
        "我從小在花蓮長大，喜歡觀察海岸的生物。\n高一參加生物研究社，開始做潮間帶調查。"
    )
    # Saved as it came: leaving keeps everything.
    assert "已儲存你寫的內容" in said(chat.tap(SENIOR, "gd:end"))
    text = said(chat.say(SENIOR, "自傳"))
    assert "目前 39 字" in text


def test_long_autobiography_preview_is_split_to_fit_line(
    chat: Chat, db: Any, seniors: School
) -> None:
    said(chat.say(SENIOR, "自傳"))
    paragraph = "我" * 1599 + "。"
    for _ in range(3):
        said(chat.say(SENIOR, paragraph))
    # 4802 characters: more than one LINE text can carry with its heading.
    text = said(chat.say(SENIOR, "寫" * 300))
    assert "這則沒有加入" in text and "上限 5000 字" in text
    messages = chat.say(SENIOR, "完成")
    said(messages)
    bodies = [msg["text"] for msg in messages]
    assert all(utf16_length(b) <= MAX_TEXT_LENGTH for b in bodies)
    assert "共 4802 字" in bodies[0]
    assert "".join(bodies[1:]).replace("\n", "") == (paragraph * 3)
    assert "quickReply" in messages[-1]


def test_erase_asks_first(chat: Chat, db: Any, seniors: School) -> None:
    said(chat.say(SENIOR, "自傳"))
    said(chat.say(SENIOR, "第一版"))
    text = said(chat.tap(SENIOR, "gd:erase"))
    assert "確定要清除「自傳」" in text
    said(chat.tap(SENIOR, "gd:keep"))
    assert sections(db, seniors, SENIOR)["autobiography"] == "第一版"
    said(chat.tap(SENIOR, "gd:erase"))
    text = said(chat.tap(SENIOR, "gd:erase!"))
    assert "已清除" in text
    said(chat.say(SENIOR, "第二版"))
    assert sections(db, seniors, SENIOR)["autobiography"] == "第二版"


def test_study_plan_has_four_parts(chat: Chat, db: Any, seniors: School) -> None:
    text = said(chat.say(SENIOR, "學習計畫"))
    for label in ("生涯規劃", "自我期許", "專長", "興趣"):
        assert f"・{label}：尚未撰寫" in text
    text = said(chat.tap(SENIOR, "gd:sec:career_plan"))
    assert "【學習計畫－生涯規劃】" in text and "上限 1500 字" in text
    said(chat.say(SENIOR, "想讀海洋生物相關科系。"))
    said(chat.tap(SENIOR, "gd:sections"))
    said(chat.say(SENIOR, "興趣"))  # typed label works too
    said(chat.say(SENIOR, "潛水、攝影"))
    text = said(chat.tap(SENIOR, "gd:done"))
    assert "「興趣」預覽" in text and "潛水、攝影" in text
    assert sections(db, seniors, SENIOR) == {
        "career_plan": "想讀海洋生物相關科系。",
        "interests": "潛水、攝影",
    }


def test_younger_students_are_told_it_is_for_grade_12(chat: Chat, db: Any, seniors: School) -> None:
    assert "高三的功課" in said(chat.say(JUNIOR, "自傳"))
    assert sections(db, seniors, JUNIOR) == {}


# --- teachers read and comment ------------------------------------------------------------------


def test_homeroom_teacher_reads_and_comments_and_the_student_hears_once(
    chat: Chat, db: Any, seniors: School
) -> None:
    said(chat.say(SENIOR, "自傳"))
    said(chat.say(SENIOR, "我從小在花蓮長大。"))
    said(chat.say(SENIOR, "取消"))

    text = said(chat.say(TEACHER_LIN, "自傳"))
    assert "102 班自傳與學習計畫進度" in text
    assert "01 吳承恩：自傳 9 字｜學習計畫 0/4 部分｜意見 0 則" in text
    text = said(chat.say(TEACHER_LIN, "1"))
    assert "吳承恩（102-01）的自傳，共 9 字" in text and "我從小在花蓮長大。" in text
    text = said(chat.tap(TEACHER_LIN, "gr:doc:study_plan"))
    assert "還沒有寫學習計畫" in text
    said(chat.tap(TEACHER_LIN, "gr:doc:autobiography"))
    text = said(chat.tap(TEACHER_LIN, "gr:comment"))
    assert "給 吳承恩 的自傳意見" in text
    text = said(chat.say(TEACHER_LIN, "可以多寫一點高二參加的科展經驗。"))
    assert "已留言給 吳承恩" in text and "02 劉欣怡" in text
    with db.session() as s:
        [comment] = s.scalars(select(DocumentComment)).all()
        assert comment.author_id == seniors.staff["T002"] and comment.told_at is None

    # The student's next reply carries the comment, free; only once.
    text = said(chat.say(SENIOR, "說明"))
    assert "林志明老師對自傳的意見" in text and "科展經驗" in text
    assert "科展經驗" not in said(chat.say(SENIOR, "說明"))
    # It stays readable with the documents.
    said(chat.say(SENIOR, "學習計畫"))
    text = said(chat.tap(SENIOR, "gd:comments"))
    assert "科展經驗" in text


def test_counsellor_reviews_any_grade_12_class(chat: Chat, db: Any, seniors: School) -> None:
    said(chat.say(SENIOR_2, "學習計畫"))
    said(chat.tap(SENIOR_2, "gd:sec:strengths"))
    said(chat.say(SENIOR_2, "擅長程式設計"))
    text = said(chat.say(COUNSELLOR, "學習計畫"))
    assert "02 劉欣怡：自傳 0 字｜學習計畫 1/4 部分" in text
    said(chat.say(COUNSELLOR, "115102"))  # a student number works as well as a seat
    text = said(chat.tap(COUNSELLOR, "gr:doc:study_plan"))
    assert "【專長】" in text and "擅長程式設計" in text
    said(chat.tap(COUNSELLOR, "gr:comment"))
    said(chat.say(COUNSELLOR, "很好，可以補上作品連結。"))
    with db.session() as s:
        [comment] = s.scalars(select(DocumentComment)).all()
        assert comment.document == "study_plan"


def test_others_may_not_read_grade_12_documents(chat: Chat, db: Any, seniors: School) -> None:
    # 王美玲 is a homeroom teacher, but of a grade-1 class.
    assert "目前沒有您可以檢視的高三班級" in said(chat.say(TEACHER_WANG, "自傳"))
    assert "不適用於目前的身分" in said(chat.say("Utchen", "自傳"))
    assert "不適用於目前的身分" in said(chat.say("Upar", "自傳"))
    with db.transaction() as s:
        wang = s.get(Staff, seniors.staff["T001"])
        lin = s.get(Staff, seniors.staff["T002"])
        senior = s.get(Student, seniors.students[SENIOR])
        assert wang and lin and senior
        assert not student_documents.may_review(s, wang, senior)
        assert student_documents.may_review(s, lin, senior)
        with pytest.raises(records.RecordError):
            student_documents.add_comment(
                s, wang, senior, student_documents.AUTOBIOGRAPHY, "x", at_taipei(date(2026, 10, 15))
            )
        # A sealed (graduated) student's documents are no longer the homeroom teacher's.
        senior.sealed_at = at_taipei(date(2026, 10, 1))
        s.flush()
        assert not student_documents.may_review(s, lin, senior)


# --- wiring ---------------------------------------------------------------------------------------


def test_schedule_reminder_names_the_command() -> None:
    rules = load_rules()
    [row] = [r for r in rules.schedule if r.id == "autobiography_guidance"]
    assert row.flow == grade12_states.FLOW == "write_autobiography"
    assert row.grades == (12,) and row.semesters == (2,)
    desk = build_desk()
    assert desk.keywords["自傳"] == desk.keywords["學習計畫"] == "write_autobiography"
    assert "write_autobiography" in desk.commands


def test_menu_action_starts_the_right_side(chat: Chat, db: Any, seniors: School) -> None:
    text = said(chat.tap(SENIOR, "menu:write_autobiography"))
    assert "要寫哪一部分" in text
    text = said(chat.tap(TEACHER_LIN, "menu:write_autobiography"))
    assert "102 班自傳與學習計畫進度" in text


def test_split_for_line() -> None:
    assert split_for_line("短", max_parts=3) == ["短"]
    long = ("一" * 3000 + "\n") * 4
    parts = split_for_line(long, max_parts=3)
    assert len(parts) == 3 and all(utf16_length(p) <= MAX_TEXT_LENGTH for p in parts)
    assert parts[0] == "一" * 3000  # broken at the paragraph end
    trimmed = split_for_line(long, max_parts=1)
    assert len(trimmed) == 1 and "全文共 12004 字" in trimmed[0]
    assert utf16_length(trimmed[0]) <= MAX_TEXT_LENGTH
    # Emoji count two units each: 3000 of them need two messages, never a split pair.
    emoji = "😀" * 3000
    parts = split_for_line(emoji, max_parts=3)
    assert len(parts) == 2 and "".join(parts) == emoji
    assert all(utf16_length(p) <= MAX_TEXT_LENGTH for p in parts)
