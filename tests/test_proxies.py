"""The proxy chain (rule 七): leave, successors, conveners, designees, escalation, the audit log."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from school import certification as cert
from school import certification_office, escalation, proxy_chain
from storage.clock import TAIPEI
from storage.models.certification import CertifierNote, TeacherAbsence
from storage.models.portfolio import CERTIFIED, AuditEntry
from storage.models.school import Course
from tests.school import TEACHER_LIN, TEACHER_WANG, School
from tests.test_certify import bubble_of, data_of, outcome, submit_item, texts, tick

WANG, LIN, CHEN, REG, CONS = "T001", "T002", "T003", "A001", "T004"


def cli(app: Any, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["certify", *args])
    assert result.exit_code == 0, result.output
    return result


def certifier(db: Any, item: int) -> tuple[int | None, str | None]:
    row = outcome(db, item)
    return row.certifier_id, row.certifier_capacity


# --- resolution ---------------------------------------------------------------------------------


def test_the_course_teacher_certifies_when_present(db: Any, school: School, clock: Any) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-國語文")
    assert certifier(db, item) == (school.staff[WANG], proxy_chain.TEACHER)


def test_leave_passes_items_to_the_successor(app: Any, db: Any, school: School, clock: Any) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-國語文")
    other = submit_item(db, school, clock, "Us10201", "102-國語文")
    out = cli(app, "successor", "1151CHI101", LIN).output
    assert "接任教師為 林志明" in out and "沒有變動" in out
    out = cli(
        app,
        "away",
        WANG,
        "--kind",
        "leave",
        "--from",
        "2026-10-15",
        "--to",
        "2026-10-30",
        "--note",
        "產假",
    ).output
    assert "1 件待認證項目改由他人認證" in out and "王美玲 → 林志明（接任教師）" in out
    assert certifier(db, item) == (school.staff[LIN], proxy_chain.SUCCESSOR)
    # 102's course has no successor and 國文 no convener: it stays where it is.
    assert certifier(db, other) == (school.staff[WANG], proxy_chain.TEACHER)
    with db.session() as s:
        moved = s.scalars(
            select(AuditEntry).where(AuditEntry.item_id == item, AuditEntry.action == "reassign")
        ).one()
    assert moved.capacity == proxy_chain.SUCCESSOR and "leave 2026-10-15" in (moved.detail or "")


def test_dry_run_changes_nothing(app: Any, db: Any, school: School, clock: Any) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-數學")
    out = cli(app, "convener", "數學", LIN, "--dry-run").output
    assert "試算" in out
    out = cli(app, "away", CHEN, "--kind", "left", "--from", "2026-10-15", "--dry-run").output
    assert "改由他人認證" not in out or "試算" in out
    assert certifier(db, item) == (school.staff[CHEN], proxy_chain.TEACHER)
    with db.session() as s:
        assert s.scalars(select(TeacherAbsence)).all() == []
        assert certification_office.conveners(s) == []


def test_without_a_successor_the_roster_convener_steps_in(
    app: Any, db: Any, school: School, clock: Any
) -> None:
    """陳建宏 teaches 數學 and is its 科召集人: once he left, nobody else is in 數學's chain."""
    item = submit_item(db, school, clock, "Us10101", "101-數學")
    cli(app, "convener", "數學", CONS, "--designee", LIN)
    assert certifier(db, item) == (school.staff[CHEN], proxy_chain.TEACHER)
    cli(app, "away", CHEN, "--kind", "left", "--from", "2026-10-15")
    assert certifier(db, item) == (school.staff[LIN], proxy_chain.DESIGNEE)
    # The designee away too: the convener themself.
    cli(app, "away", LIN, "--from", "2026-10-15", "--to", "2026-10-20")
    assert certifier(db, item) == (school.staff[CONS], proxy_chain.CONVENER)


def test_roster_convener_by_subject_when_staff_named_none(
    app: Any, db: Any, school: School, clock: Any
) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-數學")
    with db.transaction() as s:
        course = s.get(Course, school.courses["101-數學"])
        assert course is not None
        course.teacher_id = school.staff[WANG]  # taught by 王美玲 this term
    cli(app, "away", WANG, "--from", "2026-10-15")
    # The roster says 陳建宏 is the 數學 科召集人.
    assert certifier(db, item) == (school.staff[CHEN], proxy_chain.CONVENER)


def test_a_leave_that_starts_later_moves_items_on_its_first_day_and_back_after(
    chat: Any, app: Any, db: Any, school: School, clock: Any
) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-國語文")
    cli(app, "successor", "1151CHI101", LIN)
    cli(app, "away", WANG, "--from", "2026-10-20", "--to", "2026-10-22")
    assert certifier(db, item)[0] == school.staff[WANG]
    clock.set(datetime(2026, 10, 20, 8, 0, tzinfo=TAIPEI))
    assert tick(chat)["reassigned"] == 1
    assert certifier(db, item) == (school.staff[LIN], proxy_chain.SUCCESSOR)
    assert tick(chat)["reassigned"] == 0
    clock.set(datetime(2026, 10, 23, 8, 0, tzinfo=TAIPEI))
    assert tick(chat)["reassigned"] == 1
    assert certifier(db, item) == (school.staff[WANG], proxy_chain.TEACHER)


def test_back_ends_a_leave_today(app: Any, db: Any, school: School, clock: Any) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-國語文")
    cli(app, "successor", "1151CHI101", LIN)
    cli(app, "away", WANG, "--from", "2026-10-01", "--to", "2026-12-31")
    assert certifier(db, item)[0] == school.staff[LIN]
    out = cli(app, "back", WANG).output
    assert "結束 1 筆" in out
    assert certifier(db, item) == (school.staff[WANG], proxy_chain.TEACHER)
    with db.session() as s:
        absence = s.scalars(select(TeacherAbsence)).one()
    assert absence.ends_on == date(2026, 10, 14)
    assert "目前沒有" in cli(app, "absences").output
    assert "王美玲" in cli(app, "absences", "--all").output


def test_the_successor_decides_as_successor_and_the_log_says_so(
    chat: Any, app: Any, db: Any, school: School, clock: Any
) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-國語文")
    cli(app, "successor", "1151CHI101", LIN)
    cli(app, "away", WANG, "--kind", "left", "--from", "2026-10-15")
    chat.tap(TEACHER_LIN, data_of(chat.say(TEACHER_LIN, "待認證"), "通過"))
    row = outcome(db, item)
    assert (row.status, row.decided_by_id, row.decided_capacity) == (
        CERTIFIED,
        school.staff[LIN],
        proxy_chain.SUCCESSOR,
    )
    # 王美玲 has nothing left to certify.
    assert "目前沒有待認證" in texts(chat.say(TEACHER_WANG, "待認證"))


# --- escalation ---------------------------------------------------------------------------------

ESCALATION = datetime(2027, 2, 9, 0, 0, tzinfo=TAIPEI)  # 3 days before 2027/2/11 ends


def test_late_items_are_offered_to_the_convener_and_the_first_decision_stands(
    chat: Any, app: Any, db: Any, school: School, clock: Any, line: Any
) -> None:
    late = submit_item(db, school, clock, "Us10101", "101-國語文")
    done = submit_item(db, school, clock, "Us10102", "101-國語文")
    cli(app, "convener", "國文", LIN)
    chat.tap(TEACHER_WANG, data_of(bubble_of(chat.say(TEACHER_WANG, "待認證"), "陳怡君"), "通過"))
    assert outcome(db, done).status == CERTIFIED

    clock.set(datetime(2027, 2, 8, 23, 59, tzinfo=TAIPEI))
    assert tick(chat)["escalated"] == 0

    clock.set(ESCALATION)
    counts = tick(chat)
    assert counts["escalated"] == 1 and counts["certifier_pushes"] == 0  # quiet hours
    # Late is not gone: the course teacher keeps the item; the convener is offered it.
    assert certifier(db, late) == (school.staff[WANG], proxy_chain.TEACHER)
    assert outcome(db, late).escalated_at == ESCALATION
    with db.session() as s:
        notes = s.scalars(select(CertifierNote).order_by(CertifierNote.id)).all()
        assert [(n.staff_id, n.kind, n.count) for n in notes] == [
            (school.staff[LIN], cert.OFFERED, 1)
        ]
    assert tick(chat)["escalated"] == 0  # offered once

    clock.set(datetime(2027, 2, 9, 16, 0, tzinfo=TAIPEI))
    assert tick(chat)["certifier_pushes"] == 1
    to_lin = chat.new_messages(TEACHER_LIN)
    assert "王美玲老師還有 1 件課程學習成果未認證（2027/2/11 截止）" in texts(to_lin)
    # One tap reminds the teacher ...
    chat.new_messages(TEACHER_WANG)
    assert "已提醒 王美玲老師" in texts(chat.tap(TEACHER_LIN, data_of(to_lin, "提醒王美玲")))
    from tests.test_lifecycle import deliver

    deliver(app)
    assert "科召集人 林志明 提醒：您還有 1 件課程學習成果待認證，請在 2027/2/11 前完成" in texts(
        chat.new_messages(TEACHER_WANG)
    )
    # ... one takes the items over; the teacher may still decide, and the first decision stands.
    took = texts(chat.tap(TEACHER_LIN, data_of(to_lin, "接手王美玲")))
    assert "已接手 王美玲老師的 1 件" in took
    assert certifier(db, late) == (school.staff[LIN], proxy_chain.CONVENER)
    lin_cards = chat.say(TEACHER_LIN, "待認證")
    wang_cards = chat.say(TEACHER_WANG, "待認證")
    chat.tap(TEACHER_WANG, data_of(bubble_of(wang_cards, "李小明"), "通過"))
    row = outcome(db, late)
    assert row.status == CERTIFIED and row.decided_by_id == school.staff[WANG]
    assert row.decided_capacity == proxy_chain.TEACHER
    said = texts(chat.tap(TEACHER_LIN, data_of(bubble_of(lin_cards, "李小明"), "通過")))
    assert "已由 王美玲（任課教師）" in said and "不需再處理" in said
    assert outcome(db, late).decided_by_id == school.staff[WANG]


def test_a_teacher_marked_away_hands_items_over_at_once(
    chat: Any, app: Any, db: Any, school: School, clock: Any
) -> None:
    late = submit_item(db, school, clock, "Us10101", "101-國語文")
    cli(app, "convener", "國文", LIN)
    with db.transaction() as s:
        certification_office.set_away(
            s, school.staff[WANG], "left", clock.now().date(), None, clock.now()
        )
    assert certifier(db, late) == (school.staff[LIN], proxy_chain.CONVENER)


def test_with_nobody_further_up_the_item_stays_and_is_not_retried(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-數學")  # 陳建宏: teacher and convener
    clock.set(ESCALATION)
    assert tick(chat)["escalated"] == 0
    row = outcome(db, item)
    assert row.certifier_id == school.staff[CHEN] and row.escalated_at == ESCALATION
    with db.session() as s:
        assert s.scalars(select(CertifierNote)).all() == []


def test_items_submitted_after_the_window_closed_are_not_escalated(
    chat: Any, db: Any, school: School, clock: Any
) -> None:
    item = submit_item(db, school, clock, "Us10101", "101-國語文")
    with db.transaction() as s:
        certification_office.set_convener(s, "國文", school.staff[LIN], None, clock.now())
    clock.set(datetime(2027, 2, 12, 9, 0, tzinfo=TAIPEI))
    assert tick(chat)["escalated"] == 0
    assert certifier(db, item)[0] == school.staff[WANG]


# --- staff commands ----------------------------------------------------------------------------


def test_every_command_has_help(app: Any) -> None:
    runner = app.test_cli_runner()
    for command in (
        "away",
        "back",
        "absences",
        "successor",
        "convener",
        "conveners",
        "chain",
        "status",
        "audit",
    ):
        result = runner.invoke(args=["certify", command, "--help"])
        assert result.exit_code == 0, command
        if command in ("away", "back", "successor", "convener"):
            assert "--dry-run" in result.output, command


def test_chain_conveners_and_status_show_what_is_set(
    app: Any, db: Any, school: School, clock: Any
) -> None:
    submit_item(db, school, clock, "Us10101", "101-國語文")
    cli(app, "successor", "1151CHI101", LIN)
    cli(app, "convener", "國文", CONS, "--designee", CHEN)
    cli(app, "away", WANG, "--from", "2026-10-15", "--to", "2026-10-16")
    out = cli(app, "chain", "1151CHI101").output
    assert out.splitlines() == [
        "1. 任課教師 王美玲（不在，略過）",
        "2. 接任教師 林志明",
        "3. 召集人指定教師 陳建宏",
        "4. 科召集人 黃淑芬",
    ]
    assert "國文\t黃淑芬\t指定：陳建宏" in cli(app, "conveners").output
    assert "林志明\t待認證 1 件\t今天尚未推播" in cli(app, "status").output


def test_unknown_staff_and_ambiguous_courses_are_clear_errors(app: Any, school: School) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["certify", "away", "T999", "--from", "2026-10-15"])
    assert result.exit_code != 0 and "找不到教職員編號 T999" in result.output
    result = runner.invoke(args=["certify", "successor", "NOPE", LIN])
    assert result.exit_code != 0 and "找不到課程代碼" in result.output
    result = runner.invoke(
        args=["certify", "away", WANG, "--from", "2026-10-15", "--to", "2026-10-01"]
    )
    assert result.exit_code != 0 and "結束日早於開始日" in result.output


def test_audit_log_exports_to_csv_and_xlsx(
    chat: Any, app: Any, db: Any, school: School, clock: Any, tmp_path: Path
) -> None:
    from school import outcomes

    a = submit_item(db, school, clock, "Us10101", "101-國語文")
    b = submit_item(db, school, clock, "Us10102", "101-國語文")
    c = submit_item(db, school, clock, "Us10103", "101-國語文")
    d = submit_item(db, school, clock, "Us10104", "101-國語文")
    cards = chat.say(TEACHER_WANG, "待認證")
    chat.tap(TEACHER_WANG, data_of(bubble_of(cards, "李小明"), "通過"))
    chat.tap(TEACHER_WANG, data_of(bubble_of(cards, "陳怡君"), "退回"))
    chat.say(TEACHER_WANG, "非本人作品")
    with db.transaction() as s:
        outcomes.withdraw_outcome(s, school.students["Us10103"], c, clock.now())
    cli(app, "successor", "1151CHI101", CHEN)
    cli(app, "away", WANG, "--from", "2026-10-15")

    out = tmp_path / "audit.csv"
    assert "已匯出 8 筆" in cli(app, "audit", "--out", str(out)).output
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["時間", "動作", "項目編號", "學號"]
    assert [(r[1], int(r[2])) for r in rows[1:]] == [
        ("送出", a),
        ("送出", b),
        ("送出", c),
        ("送出", d),
        ("通過", a),
        ("退回", b),
        ("撤回", c),
        ("改派", d),
    ]
    moved = rows[-1]
    assert moved[8] == "接任教師" and moved[5] == "101-04"
    decided = next(r for r in rows if r[1] == "退回")
    assert decided[7:10] == ["王美玲", "任課教師", "非本人作品"]

    book_path = tmp_path / "audit.xlsx"
    cli(app, "audit", "--out", str(book_path), "--from", "2026-10-15", "--to", "2026-10-15")
    sheet = load_workbook(book_path).active
    assert sheet.max_row == len(rows)
    assert (
        "0 筆"
        in cli(app, "audit", "--out", str(tmp_path / "none.csv"), "--from", "2026-10-16").output
    )
    # Append-only: nothing in the log was ever changed.
    with db.session() as s:
        assert s.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all() == list(
            range(1, len(rows))
        )


def test_escalation_and_re_resolution_work_on_sqlite_too(sqlite_db: Any, clock: Any) -> None:
    """The embedded default database runs the same queries (row-value IN, conditional UPDATEs)."""
    from rules.reader import load_rules
    from tests.school import seed_school

    rules = load_rules()
    school = seed_school(sqlite_db)
    item = submit_item(sqlite_db, school, clock, "Us10101", "101-國語文")
    with sqlite_db.transaction() as s:
        certification_office.set_convener(s, "國文", school.staff[LIN], None, clock.now())
        assert proxy_chain.reresolve_pending(s, clock.now(), only_unsettled=True) == []
        assert escalation.escalate_due(s, clock.now(), rules).moves == []
    with sqlite_db.transaction() as s:
        offered = escalation.escalate_due(s, ESCALATION, rules).pairs
    assert offered == {(school.staff[WANG], school.staff[LIN], 115, 1): 1}
    with sqlite_db.transaction() as s:
        assert escalation.escalate_due(s, ESCALATION, rules).pairs == {}
        assert [
            m.to_id
            for m in cert.take_over(s, school.staff[LIN], school.staff[WANG], 115, 1, ESCALATION)
        ] == [school.staff[LIN]]
        result = cert.decide(s, item, school.staff[LIN], cert.APPROVE, ESCALATION, rules)
    assert result.ok
    assert outcome(sqlite_db, item).decided_capacity == proxy_chain.CONVENER
