"""`portfolio rules|windows|events`: the operator's view of the schedule, window changes, events."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from rules.reader import DEFAULT_RULES_PATH
from storage.clock import FrozenClock
from storage.models.schedule import Announcement, SchoolEvent, WindowChange
from tests.school import PARENT, STUDENTS_101, STUDENTS_102, School
from tests.test_reminders import taipei, tick


def invoke(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def run_jobs(app: Any) -> None:
    app.extensions["portfolio"].queue.run_all()


def count(db: Any, model: Any) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    "command",
    [
        ["rules"],
        ["rules", "show"],
        ["rules", "check"],
        ["windows"],
        ["windows", "set"],
        ["windows", "list"],
        ["events"],
        ["events", "create"],
        ["events", "list"],
        ["events", "counts"],
    ],
)
def test_every_command_has_help(app: Any, command: list[str]) -> None:
    result = invoke(app, *command, "--help")
    assert result.exit_code == 0, result.output
    assert "用法" in result.output


# --- rules ---------------------------------------------------------------------------------------


def test_rules_show_prints_this_years_concrete_dates(app: Any, db: Any) -> None:
    result = invoke(app, "rules", "show")  # the clock is in 115
    assert result.exit_code == 0, result.output
    assert "115 學年度" in result.output and "2027/2/3" in result.output
    assert "notify_certify" in result.output
    assert "115 學年度" in invoke(app, "rules", "show", "--year", "115").output


def test_rules_show_for_a_year_not_in_the_file(app: Any, db: Any) -> None:
    result = invoke(app, "rules", "show", "--year", "130")
    assert result.exit_code != 0
    assert "沒有 130 學年度" in result.output and "115" in result.output


def test_rules_check_accepts_the_default(app: Any) -> None:
    result = invoke(app, "rules", "check", str(DEFAULT_RULES_PATH))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK：國立臺南第二高級中學")


def test_rules_check_names_the_line_and_reason(app: Any, tmp_path: Path) -> None:
    text = DEFAULT_RULES_PATH.read_text(encoding="utf-8")
    bad = tmp_path / "school.toml"
    bad.write_text(text.replace('flow = "certify"', 'flow = "certfy"', 1), encoding="utf-8")
    result = invoke(app, "rules", "check", str(bad))
    assert result.exit_code == 1
    line = text[: text.index('flow = "certify"')].count("\n") + 1
    assert f"school.toml:{line}: " in result.output and "certfy" in result.output
    bad.write_text(text.replace("monthly_quota = 3000", "monthly_quota = lots"), encoding="utf-8")
    result = invoke(app, "rules", "check", str(bad))
    assert result.exit_code == 1 and "TOML syntax" in result.output
    assert invoke(app, "rules", "check", str(tmp_path / "missing.toml")).exit_code != 0


# --- windows -------------------------------------------------------------------------------------


def test_windows_set_records_announces_once_and_takes_effect(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    args = ["windows", "set", "upload", "--year", "115", "--semester", "1", "--end", "2027-02-10"]
    dry = invoke(app, *args, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "2027/2/3 → 2026/8/31–2027/2/10" in dry.output
    assert "會公告給 9 人" in dry.output
    assert count(db, WindowChange) == 0 and count(db, Announcement) == 0

    result = invoke(app, *args)
    assert result.exit_code == 0, result.output
    assert "已記錄並公告給 9 人" in result.output
    run_jobs(app)
    for uid in [*STUDENTS_101, *STUDENTS_102]:
        [notice] = line.messages_for(uid)
        assert "課程學習成果上傳期間調整為 2026/8/31 至 2027/2/10" in notice["altText"]
        assert notice["contents"]["footer"]["contents"][0]["action"]["data"] == "menu:upload"
    assert line.messages_for(PARENT) == [] and line.messages_for("Utwang") == []

    # Once: the tick does not announce it again, and setting the same dates changes nothing.
    tick(app)
    again = invoke(app, *args)
    assert again.exit_code == 0 and "沒有變更" in again.output
    assert all(len(line.messages_for(uid)) == 1 for uid in STUDENTS_101)
    assert count(db, WindowChange) == 1

    # In effect: the table, the window list and the reminders use the new date.
    assert "2027/2/10" in invoke(app, "rules", "show").output.split("【期間】")[1].splitlines()[3]
    assert "（已調整）" in invoke(app, "windows", "list").output
    clock.set(taipei(2027, 2, 7, 9, 0))  # the last call now falls 3 days before 2/10
    tick(app)
    last_call = line.messages_for("Us10102")[-1]["altText"]
    assert "2027/2/10 截止" in last_call and "截止 2/10" in last_call


def test_windows_set_refuses_what_the_rules_forbid(app: Any, db: Any) -> None:
    result = invoke(
        app, "windows", "set", "upload", "--year", "115", "--semester", "1", "--end", "2027-01-25"
    )
    assert result.exit_code != 0
    assert "不能這樣設定" in result.output and "national rule" in result.output
    assert count(db, WindowChange) == 0
    for args, message in (
        (["upload", "--year", "115", "--end", "2027-02-10"], "--semester"),
        (["picking", "--year", "115", "--semester", "1", "--end", "2027-07-30"], "全學年"),
        (["upload", "--year", "115", "--semester", "1"], "--start 或 --end"),
        (["upload", "--year", "130", "--semester", "1", "--end", "2042-02-10"], "的這個期間"),
        (["grade12_upload", "--year", "115", "--semester", "1", "--end", "2027-01-10"], "高三"),
    ):
        result = invoke(app, "windows", "set", *args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)


def test_a_shortened_window_is_urgent_and_waits_out_the_quiet_hours(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    clock.set(taipei(2027, 3, 1, 23, 0))
    result = invoke(
        app,
        "windows",
        "set",
        "grade12_upload",
        "--year",
        "115",
        "--semester",
        "2",
        "--end",
        "2027-05-07",
    )  # shorter than the default 5/14
    assert result.exit_code == 0, result.output
    assert "勿擾時段" in result.output
    run_jobs(app)
    assert line.pushes_counted() == 0
    with db.session() as session:
        announcement = session.scalars(select(Announcement)).one()
    assert announcement.priority == "urgent" and announcement.audience["grades"] == [12]
    clock.set(taipei(2027, 3, 2, 7, 0))
    tick(app)
    assert line.pushes_counted() == 0  # nobody in grade 12 in this small school


def test_picking_window_change_goes_to_students(
    app: Any, db: Any, line: Any, school: School, clock: FrozenClock
) -> None:
    result = invoke(
        app,
        "windows",
        "set",
        "picking",
        "--year",
        "115",
        "--start",
        "2027-07-20",
        "--end",
        "2027-07-28",
    )
    assert result.exit_code == 0, result.output
    run_jobs(app)
    assert "勾選期間調整為 2027/7/20 至 2027/7/28" in line.messages_for("Us10101")[0]["altText"]
    with db.session() as session:
        change = session.scalars(select(WindowChange)).one()
    assert (change.previous_first_day, change.first_day) == (date(2027, 7, 22), date(2027, 7, 20))


# --- events --------------------------------------------------------------------------------------


def test_events_create_list_counts(
    app: Any, db: Any, line: Any, chat: Any, school: School, clock: FrozenClock
) -> None:
    args = [
        "events",
        "create",
        "--kind",
        "parent_briefing",
        "--title",
        "高一親師說明會",
        "--date",
        "2026-11-07",
        "--time",
        "09:30",
        "--place",
        "大禮堂",
        "--grades",
        "1",
    ]
    dry = invoke(app, *args, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "通知對象：家長；年級 高一，共 1 人" in dry.output and count(db, SchoolEvent) == 0

    result = invoke(app, *args)
    assert result.exit_code == 0, result.output
    assert "已建立活動 #1，現在通知 1 人" in result.output
    run_jobs(app)
    assert "親師說明會" in line.messages_for(PARENT)[0]["altText"]
    chat.seen[PARENT] = 1
    chat.tap(PARENT, "event:rsvp:1:yes")

    listed = invoke(app, "events", "list")
    assert listed.exit_code == 0
    assert "#1" in listed.output and "參加 1、不克參加 0、未回覆 0（共 1 人）" in listed.output
    assert "學生學習歷程訓練" in listed.output  # not planned yet this year
    counts = invoke(app, "events", "counts", "1")
    assert counts.exit_code == 0 and "參加：李大華" in counts.output
    missing = invoke(app, "events", "counts", "9")
    assert missing.exit_code != 0 and "沒有活動 #9" in missing.output


def test_events_create_checks_its_input(app: Any, db: Any, school: School) -> None:
    base = [
        "events",
        "create",
        "--kind",
        "student_training",
        "--title",
        "系統操作",
        "--date",
        "2026-10-20",
        "--time",
        "13:10",
        "--place",
        "電腦教室",
    ]
    for change, message in (
        (["--time", "1:10pm"], "HH:MM"),
        (["--date", "2026-10-01"], "已經過了"),
        (["--classes", "999"], "找不到班級 999"),
        (["--grades", "4"], "年級"),
        (["--title", "x" * 61], "60"),
    ):
        args = list(base)
        for i in range(0, len(change), 2):
            if change[i] in args:
                args[args.index(change[i]) + 1] = change[i + 1]
            else:
                args += change[i : i + 2]
        result = invoke(app, *args)
        assert result.exit_code != 0 and message in result.output, (change, result.output)
    assert count(db, SchoolEvent) == 0
    assert invoke(app, "events", "create", "--kind", "party").exit_code != 0


def test_a_window_set_later_is_checked_and_derives_like_the_file() -> None:
    from rules.model import RulesError, WindowSetting
    from rules.reader import load_rules

    rules = load_rules(None)
    later = rules.with_windows(
        [WindowSetting("upload", 115, 1, date(2026, 8, 31), date(2027, 2, 10))]
    )
    assert later.window("upload", 115, 1).last_day == date(2027, 2, 10)
    # Certification follows uploads by a week unless the file fixes it.
    assert later.window("certification", 115, 1).last_day == date(2027, 2, 17)
    assert rules.window("upload", 115, 1).last_day == date(2027, 2, 3)  # the base is untouched
    with pytest.raises(RulesError, match="national rule"):
        rules.with_windows([WindowSetting("upload", 115, 1, date(2026, 8, 31), date(2027, 1, 25))])
    with pytest.raises(RulesError, match="academic year 130"):
        rules.with_windows(
            [WindowSetting("picking", 130, None, date(2042, 7, 1), date(2042, 7, 8))]
        )
