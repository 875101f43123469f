"""Tests for the school's rules file: loading, validation with line numbers, and date queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from catalogue import TEXTS, text
from rules.model import NotConfigured, RulesError
from rules.reader import DEFAULT_RULES_PATH, check_rules_file, load_rules, parse_rules
from rules.school_rules import SchoolRules
from rules.table import render_rules_table
from storage.clock import TAIPEI, at_taipei

MINIMAL = """\
[school]
name = "測試高中"
code = "123456"

[[years]]
academic_year = 115

[[years.semesters]]
number = 1
start = 2026-08-31
closing_ceremony = 2027-01-20
end = 2027-01-31

[[years.semesters]]
number = 2
start = 2027-02-11
closing_ceremony = 2027-06-30
end = 2027-07-31
"""


def line_of(toml: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th line containing needle, so tests do not hard-code numbers."""
    hits = [i for i, line in enumerate(toml.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def error_for(toml: str) -> RulesError:
    with pytest.raises(RulesError) as caught:
        parse_rules(toml, "school.toml")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"school.toml:{caught.value.line}: ")
    return caught.value


def taipei(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=TAIPEI)


@pytest.fixture(scope="module")
def rules() -> SchoolRules:
    return load_rules(None)


# --- the packaged default ------------------------------------------------------------------------


def test_default_file_loads(rules: SchoolRules) -> None:
    assert rules.school.name == "國立臺南第二高級中學"
    assert len(rules.school.code) == 6
    assert set(rules.years) >= {115}
    assert rules.source == str(DEFAULT_RULES_PATH)
    assert rules.escalation_days == 3
    assert rules.cert_cadence.at == time(16, 0) and not rules.cert_cadence.immediate
    assert rules.approval_notice == "next_reply"
    assert rules.retention_years == 2
    assert rules.required_events == {
        "student_training": 10,
        "teacher_workshop": 11,
        "parent_briefing": 12,
    }


def test_default_limits(rules: SchoolRules) -> None:
    assert rules.limit_for("course_outcome", "uploads_per_semester") == 6
    assert rules.limit_for("course_outcome", "picks_per_year") == 6
    assert rules.limit_for("course_outcome", "uploads_per_year") is None
    assert rules.limit_for("performance", "uploads_per_semester") == 10
    assert rules.limit_for("performance", "uploads_per_year") == 20
    assert rules.limit_for("performance", "picks_per_year") == 10
    assert rules.counts_toward_limit("pending") and rules.counts_toward_limit("certified")
    assert not rules.counts_toward_limit("draft") and not rules.counts_toward_limit("rejected")
    with pytest.raises(ValueError):
        rules.limit_for("essay", "uploads_per_semester")


def test_every_row_falls_inside_115_at_the_send_hour(rules: SchoolRules) -> None:
    first, last = date(2026, 8, 1), date(2027, 7, 31)
    assert rules.schedule
    for row in rules.schedule:
        due = rules.occurrences(row, 115)
        if row.when.anchor.split(".")[0] in ("submission", "receipt_confirmation"):
            # These wait for staff: the agency's letter, the imported 收訖明細.
            assert not due, row.id
            continue
        assert due, row.id
        for when in due:
            assert when.utcoffset() == timedelta(0), row.id
            local = when.astimezone(TAIPEI)
            assert first <= local.date() <= last, (row.id, local)
            assert (local.hour, local.minute) == (9, 0), row.id
            assert not rules.is_quiet(when)


def test_rows_point_at_texts_and_buttons_that_exist(rules: SchoolRules) -> None:
    for row in rules.schedule:
        for occurrence in rules.row_occurrences(row, 115):
            values = rules.notice_values(115, occurrence.semester)
            assert "{" not in text(row.text_key, **values), row.id
        if row.flow is not None:
            label = TEXTS[f"rules.button.{row.flow}"]
            assert len(label) <= 20
    check_rules_file(DEFAULT_RULES_PATH, known_text_keys=TEXTS.keys())


def test_schedule_covers_table_two(rules: SchoolRules) -> None:
    ids = {row.id for row in rules.schedule}
    assert {
        "basic_data_check",
        "course_codes_check",
        "cadre_records",
        "grades_entry",
        "autobiography_guidance",
        "notify_upload_course_outcomes",
        "notify_upload_performances",
        "notify_certify",
        "notify_pick_course_outcomes",
        "notify_pick_performances",
        "confirm_receipt",
    } <= ids


def test_grades_go_out_in_october_and_april(rules: SchoolRules) -> None:
    due = rules.occurrences(rules.row("grades_entry"), 115)
    assert due == [at_taipei(date(2026, 10, 1), 9), at_taipei(date(2027, 4, 1), 9)]


def test_autobiography_only_reaches_grade_12_in_semester_2(rules: SchoolRules) -> None:
    row = rules.row("autobiography_guidance")
    assert row.grades == (12,)
    [occurrence] = rules.row_occurrences(row, 115)
    assert occurrence.semester == 2
    assert occurrence.due == at_taipei(date(2027, 2, 18), 9)


def test_year_116_is_present_so_august_does_not_break(rules: SchoolRules) -> None:
    semester = rules.semester_at(taipei(2027, 9, 1, 12))
    assert semester is not None and semester.label == "116-1"
    assert rules.window("upload", 116, 1).last_day == date(2028, 2, 3)


# --- windows --------------------------------------------------------------------------------------


def test_windows_default_from_the_calendar(rules: SchoolRules) -> None:
    upload = rules.window("upload", 115, 1)
    assert (upload.first_day, upload.last_day) == (date(2026, 8, 31), date(2027, 2, 3))
    assert upload.start == datetime(2026, 8, 30, 16, 0, tzinfo=UTC)
    assert upload.end == datetime(2027, 2, 3, 15, 59, 59, 999999, tzinfo=UTC)
    certification = rules.window("certification", 115, 1)
    # 2027/2/10 is a Lunar New Year holiday of the default file: the derived day moves on.
    assert certification.last_day == date(2027, 2, 11)
    # 附表二 六: 多元表現 are recorded all year, each day in exactly one semester's window.
    first = rules.window("performance_upload", 115, 1)
    second = rules.window("performance_upload", 115, 2)
    assert (first.first_day, first.last_day) == (date(2026, 8, 1), date(2027, 2, 10))
    assert (second.first_day, second.last_day) == (date(2027, 2, 11), date(2027, 7, 31))
    assert rules.window("upload", 115, 2).last_day == date(2027, 7, 14)
    picking = rules.window("picking", 115)
    assert (picking.first_day, picking.last_day) == (date(2027, 7, 22), date(2027, 7, 28))
    # No receipt confirmation nor submission date until staff act (import, the agency's letter).
    for kind in ("receipt_confirmation", "submission"):
        with pytest.raises(NotConfigured):
            rules.window(kind, 115)
    assert rules.escalation_at(115, 1) == at_taipei(date(2027, 2, 9))


def test_window_contains_whole_taipei_days(rules: SchoolRules) -> None:
    upload = rules.window("upload", 115, 1)
    assert upload.contains(taipei(2026, 8, 31, 0, 0, 0))
    assert not upload.contains(taipei(2026, 8, 30, 23, 59, 59))
    assert upload.contains(taipei(2027, 2, 3, 23, 59, 59))
    assert not upload.contains(taipei(2027, 2, 4, 0, 0, 0))


def test_window_lookups_fail_loudly(rules: SchoolRules) -> None:
    with pytest.raises(NotConfigured):
        rules.window("upload", 130, 1)
    with pytest.raises(ValueError):
        rules.window("upload", 115)
    with pytest.raises(ValueError):
        rules.window("holiday", 115, 1)


def test_explicit_windows_override_the_defaults() -> None:
    toml = MINIMAL.replace(
        "end = 2027-01-31\n",
        "end = 2027-01-31\n"
        "[years.semesters.windows]\n"
        "upload = { start = 2026-09-01, end = 2027-02-05 }\n"
        "certification = { end = 2027-02-20 }\n",
        1,
    )
    rules = parse_rules(toml, "school.toml")
    assert rules.window("upload", 115, 1).first_day == date(2026, 9, 1)
    # 多元表現 keep their all-year window unless the file sets one.
    assert rules.window("performance_upload", 115, 1).first_day == date(2026, 8, 1)
    certification = rules.window("certification", 115, 1)
    assert (certification.first_day, certification.last_day) == (
        date(2026, 9, 1),
        date(2027, 2, 20),
    )


def test_upload_window_shorter_than_the_national_rule_is_rejected() -> None:
    toml = MINIMAL.replace(
        "end = 2027-01-31\n",
        "end = 2027-01-31\n[years.semesters.windows]\nupload = { end = 2027-01-25 }\n",
        1,
    )
    err = error_for(toml)
    assert err.line == line_of(toml, "upload = {")
    assert "2027-02-03" in err.reason and "national rule" in err.reason


def test_derived_window_breaking_the_national_rule_points_at_the_default() -> None:
    toml = MINIMAL + "\n[window_defaults]\nupload_days_after_closing = 10\n"
    err = error_for(toml)
    assert err.line == line_of(toml, "upload_days_after_closing")


def test_grade_12_last_semester_may_close_early() -> None:
    toml = MINIMAL + "[years.semesters.windows]\ngrade12_upload = { end = 2027-06-10 }\n"
    rules = parse_rules(toml, "school.toml")
    assert rules.window("upload", 115, 2, grade=12).last_day == date(2027, 6, 10)
    assert rules.window("certification", 115, 2, grade=12).last_day == date(2027, 6, 17)
    assert rules.window("upload", 115, 2, grade=11).last_day == date(2027, 7, 14)
    assert rules.window("upload", 115, 1, grade=12).last_day == date(2027, 2, 3)


def test_grade_12_window_in_semester_1_is_rejected() -> None:
    toml = MINIMAL.replace(
        "end = 2027-01-31\n",
        "end = 2027-01-31\n[years.semesters.windows]\ngrade12_upload = { end = 2027-01-10 }\n",
        1,
    )
    err = error_for(toml)
    assert err.line == line_of(toml, "grade12_upload")


def test_receipt_confirmation_needs_three_days() -> None:
    toml = (
        MINIMAL + "[years.windows]\n"
        "receipt_confirmation = { start = 2027-07-29, end = 2027-07-30 }\n"
    )
    err = error_for(toml)
    assert err.line == line_of(toml, "receipt_confirmation")
    assert "3 days" in err.reason


def test_certification_must_not_end_before_uploads() -> None:
    toml = MINIMAL.replace(
        "end = 2027-01-31\n",
        "end = 2027-01-31\n[years.semesters.windows]\ncertification = { end = 2027-02-01 }\n",
        1,
    )
    err = error_for(toml)
    assert err.line == line_of(toml, "certification = {")


# --- syntax and unknown keys ----------------------------------------------------------------------


def test_toml_syntax_error_names_the_line() -> None:
    toml = MINIMAL.replace('code = "123456"', "code = 123456 oops")
    err = error_for(toml)
    assert err.line == line_of(toml, "oops")
    assert "TOML syntax" in err.reason


def test_unknown_top_level_key_is_rejected() -> None:
    toml = MINIMAL + "\nschool_name = 'x'\n"
    err = error_for(toml)
    assert err.line == line_of(toml, "school_name")
    assert "school_name" in err.reason


def test_typo_in_a_table_is_rejected_with_a_suggestion() -> None:
    toml = MINIMAL + "\n[limits.course_outcome]\nupload_per_semester = 5\n"
    err = error_for(toml)
    assert err.line == line_of(toml, "upload_per_semester")
    assert "uploads_per_semester" in err.reason


def test_typo_in_the_second_semester_of_the_second_year_names_its_line() -> None:
    second_year = """
[[years]]
academic_year = 116

[[years.semesters]]
number = 1
start = 2027-08-30
closing_ceremony = 2028-01-20
end = 2028-01-31

[[years.semesters]]
number = 2
start = 2028-02-14
closing = 2028-06-30
end = 2028-07-31
"""
    toml = MINIMAL + second_year
    err = error_for(toml)
    assert err.line == line_of(toml, "closing = 2028")
    assert "closing_ceremony" in err.reason


def test_unknown_key_in_a_schedule_row_names_its_line() -> None:
    row = (
        '\n[[schedule]]\nid = "{id}"\nwhat = "測試"\naudience = "student"\n'
        'when = "upload.end - 7d"\ntext = "rules.notice.x"\n'
    )
    toml = MINIMAL + row.format(id="a") + row.format(id="b") + "prority = 'urgent'\n"
    err = error_for(toml)
    assert err.line == line_of(toml, "prority")
    assert "priority" in err.reason


def test_multiline_values_do_not_confuse_the_line_finder() -> None:
    row = (
        '\n[[schedule]]\nid = "a"\nwhat = """多行\n[fake]\nx = 1\n"""\n'
        'audience = [\n  "student",\n  "homeroom",\n]\n'
        'when = "upload.end - 7d"\ntext = "rules.notice.x"\nfolw = "pick"\n'
    )
    toml = MINIMAL + row
    err = error_for(toml)
    assert err.line == line_of(toml, "folw")


def test_bad_schedule_values_are_rejected_with_their_line() -> None:
    base = (
        '\n[[schedule]]\nid = "a"\nwhat = "測試"\naudience = "student"\n'
        'when = "upload.end - 7d"\ntext = "rules.notice.x"\n'
    )
    cases = {
        'when = "upload.end - 7d"': 'when = "next tuesday"',
        'audience = "student"': 'audience = "principal"',
        'text = "rules.notice.x"': 'text = "Rules Notice"',
    }
    for old, new in cases.items():
        toml = MINIMAL + base.replace(old, new)
        assert error_for(toml).line == line_of(toml, new), new
    toml = MINIMAL + base + base
    assert error_for(toml).line == line_of(toml, 'id = "a"', 2)
    toml = MINIMAL + base + 'at = "23:00"\n'
    assert "quiet hours" in error_for(toml).reason


def test_wrong_types_are_rejected() -> None:
    toml = MINIMAL + "\n[limits.performance]\nuploads_per_semester = true\n"
    assert error_for(toml).line == line_of(toml, "uploads_per_semester")
    toml = MINIMAL.replace("start = 2026-08-31", "start = 2026-08-31T08:00:00")
    assert error_for(toml).line == line_of(toml, "start = 2026-08-31T")
    toml = MINIMAL.replace('code = "123456"', 'code = "12345"')
    assert error_for(toml).line == line_of(toml, "code =")


def test_calendar_errors() -> None:
    toml = MINIMAL.replace("closing_ceremony = 2027-01-20", "closing_ceremony = 2027-02-20")
    assert error_for(toml).line == line_of(toml, "closing_ceremony = 2027-02-20")
    toml = MINIMAL.replace("start = 2026-08-31", "start = 2026-07-31")
    assert "outside academic year" in error_for(toml).reason
    toml = MINIMAL.replace("number = 2", "number = 1")
    assert error_for(toml).line == line_of(toml, "number = 1", 2)


def test_missing_file_is_one_line() -> None:
    with pytest.raises(RulesError) as caught:
        load_rules(Path("/nonexistent/school.toml"))
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("/nonexistent/school.toml: ")


def test_check_rules_file_catches_missing_texts(tmp_path: Path) -> None:
    toml = (
        MINIMAL + '\n[[schedule]]\nid = "a"\nwhat = "測試"\naudience = "student"\n'
        'when = "upload.end - 7d"\ntext = "rules.notice.nowhere"\n'
    )
    path = tmp_path / "school.toml"
    path.write_text(toml, encoding="utf-8")
    check_rules_file(path)
    with pytest.raises(RulesError) as caught:
        check_rules_file(path, known_text_keys=TEXTS.keys())
    assert caught.value.line == line_of(toml, "rules.notice.nowhere")


# --- time queries ---------------------------------------------------------------------------------


def test_quiet_hours_cross_midnight(rules: SchoolRules) -> None:
    assert not rules.is_quiet(taipei(2026, 9, 1, 21, 59, 59))
    assert rules.is_quiet(taipei(2026, 9, 1, 22, 0))
    assert rules.is_quiet(taipei(2026, 9, 2, 3, 0))
    assert rules.is_quiet(taipei(2026, 9, 2, 6, 59, 59))
    assert not rules.is_quiet(taipei(2026, 9, 2, 7, 0))
    # 14:30 UTC is 22:30 in Taipei: quiet even though it is afternoon in UTC.
    assert rules.is_quiet(datetime(2026, 9, 1, 14, 30, tzinfo=UTC))


def test_next_send_time(rules: SchoolRules) -> None:
    noon = taipei(2026, 9, 1, 12, 0)
    assert rules.next_send_time(noon) == noon
    assert rules.next_send_time(taipei(2026, 9, 1, 23, 30)) == taipei(2026, 9, 2, 7, 0)
    assert rules.next_send_time(taipei(2026, 9, 2, 3, 0)) == taipei(2026, 9, 2, 7, 0)
    assert rules.next_certification_push(taipei(2026, 9, 1, 10)) == taipei(2026, 9, 1, 16)
    assert rules.next_certification_push(taipei(2026, 9, 1, 17)) == taipei(2026, 9, 2, 16)


def test_quiet_hours_within_one_day() -> None:
    toml = MINIMAL + '\n[notifications]\nquiet_hours = { start = "12:00", end = "13:00" }\n'
    rules = parse_rules(toml, "school.toml")
    assert rules.is_quiet(taipei(2026, 9, 1, 12, 30))
    assert not rules.is_quiet(taipei(2026, 9, 1, 23, 30))
    assert rules.next_send_time(taipei(2026, 9, 1, 12, 30)) == taipei(2026, 9, 1, 13, 0)


def test_send_time_inside_quiet_hours_is_rejected() -> None:
    toml = MINIMAL + '\n[notifications]\nsend_time = "06:30"\n'
    assert error_for(toml).line == line_of(toml, "send_time")


def test_semester_at_uses_taipei_days(rules: SchoolRules) -> None:
    # Taipei midnight starting 2026-08-31 is 16:00 UTC the day before.
    first = rules.semester_at(datetime(2026, 8, 30, 16, 0, tzinfo=UTC))
    assert first is not None and first.label == "115-1"
    assert rules.semester_at(datetime(2026, 8, 30, 15, 59, 59, tzinfo=UTC)) is None
    last = rules.semester_at(datetime(2027, 1, 31, 15, 59, 59, tzinfo=UTC))
    assert last is not None and last.label == "115-1"
    assert rules.semester_at(datetime(2027, 1, 31, 16, 0, tzinfo=UTC)) is None
    second = rules.semester_at(taipei(2027, 2, 11))
    assert second is not None and second.number == 2 and second.academic_year == 115


def test_current_semester_in_a_break_is_the_one_that_just_ended(rules: SchoolRules) -> None:
    # Uploads for 115-1 stay open until 2027-02-03, inside the winter break.
    during_break = taipei(2027, 2, 2, 12)
    assert rules.semester_at(during_break) is None
    current = rules.current_semester(during_break)
    assert current is not None and current.label == "115-1"
    assert rules.current_semester(taipei(2020, 1, 1)) is None


def test_naive_datetimes_are_refused(rules: SchoolRules) -> None:
    with pytest.raises(ValueError):
        rules.semester_at(datetime(2026, 9, 1))
    with pytest.raises(ValueError):
        rules.is_quiet(datetime(2026, 9, 1))


def test_due_between_finds_what_a_job_should_send(rules: SchoolRules) -> None:
    due = rules.due_between(taipei(2026, 9, 3, 0), taipei(2026, 9, 3, 23, 59))
    assert [o.row.id for o in due] == ["basic_data_check", "course_codes_check"]
    assert all(o.semester == 1 and o.academic_year == 115 for o in due)
    # The upper bound is inclusive, the lower exclusive, so consecutive runs never double-send.
    at_nine = taipei(2026, 9, 3, 9)
    assert len(rules.due_between(at_nine - timedelta(seconds=1), at_nine)) == 2
    assert rules.due_between(at_nine, at_nine + timedelta(hours=1)) == []


def test_event_deadlines_and_retention(rules: SchoolRules) -> None:
    deadline = rules.event_deadline("student_training", 115)
    assert deadline.astimezone(TAIPEI).date() == date(2026, 10, 31)
    assert deadline + timedelta(microseconds=1) == at_taipei(date(2026, 11, 1))
    assert rules.event_deadline("parent_briefing", 115) < at_taipei(date(2027, 1, 1))
    assert rules.retention_end(date(2027, 6, 10)) == date(2029, 6, 10)
    assert rules.retention_end(date(2028, 2, 29)) == date(2030, 3, 1)


# --- the operator's table -------------------------------------------------------------------------


def test_render_rules_table_shows_concrete_dates(rules: SchoolRules) -> None:
    table = render_rules_table(rules, 115)
    for expected in (
        "國立臺南第二高級中學",
        "115-1",
        "2026/8/31",  # term start and upload window start
        "2027/1/20",  # closing ceremony
        "2027/2/3",  # upload window end
        "2027/2/10",  # certification end
        "2026/10/1",  # grades
        "開學日",
        "勾選",
    ):
        assert expected in table, expected
    for row in rules.schedule:
        assert row.id in table
    schedule_part = table[table.index("【工作期程") :].splitlines()
    assert schedule_part[1].startswith("日期")
    assert schedule_part[3].startswith("2026/9/3   09:00")


def test_render_rules_table_for_an_unknown_year_fails(rules: SchoolRules) -> None:
    with pytest.raises(NotConfigured):
        render_rules_table(rules, 130)


def test_guardian_progress_is_a_switch() -> None:
    from rules.model import RulesError
    from rules.reader import load_rules, parse_rules

    default = load_rules(None)
    assert default.guardian_progress is True
    text_ = default.text.replace("guardian_progress = true", "guardian_progress = false")
    assert parse_rules(text_, "school.toml").guardian_progress is False
    bad = default.text.replace("guardian_progress = true", 'guardian_progress = "yes"')
    try:
        parse_rules(bad, "school.toml")
    except RulesError as exc:
        assert "guardian_progress must be true or false" in str(exc)
    else:
        raise AssertionError("a non-boolean switch was accepted")
