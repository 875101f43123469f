"""Binding by one-time code: every role, wrong/expired/used codes, lockout, new phones, privacy."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage import binding
from storage.models.binding import BindingCode
from storage.models.line import LineAccount
from storage.models.school import GuardianLink, Staff, Student
from tests.school import seed_school


def _issue(
    db: Any,
    clock: Any,
    role: str,
    student_nos: list[str] = (),
    staff_nos: list[str] = (),
    days: int = 30,
) -> list[str]:
    with db.transaction() as s:
        students = [
            s.scalars(select(Student).where(Student.student_no == n)).one() for n in student_nos
        ]
        staff = [s.scalars(select(Staff).where(Staff.staff_no == n)).one() for n in staff_nos]
        return [
            c.code
            for c in binding.issue(
                s, role, clock.now(), students=students, staff=staff, valid_days=days
            )
        ]


def test_codes_never_hold_look_alike_characters() -> None:
    for _ in range(500):
        code = binding.new_code()
        assert len(code) == 9 and code[4] == "-"
        assert not set(code.replace("-", "")) & set("0O1IL2Z5S8BUV")


def test_greeting_explains_binding(chat: Any, db: Any) -> None:
    seed_school(db, bind=False)
    assert "綁定碼" in chat.texts(chat.follow("Unew"))
    # Nothing else is reachable before binding.
    assert "綁定碼" in chat.texts(chat.say("Unew", "上傳"))
    assert "綁定碼" in chat.texts(chat.tap("Unew", "menu:upload"))


def test_student_binds_and_is_answered_by_name_and_role(
    chat: Any, db: Any, clock: Any, line: Any
) -> None:
    seed_school(db, bind=False)
    [code] = _issue(db, clock, "student", ["115001"])
    reply = chat.texts(chat.say("Ustu", code.lower().replace("-", " ")))
    assert "綁定成功" in reply and "李小明" in reply and "101 班 1 號" in reply and "學生" in reply
    with db.session() as s:
        account = s.scalars(select(LineAccount).where(LineAccount.line_user_id == "Ustu")).one()
        assert account.student_id is not None
    # The code is single-use.
    assert "已經使用過" in chat.texts(chat.say("Uother", code))


def test_staff_binds_once_for_all_their_roles(chat: Any, db: Any, clock: Any) -> None:
    seed_school(db, bind=False)
    [code] = _issue(db, clock, "staff", staff_nos=["T001"])
    reply = chat.texts(chat.say("Uteacher", code))
    assert "王美玲" in reply and "導師" in reply and "任課教師" in reply
    assert "班級進度" in chat.texts(chat.say("Uteacher", "說明"))


def test_parent_binds_two_children_with_two_codes(chat: Any, db: Any, clock: Any) -> None:
    seed_school(db, bind=False)
    first = _issue(db, clock, "guardian", ["115001"])
    second = _issue(db, clock, "guardian", ["115102"])
    assert len(first) == 1 and len(second) == 1
    assert "李小明" in chat.texts(chat.say("Umom", first[0]))
    assert "劉欣怡" in chat.texts(chat.say("Umom", second[0]))
    with db.session() as s:
        account = s.scalars(select(LineAccount).where(LineAccount.line_user_id == "Umom")).one()
        links = s.scalars(
            select(GuardianLink).where(GuardianLink.guardian_id == account.guardian_id)
        ).all()
        assert len(links) == 2
    progress = chat.texts(chat.say("Umom", "孩子進度"))
    assert "要看哪一位孩子" in progress


def test_guardian_cannot_reach_another_childs_data_by_crafted_postback(
    chat: Any, db: Any, clock: Any
) -> None:
    school = seed_school(db, bind=False)
    [code] = _issue(db, clock, "guardian", ["115001"])
    chat.say("Umom", code)
    own = school.students["Us10101"]
    other = school.students["Us10102"]
    assert "李小明" in chat.texts(chat.tap("Umom", f"child:{own}"))
    crafted = chat.texts(chat.tap("Umom", f"child:{other}"))
    assert "只能查看與您綁定的孩子" in crafted and "陳怡君" not in crafted
    assert "陳怡君" not in chat.texts(chat.tap("Umom", "child:abc"))


def test_wrong_expired_and_revoked_codes(chat: Any, db: Any, clock: Any) -> None:
    seed_school(db, bind=False)
    [old] = _issue(db, clock, "student", ["115002"], days=1)
    assert "不正確" in chat.texts(chat.say("Ux", "ACDE-FGHJ"))
    clock.advance(days=2)
    assert "已過期" in chat.texts(chat.say("Ux", old))
    [first] = _issue(db, clock, "student", ["115003"])
    [second] = _issue(db, clock, "student", ["115003"])  # reissued: the first slip stops working
    assert "不正確" in chat.texts(chat.say("Uy", first))
    assert "綁定成功" in chat.texts(chat.say("Uy", second))


def test_five_wrong_tries_in_an_hour_lock_the_account_for_an_hour(
    chat: Any, db: Any, clock: Any
) -> None:
    seed_school(db, bind=False)
    [good] = _issue(db, clock, "student", ["115004"])
    for n in range(4):
        assert f"還可再試 {4 - n} 次" in chat.texts(chat.say("Uguess", "AAAA-AAAA"))
    assert "次數太多" in chat.texts(chat.say("Uguess", "AAAA-AAAC"))
    # Even the right code is refused while locked.
    assert "次數太多" in chat.texts(chat.say("Uguess", good))
    clock.advance(minutes=61)
    assert "綁定成功" in chat.texts(chat.say("Uguess", good))


def test_rebinding_from_a_new_phone_replaces_the_old_link(
    chat: Any, db: Any, clock: Any, line: Any
) -> None:
    seed_school(db, bind=False)
    [first] = _issue(db, clock, "student", ["115005"])
    chat.say("Uoldphone", first)
    [second] = _issue(db, clock, "student", ["115005"])
    assert "綁定成功" in chat.texts(chat.say("Unewphone", second))
    told = chat.texts(chat.new_messages("Uoldphone"))
    assert "另一個 LINE 帳號重新綁定" in told
    with db.session() as s:
        old = s.scalars(select(LineAccount).where(LineAccount.line_user_id == "Uoldphone")).one()
        assert old.student_id is None
    assert "綁定碼" in chat.texts(chat.say("Uoldphone", "我的歷程"))


def test_unbind_needs_confirmation(chat: Any, db: Any, clock: Any) -> None:
    seed_school(db, bind=False)
    [code] = _issue(db, clock, "student", ["115006"])
    chat.say("Uleaving", code)
    assert "確定要解除綁定" in chat.texts(chat.say("Uleaving", "解除綁定"))
    assert "維持綁定" in chat.texts(chat.say("Uleaving", "算了"))
    chat.say("Uleaving", "解除綁定")
    assert "已解除綁定" in chat.texts(chat.say("Uleaving", "確定解除"))
    assert "綁定碼" in chat.texts(chat.say("Uleaving", "說明"))


def test_binding_links_the_role_menu(chat: Any, db: Any, clock: Any, line: Any) -> None:
    from bot import richmenu

    seed_school(db, bind=False)
    svc = chat.svc
    try:
        menus = richmenu.sync_rich_menus(svc.line.api, svc.line.blob)
    except richmenu.FontNotFound:
        import pytest

        pytest.skip("no CJK font on this machine")
    [code] = _issue(db, clock, "staff", staff_nos=["T001"])
    chat.say("Uhomeroom", code)
    assert line.linked_rich_menu("Uhomeroom") == menus["homeroom"]
    chat.say("Uhomeroom", "解除綁定")
    chat.say("Uhomeroom", "確定解除")
    assert line.linked_rich_menu("Uhomeroom") is None


def test_codes_cli_writes_csv_and_slips(app: Any, db: Any, tmp_path: Path) -> None:
    seed_school(db, bind=False)
    tmp_path = tmp_path / "codes"
    runner = app.test_cli_runner()
    dry = runner.invoke(
        args=[
            "codes",
            "issue",
            "--role",
            "student",
            "--class",
            "101",
            "--dry-run",
            "--out",
            str(tmp_path),
        ]
    )
    assert dry.exit_code == 0 and "6 people" in dry.output
    assert not tmp_path.exists()
    result = runner.invoke(
        args=["codes", "issue", "--role", "guardian", "--class", "101", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    [csv_file] = tmp_path.glob("*.csv")
    [pdf_file] = tmp_path.glob("*.pdf")
    rows = list(csv.DictReader(csv_file.open(encoding="utf-8-sig")))
    assert len(rows) == 6 and rows[0]["姓名"] == "李小明" and rows[0]["家長"] == "李大華"
    assert all(binding.normalise(r["綁定碼"]) for r in rows)
    from pypdf import PdfReader

    assert "李小明" in PdfReader(pdf_file).pages[0].extract_text()
    with db.session() as s:
        assert len(s.scalars(select(BindingCode)).all()) == 6
        # Only hashes are stored.
        assert rows[0]["綁定碼"] not in {c.code_hash for c in s.scalars(select(BindingCode))}
    unknown = runner.invoke(
        args=["codes", "issue", "--role", "student", "--class", "999", "--out", str(tmp_path)]
    )
    assert unknown.exit_code != 0 and "找不到班級 999" in unknown.output


def test_relink_moves_everyone_to_their_roles_menu(app: Any, db: Any, line: Any) -> None:
    from bot import richmenu
    from tests.school import REGISTRAR, STUDENTS_101, TEACHER_WANG

    seed_school(db)
    svc = app.extensions["portfolio"]
    try:
        menus = richmenu.sync_rich_menus(svc.line.api, svc.line.blob)
    except richmenu.FontNotFound:
        import pytest

        pytest.skip("no CJK font on this machine")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["richmenu", "relink", "--dry-run"])
    assert "would link" in dry.output and "student 9" in dry.output
    assert line.linked_rich_menu(STUDENTS_101[0]) is None
    result = runner.invoke(args=["richmenu", "relink"])
    assert result.exit_code == 0, result.output
    assert line.linked_rich_menu(STUDENTS_101[0]) == menus["student"]
    assert line.linked_rich_menu(TEACHER_WANG) == menus["homeroom"]
    assert line.linked_rich_menu(REGISTRAR) == menus["staff"]


def test_a_school_can_keep_childrens_progress_from_guardians(app: Any, chat: Any, db: Any) -> None:
    import dataclasses

    from tests.school import PARENT

    seed_school(db)
    svc = app.extensions["portfolio"]
    assert "李小明" in chat.texts(chat.say(PARENT, "孩子進度"))
    svc.rules = dataclasses.replace(svc.rules, guardian_progress=False)
    said = chat.texts(chat.say(PARENT, "孩子進度"))
    assert "沒有開放" in said and "李小明" not in said
