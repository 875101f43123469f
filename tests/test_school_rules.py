"""Issue 16: the product checked article by article against the school's rules."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from school import certification as cert
from school import certification_office
from storage.models.lifecycle import LifecycleRun
from storage.models.line import LineAccount
from tests.school import REGISTRAR, School
from tests.test_lifecycle import _head, deliver, svc_of, texts_for

# --- 附表二 二: backups belong to the library's IT media section ---------------------------------


def _bound_head(db: Any, clock: Any, no: str, name: str, role: str, user: str) -> int:
    staff_id = _head(db, no, name, role)
    with db.transaction() as s:
        s.add(
            LineAccount(
                line_user_id=user, staff_id=staff_id, created_at=clock.now(), bound_at=clock.now()
            )
        )
    return staff_id


def _fail_backup(app: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from jobs import lifecycle as job

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    svc = svc_of(app)
    svc.settings = svc.settings.with_changes(backup_dir=blocker)
    assert job.run(svc)["backup_enqueued"] == 1
    deliver(app)


def test_a_failed_backup_goes_to_the_it_media_section(
    app: Any, db: Any, school: School, clock: Any, tmp_path: Path, monkeypatch: Any, line: Any
) -> None:
    _bound_head(db, clock, "A003", "林資媒", "資媒組長", "Umedia")
    _fail_backup(app, tmp_path, monkeypatch)
    with db.session() as s:
        assert s.scalars(select(LifecycleRun.error).where(LifecycleRun.kind == "backup")).one()
    assert "自動備份沒有完成" in texts_for(line, "Umedia")
    assert line.messages_for(REGISTRAR) == []


def test_when_it_media_is_away_the_management_chain_stands_in(
    app: Any, db: Any, school: School, clock: Any, tmp_path: Path, monkeypatch: Any, line: Any
) -> None:
    media = _bound_head(db, clock, "A003", "林資媒", "資媒組長", "Umedia")
    with db.transaction() as s:
        certification_office.set_away(
            s, media, "leave", date(2026, 10, 1), date(2026, 10, 30), clock.now()
        )
    _fail_backup(app, tmp_path, monkeypatch)
    said = texts_for(line, REGISTRAR)
    assert "資媒組長 林資媒 目前不在，由您代理" in said and "自動備份沒有完成" in said
    assert line.messages_for("Umedia") == []


# --- one count everywhere ------------------------------------------------------------------------


def _reupload(db: Any, rules: Any, school: School, clock: Any, user: str, rejected_id: int) -> int:
    from school import outcomes, terms
    from storage.models.portfolio import CourseOutcome, FileRecord

    with db.transaction() as s:
        old = s.get(CourseOutcome, rejected_id)
        assert old is not None
        draft = outcomes.create_outcome_draft(
            s,
            school.students[user],
            old.course,
            terms.TermRef(old.academic_year, old.semester),
            clock.now(),
            replaces=old,
        )
        record = FileRecord(
            sha256="c" * 64,
            size=1000,
            mime="application/pdf",
            kind="document",
            display_name="新版.pdf",
            student_id=school.students[user],
            created_at=clock.now(),
        )
        s.add(record)
        s.flush()
        draft.document_file_id = record.id
        draft.summary = "重新上傳"
        s.flush()
        assert outcomes.submit_outcome(s, rules, draft.id, clock.now()).ok
        return int(draft.id)


def test_upload_reject_reupload_approve_counts_the_same_in_every_view(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    from rules.model import COURSE_OUTCOME
    from rules.reader import load_rules
    from school import item_counts, pick_candidates, terms
    from tests.school import PARENT, TEACHER_WANG
    from tests.test_certify import submit_item

    rules = load_rules()
    student = "Us10101"
    submit_item(db, school, clock, student, "101-國語文", mime="application/pdf")
    first = submit_item(db, school, clock, student, "101-數學", mime="application/pdf")
    with db.transaction() as s:
        assert cert.decide(
            s, first, school.staff["T003"], cert.REJECT, clock.now(), rules, reason="請補上作品"
        ).ok
    again = _reupload(db, rules, school, clock, student, first)
    with db.transaction() as s:
        assert cert.decide(s, again, school.staff["T003"], cert.APPROVE, clock.now(), rules).ok

    with db.session() as s:
        sid = school.students[student]
        room = item_counts.room(s, rules, COURSE_OUTCOME, sid, terms.TermRef(115, 1))
        assert room.semester.used == 2
        count = item_counts.tally(s, rules, COURSE_OUTCOME, sid, 115, 1)
        assert (count.counted, count.pending, count.certified, count.rejected) == (2, 1, 1, 0)
        cards = pick_candidates.candidates(s, sid, 115)
        assert [c.status for c in cards if c.kind == COURSE_OUTCOME] == ["certified", "pending"]
    assert "本學期 2/6 件" in chat.texts(chat.say(student, "我的歷程"))
    parent = chat.texts(chat.say(PARENT, "孩子進度"))
    assert "已上傳 2/6 件（已認證 1、待認證 1）；退回待重新上傳 0 件" in parent
    homeroom = chat.texts(chat.say(TEACHER_WANG, "班級進度"))
    assert "01 李小明　2／1／1／0" in homeroom


# --- a person's menu is the union of their roles ------------------------------------------


def test_staff_who_teach_keep_their_teacher_buttons(
    chat: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    from bot.richmenu import MENU_ITEMS
    from storage.identity import identify
    from storage.models.school import SchoolClass, StaffRole
    from tests.school import REGISTRAR

    with db.transaction() as s:
        s.add(StaffRole(staff_id=school.staff["A001"], role="任課教師"))
    with db.session() as s:
        account = s.scalars(select(LineAccount).where(LineAccount.line_user_id == REGISTRAR)).one()
        ident = identify(s, account)
        assert ident is not None and ident.menu == "staff_teacher"
    with db.transaction() as s:
        cls = s.get(SchoolClass, school.classes["102"])
        assert cls is not None
        cls.homeroom_teacher_id = school.staff["A001"]
    with db.session() as s:
        account = s.scalars(select(LineAccount).where(LineAccount.line_user_id == REGISTRAR)).one()
        ident = identify(s, account)
        assert ident is not None and ident.menu == "staff_homeroom"
    labels = [item.keyword for item in MENU_ITEMS[ident.menu]]
    assert {"待辦", "公告", "待認證", "班級進度"} <= set(labels)
    said = chat.texts(chat.say(REGISTRAR, "說明"))
    assert "待認證" in said and "班級進度" in said and "待辦" in said
    assert "102 班" in chat.texts(chat.say(REGISTRAR, "班級進度"))


# --- semester edges: an item belongs to the window it is uploaded in --------------------------


def _quick(messages: list[dict[str, Any]]) -> dict[str, str]:
    found = {}
    for message in messages:
        for item in (message.get("quickReply") or {}).get("items", []):
            action = item["action"]
            found[action["label"]] = action.get("data") or action.get("text", "")
    return found


def test_overlapping_windows_are_named_by_the_checks(app: Any, tmp_path: Path) -> None:
    from rules.reader import DEFAULT_RULES_PATH
    from tests.test_lifecycle import ok

    said = ok(
        app,
        "windows",
        "set",
        "upload",
        "--year",
        "115",
        "--semester",
        "1",
        "--end",
        "2027-02-20",
        "--dry-run",
    )
    assert "115-1 與 115-2 的課程學習成果上傳期間在 2027/2/11 至 2027/2/20 重疊" in said
    assert "重疊" not in ok(app, "rules", "check", str(DEFAULT_RULES_PATH))
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8").replace(
        "# [years.semesters.windows]\n# upload = { start = 2026-08-31, end = 2027-02-05 }",
        "[years.semesters.windows]\nupload = { start = 2026-08-31, end = 2027-02-20 }",
    )
    overlapping = tmp_path / "school.toml"
    overlapping.write_text(text, encoding="utf-8")
    said = ok(app, "rules", "check", str(overlapping))
    assert "115-1 與 115-2" in said and "2027/2/11 至 2027/2/20 重疊" in said


def test_in_overlapping_windows_the_student_chooses_the_semester(
    app: Any, chat: Any, db: Any, school: School, clock: Any
) -> None:
    from datetime import datetime

    from storage.clock import TAIPEI
    from storage.models.portfolio import CourseOutcome
    from tests.test_lifecycle import ok

    ok(app, "windows", "set", "upload", "--year", "115", "--semester", "1", "--end", "2027-02-20")
    clock.set(datetime(2027, 2, 15, 10, 0, tzinfo=TAIPEI))  # semester 2 began on 2/11
    asked = chat.say("Us10101", "上傳")
    assert "115-1、115-2 兩個學期的上傳期間都還開著" in chat.texts(asked)
    buttons = _quick(asked)
    assert list(buttons) == ["115-1 學期", "115-2 學期"]
    courses = chat.tap("Us10101", buttons["115-1 學期"])
    chat.tap("Us10101", _quick(courses)["數學"])
    with db.session() as s:
        draft = s.scalars(select(CourseOutcome)).one()
        assert (draft.academic_year, draft.semester) == (115, 1)
        assert draft.course_id == school.courses["101-數學"]


# --- 附表二 六: 多元表現 all year -------------------------------------------------------------


def test_performances_are_recorded_all_year(chat: Any, school: School, clock: Any) -> None:
    from datetime import datetime

    from storage.clock import TAIPEI

    for day in (
        datetime(2027, 2, 8, 10, 0, tzinfo=TAIPEI),  # after 115-1's uploads closed
        datetime(2027, 7, 20, 10, 0, tzinfo=TAIPEI),  # summer, semester 2's days
        datetime(2027, 8, 5, 10, 0, tzinfo=TAIPEI),
    ):  # before 116-1's first day of term
        clock.set(day)
        said = chat.texts(chat.say("Us10101", "多元表現"))
        assert "截止" not in said and "還沒開始" not in said, (day, said)
        assert "要登錄哪一種多元表現" in said, said
        chat.say("Us10101", "取消")


# --- 視國教署來文: the submission date staff set; the receipt confirmation from its import -------


def _taipei(*parts: int) -> Any:
    from datetime import datetime

    from storage.clock import TAIPEI

    return datetime(*parts, tzinfo=TAIPEI)


def test_the_submission_date_is_what_staff_set(
    app: Any, db: Any, line: Any, school: School, clock: Any
) -> None:
    from tests.test_lifecycle import cli, ok
    from tests.test_reminders import ACTIVITIES, TEACHING, add_offices, tick

    add_offices(db, school)
    clock.set(_taipei(2027, 7, 29, 9, 0))  # the day after picking: no longer a submission day
    tick(app)
    assert line.messages_for(TEACHING) == [] and line.messages_for(ACTIVITIES) == []
    assert "待設定" in ok(app, "rules", "show", "--year", "115")

    early = cli(app, "submission", "set", "--year", "115", "--date", "2027-07-20")
    assert early.exit_code == 1 and "勾選截止（2027/07/28）之後" in early.output
    said = ok(app, "submission", "set", "--year", "115", "--date", "民國 116/08/20")
    assert "115 學年度全校提交中央資料庫日期：未設定 → 2027/08/20" in said
    assert "全校提交中央資料庫日期：2027/08/20" in ok(app, "submission", "show", "--year", "115")
    clock.set(_taipei(2027, 8, 13, 9, 0))  # a week ahead of the agency's date
    tick(app)
    assert "請於 2027/8/20 提交至中央資料庫" in texts_for(line, TEACHING)
    assert "請於 2027/8/20 提交至中央資料庫" in texts_for(line, ACTIVITIES)


def test_receipt_confirmation_opens_at_the_import_for_at_least_three_days(
    app: Any, db: Any, line: Any, school: School, clock: Any, tmp_path: Path
) -> None:
    from datetime import timedelta

    import pytest

    from rules.model import NotConfigured
    from school import windows
    from storage.clock import at_taipei
    from storage.models.picking import ReceiptList
    from tests.test_lifecycle import ok
    from tests.test_picking import add_outcome
    from tests.test_receipts import HEADER, write_csv
    from tests.test_reminders import tick

    rules = svc_of(app).rules
    with db.session() as s, pytest.raises(NotConfigured):
        windows.effective_rules(s, rules).window("receipt_confirmation", 115)
    math = add_outcome(db, school, "Us10101", "101-數學", picked=True)
    clock.set(_taipei(2027, 9, 1, 15, 0))  # a Wednesday: three whole days end on Saturday
    source = write_csv(tmp_path / "r.csv", [HEADER, f"115001,課程學習成果,C{math}"])
    ok(app, "receipts", "import", str(source))
    with db.session() as s:
        listed = s.scalars(select(ReceiptList)).one()
        # Moved on from Saturday to the end of Monday.
        assert listed.respond_until == at_taipei(date(2027, 9, 7)) - timedelta(microseconds=1)
        window = windows.effective_rules(s, rules).window("receipt_confirmation", 115)
        assert (window.first_day, window.last_day) == (date(2027, 9, 1), date(2027, 9, 6))
    clock.set(_taipei(2027, 9, 5, 9, 0))  # the day before it closes: a reminder to who is left
    tick(app)
    assert "收訖明細請在 2027/9/6 前逐筆確認" in texts_for(line, "Us10101")


# --- grade 12: picking, submission and receipts before the portfolio is sealed ---------------


def test_grade12_picks_before_graduation_and_is_sealed_only_after_the_receipts(
    app: Any, db: Any, line: Any, school: School, clock: Any, tmp_path: Path
) -> None:
    from school import picking
    from storage.models.portfolio import CERTIFIED, CourseOutcome
    from tests.test_lifecycle import ok
    from tests.test_picking import add_outcome
    from tests.test_receipts import HEADER, write_csv
    from tests.test_reminders import SENIOR, add_offices
    from tests.test_retention import GRADUATION, at, sealed_at, tick

    add_offices(db, school)
    senior = school.students[SENIOR]
    with db.transaction() as s:
        s.add(
            CourseOutcome(
                student_id=senior,
                course_id=school.courses["101-數學"],
                academic_year=115,
                semester=1,
                summary="作品",
                status=CERTIFIED,
                created_at=clock.now(),
            )
        )
    junior_item = add_outcome(db, school, "Us10101", "101-數學")
    rules = svc_of(app).rules
    clock.set(_taipei(2027, 5, 25, 10, 0))  # grade 12's own picking (5/24-5/28)
    with db.transaction() as s:
        item = s.scalars(select(CourseOutcome.id).where(CourseOutcome.student_id == senior)).one()
        assert picking.pick(s, rules, senior, "course_outcome", item, clock.now()).ok
        assert picking.confirm(s, rules, senior, 115, clock.now()).ok
        # Grades 10 and 11 pick in July.
        junior = picking.pick(
            s, rules, school.students["Us10101"], "course_outcome", junior_item, clock.now()
        )
        assert not junior.ok and junior.code == "window_before"

    # Submitted on its own: 教學組 exports grade 12 alone; the yearly export leaves it out.
    clock.set(_taipei(2027, 5, 31, 10, 0))
    from tests.test_lifecycle import cli

    # (The seeded senior lacks an ID number and a file: the export names exactly them.)
    said = cli(
        app,
        "export",
        "course-outcomes",
        "--year",
        "115",
        "--grade12",
        "--out",
        str(tmp_path / "g12"),
    ).output
    assert "1 位學生共 3 個問題" in said and "301-01 高三生（學號 113001）" in said
    said = ok(
        app, "export", "course-outcomes", "--year", "115", "--force", "--out", str(tmp_path / "all")
    )
    assert "沒有已勾選的" in said
    ok(app, "students", "graduate", "--id", "113001", "--on", GRADUATION.isoformat())
    clock.set(at(GRADUATION))
    tick(app)
    assert sealed_at(db, senior) is None  # their picks are not submitted yet
    ok(app, "submission", "set", "--year", "115", "--grade12", "--date", "2027-06-15")
    clock.set(at(date(2027, 6, 16)))
    tick(app)
    assert sealed_at(db, senior) is None  # the 收訖明細 has not come back
    clock.set(_taipei(2027, 6, 21, 10, 0))
    source = write_csv(tmp_path / "r.csv", [HEADER, f"113001,課程學習成果,C{item}"])
    ok(app, "receipts", "import", str(source))
    deliver(app)
    assert "收訖明細" in texts_for(line, SENIOR)
    clock.set(at(date(2027, 6, 24)))
    tick(app)
    assert sealed_at(db, senior) is None  # still confirming (to the end of 6/24)
    clock.set(at(date(2027, 6, 25)))
    tick(app)
    assert sealed_at(db, senior) is not None


# --- the calendar: holidays and the next 學年度 -------------------------------------------------


def test_holidays_move_derived_days_to_the_next_working_day() -> None:
    from rules.reader import DEFAULT_RULES_PATH, load_rules, parse_rules

    rules = load_rules()
    assert date(2027, 2, 6) in rules.holidays and date(2028, 1, 26) in rules.holidays
    # 115-1 certification: upload end 2/3 + 7 = 2/10, a Lunar New Year day off -> 2/11.
    assert rules.window("certification", 115, 1).last_day == date(2027, 2, 11)
    assert rules.next_working_day(date(2027, 7, 31)) == date(2027, 8, 2)  # a Saturday
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    plain = parse_rules(re.sub(r"(?ms)^holidays = \[.*?^\]\n", "holidays = []\n", text, count=1))
    assert plain.holidays == frozenset()
    assert plain.window("certification", 115, 1).last_day == date(2027, 2, 10)


# 初一 of each year the default file lists (the Lunar New Year's Day).
LUNAR_NEW_YEAR = (
    date(2027, 2, 6),
    date(2028, 1, 26),
    date(2029, 2, 13),
    date(2030, 2, 3),
    date(2031, 1, 23),
)


def test_the_default_holidays_are_each_years_lunar_new_year() -> None:
    from rules.reader import load_rules

    holidays = load_rules().holidays
    for first in LUNAR_NEW_YEAR:
        statutory = [first + timedelta(days=n) for n in range(-1, 3)]  # 除夕 .. 初三
        assert all(day in holidays for day in statutory), first
        eve_of_eve = first - timedelta(days=2)  # 小年夜, off when it is a working day
        assert (eve_of_eve in holidays) == (eve_of_eve.weekday() < 5), first
        # Each of 除夕..初三 on a weekend is made up on the next working days after 初三.
        owed = sum(day.weekday() >= 5 for day in statutory)
        day = statutory[-1]
        while owed:
            day += timedelta(days=1)
            if day.weekday() < 5:
                assert day in holidays, (first, day)
                owed -= 1
        following = day + timedelta(days=1)
        while following.weekday() >= 5:
            following += timedelta(days=1)
        assert following not in holidays, (first, following)


def test_the_office_hears_60_days_before_the_calendar_runs_out(
    app: Any, db: Any, line: Any, school: School, clock: Any
) -> None:
    from rules.reader import DEFAULT_RULES_PATH
    from tests.test_lifecycle import ok
    from tests.test_retention import tick

    clock.set(_taipei(2028, 5, 31, 9, 30))  # the default file's calendar ends 2028/7/31
    assert "行事曆只到" not in ok(app, "rules", "check", str(DEFAULT_RULES_PATH))
    tick(app)
    deliver(app)
    assert "117 學年度" not in texts_for(line, REGISTRAR)
    clock.set(_taipei(2028, 6, 1, 9, 30))
    said = ok(app, "rules", "check", str(DEFAULT_RULES_PATH))
    assert "行事曆只到 2028/7/31" in said and "請加入 117 學年度" in said
    assert tick(app).get("rollover_warned") == 1
    deliver(app)
    assert "規則檔的行事曆只到 2028/7/31，還沒有 117 學年度" in texts_for(line, REGISTRAR)
    clock.set(_taipei(2028, 6, 2, 9, 30))
    assert "rollover_warned" not in tick(app)  # once


# --- seed 三, 附表一: the working group and each semester's events -----------------------------


def test_the_working_group_is_imported_and_hears_its_rows_and_its_meeting(
    app: Any, db: Any, line: Any, school: School, clock: Any, tmp_path: Path
) -> None:
    from storage.models.school import Staff
    from tests.test_lifecycle import ok
    from tests.test_reminders import tick

    roster = tmp_path / "staff.csv"
    roster.write_text(
        "教職員編號,姓名,角色,科別,職稱\n"
        "A010,周教務,教務主任、執行秘書,,教務主任\n"
        "T010,何老師,任課教師、工作小組,數學,專任教師\n",
        encoding="utf-8",
    )
    ok(app, "import", "staff", str(roster))
    with db.session() as s:
        secretary = s.scalars(select(Staff).where(Staff.staff_no == "A010")).one()
        member = s.scalars(select(Staff).where(Staff.staff_no == "T010")).one()
        assert {"執行秘書", "工作小組"} <= set(secretary.role_names)
        assert "工作小組" in member.role_names
        for uid, person in (("Usec", secretary.id), ("Umember", member.id)):
            s.add(
                LineAccount(
                    line_user_id=uid, staff_id=person, created_at=clock.now(), bound_at=clock.now()
                )
            )
        s.commit()
    # 115-2 begins 2027/2/11: the meeting is due within 30 days (3/13), heads-up 14 days before.
    clock.set(_taipei(2027, 2, 27, 9, 0))
    tick(app)
    said = texts_for(line, "Usec")
    assert "115-2 學期還沒有排定「學習歷程檔案工作小組會議」" in said
    ok(
        app,
        "events",
        "create",
        "--kind",
        "working_group_meeting",
        "--title",
        "第二學期會議",
        "--date",
        "2027-03-05",
        "--time",
        "15:00",
        "--place",
        "會議室",
    )
    deliver(app)
    assert "第二學期會議" in texts_for(line, "Umember")  # the group is the meeting's audience
    clock.set(_taipei(2027, 3, 14, 9, 0))
    tick(app)
    assert "至今仍未建立" not in texts_for(line, "Usec")


def test_each_semester_the_offices_hear_when_their_workshop_is_missing(
    app: Any, db: Any, line: Any, school: School, clock: Any
) -> None:
    from tests.test_reminders import COUNSELLING, TEACHING, add_offices, tick

    add_offices(db, school)
    # 115-1 begins 2026/8/31: workshops due within 90 days (11/29), heads-up on 11/15.
    clock.set(_taipei(2026, 11, 15, 9, 0))
    tick(app)
    assert "115-1 學期還沒有排定「課程諮詢與檔案建置研習」" in texts_for(line, TEACHING)
    assert "115-1 學期還沒有排定「選課輔導與檔案建置訓練」" in texts_for(line, COUNSELLING)
    clock.set(_taipei(2026, 11, 30, 9, 0))
    tick(app)
    assert "115-1 學期應於 2026/11/29 前排定的「課程諮詢與檔案建置研習」至今仍未建立" in texts_for(
        line, TEACHING
    )


# --- attendance: the school keeps it, the homeroom teacher and the export show it ----------------


def test_attendance_shows_in_the_class_view_and_the_students_export(
    app: Any, chat: Any, db: Any, school: School, clock: Any, tmp_path: Path
) -> None:
    import json
    import zipfile

    from openpyxl import load_workbook

    from storage.models.records import AttendanceRecord
    from tests.school import TEACHER_WANG
    from tests.test_lifecycle import ok

    with db.transaction() as s:
        for day, period, kind in (
            (date(2026, 9, 8), "1", "曠課"),
            (date(2026, 9, 8), "2", "曠課"),
            (date(2026, 10, 2), "5", "事假"),
        ):
            s.add(
                AttendanceRecord(
                    student_id=school.students["Us10101"],
                    academic_year=115,
                    semester=1,
                    day=day,
                    period=period,
                    leave_type=kind,
                    entered_at=clock.now(),
                )
            )
    said = chat.texts(chat.say(TEACHER_WANG, "班級進度"))
    assert "115-1 缺曠（學校保存，不上傳中央）：" in said
    assert "1 李小明　3 節（事假 1、曠課 2）" in said
    out = tmp_path / "out"
    ok(app, "export", "student", "--id", "115001", "--out", str(out))
    with zipfile.ZipFile(next(out.glob("*.zip"))) as zf:
        doc = json.loads(zf.read("portfolio.json"))
        book = load_workbook(__import__("io").BytesIO(zf.read("portfolio.xlsx")))
    assert doc["attendance"] == [
        {"academic_year": 115, "semester": 1, "leave_type": "事假", "periods": 1},
        {"academic_year": 115, "semester": 1, "leave_type": "曠課", "periods": 2},
    ]
    assert "缺曠紀錄" in book.sheetnames


# --- 附表二 五 督導: conveners and course teachers ----------------------------------------------


def test_conveners_see_their_subject_and_teachers_are_reminded_of_their_students(
    app: Any, chat: Any, db: Any, line: Any, school: School, clock: Any
) -> None:
    from tests.school import TEACHER_CHEN, TEACHER_LIN
    from tests.test_certify import submit_item
    from tests.test_reminders import tick

    submit_item(db, school, clock, "Us10101", "101-數學")
    submit_item(db, school, clock, "Us10201", "102-數學")
    submit_item(db, school, clock, "Us10201", "102-英語文")
    said = chat.texts(chat.say(TEACHER_CHEN, "科別進度"))  # 陳建宏 convenes 數學
    assert "101 數學（陳建宏）：1/6 人，待認證 1、已認證 0、退回 0" in said
    assert "102 數學（陳建宏）：1/3 人，待認證 1" in said and "英語文" not in said
    assert "沒有召集的科目" in chat.texts(chat.say(TEACHER_LIN, "科別進度"))
    # 115-1 uploads close 2/3: ten days before, the convener and the teachers hear.
    chat.new_messages(TEACHER_CHEN)
    chat.new_messages(TEACHER_LIN)
    clock.set(_taipei(2027, 1, 24, 9, 0))
    tick(app)
    to_chen = texts_for(line, TEACHER_CHEN)
    assert "請督導本科各班上傳與認證進度" in to_chen and "本科 2 個班：尚有 7 人次未上傳" in to_chen
    assert "您任教的 2 個班，尚有 8 位學生未上傳" in texts_for(line, TEACHER_LIN)


# --- 附表二 四(二): a group consultation with each advised class at least once a year ----------


def test_classes_without_a_group_consultation_are_shown_and_reminded(
    app: Any, chat: Any, db: Any, line: Any, school: School, clock: Any
) -> None:
    from storage.models.records import ConsultantAssignment
    from tests.school import CONSULTANT
    from tests.test_lifecycle import _consultation
    from tests.test_reminders import COUNSELLING, add_offices, tick

    add_offices(db, school)
    with db.transaction() as s:
        s.add(ConsultantAssignment(staff_id=school.staff["T004"], grade=1, created_at=clock.now()))
    _consultation(db, school, clock, ["Us10101", "Us10102"])  # a group with 101 students
    mine = chat.texts(chat.say(CONSULTANT, "諮詢紀錄"))
    assert "115 學年度尚未團體諮詢的班級：102" in mine
    office = chat.texts(chat.say(COUNSELLING, "團體諮詢"))
    assert "102（課程諮詢教師 黃淑芬）" in office and "101（" not in office
    # A month before 115-2's closing ceremony (6/30): the consultant and 輔導室 hear.
    clock.set(_taipei(2027, 5, 31, 9, 0))
    tick(app)
    assert "尚未團體諮詢的班級（1 班）：102" in texts_for(line, CONSULTANT)
    assert "尚未團體諮詢的班級（1 班）：102（黃淑芬）" in texts_for(line, COUNSELLING)
