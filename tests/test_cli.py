"""The `portfolio` command line speaks one language: help without configuration, and every wrong
input to a staff command is one Traditional Chinese line on stderr with exit status 1."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from bot.cli import main

GOOD = {
    "LINE_CHANNEL_SECRET": "s" * 32,
    "LINE_CHANNEL_ACCESS_TOKEN": "token",
    "SECRET_KEY": secrets.token_urlsafe(32),
}
UNSET = {name: None for name in (*GOOD, "DATABASE_URL", "REDIS_URL", "SCHOOL_CONFIG")}
# English that would mean click or a library spoke to staff in its own words.
ENGLISH = re.compile(r"\b(Error|Usage|Invalid|Missing|No such|Try|Aborted|is not|must be)\b")


def walk(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        found.append((*path, name))
        if isinstance(command, click.Group):
            found.extend(walk(command, (*path, name)))
    return found


STAFF_COMMANDS = [c for c in walk(main) if c[0] not in ("emulator", "chat", "demo")]


def cjk(words: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", words))


def test_every_staff_command_is_listed_without_configuration(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--help"], env=UNSET)
    assert result.exit_code == 0
    assert result.stderr == ""
    for group in (
        "codes",
        "rules",
        "windows",
        "import",
        "export",
        "students",
        "certify",
        "backup",
        "receipts",
        "inbox",
        "db",
        "richmenu",
    ):
        assert re.search(rf"^\s+{group}\s+\S*[\u4e00-\u9fff]", result.output, re.M), group
    # Flask's own commands and options are not offered to staff.
    for command in ("run", "shell", "routes"):
        assert not re.search(rf"^\s+{command}\s", result.output, re.M), command
    for option in ("--app", "--debug", "-A,"):
        assert option not in result.output


@pytest.mark.parametrize("command", STAFF_COMMANDS, ids=" ".join)
def test_every_command_has_chinese_help_without_configuration(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"], env=UNSET)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert "用法" in result.output and "顯示這段說明" in result.output
    description = result.output.split("\n\n")[1]
    assert cjk(description), description
    for line in result.output.splitlines():
        if line.strip().startswith("-") and "  " in line.strip():
            assert cjk(line), f"option help in English: {line}"


def test_a_command_without_configuration_names_the_missing_setting(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["windows", "list"], env=UNSET)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "尚未設定 LINE_CHANNEL_SECRET：請在環境變數或 .env 設定（見 README「設定」表）。"
    )


def test_a_malformed_setting_is_one_line(tmp_path: Path) -> None:
    env = {**UNSET, **GOOD, "SECRET_KEY": "short"}
    result = CliRunner().invoke(main, ["windows", "list"], env=env)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("設定 SECRET_KEY 有誤")


def test_settings_are_read_from_dot_env_and_from_env_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from storage import migrate

    db_url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    migrate.upgrade(db_url)
    lines = "".join(f"{k}={v}\n" for k, v in GOOD.items())
    monkeypatch.chdir(tmp_path)
    named = tmp_path / "school.env"
    named.write_text(lines + f"DATABASE_URL={db_url}\n", encoding="utf-8")
    for name in (*GOOD, "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["--env-file", str(named), "inbox", "dead"])
    assert result.exit_code == 0, result.stderr
    assert "沒有處理失敗的事件" in result.output
    for name in (*GOOD, "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text(lines + f"DATABASE_URL={db_url}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["inbox", "dead"])
    assert result.exit_code == 0, result.stderr
    assert os.environ["DATABASE_URL"] == db_url


def test_developers_keep_flask_commands_under_dev() -> None:
    result = CliRunner().invoke(main, ["dev", "--help"], env=UNSET)
    assert result.exit_code == 0
    assert "routes" in result.output and "shell" in result.output


# --- every wrong input: one Chinese line, exit 1 ------------------------------------------------

# (arguments, a fragment of the one line); {tmp} is a folder of the test's own.
WRONG_INPUTS: list[tuple[list[str], str]] = [
    (["nosuch"], "沒有「nosuch」這個指令"),
    (["codes", "issue", "--bogus"], "沒有 --bogus 這個選項"),
    (["codes", "issue"], "缺少 --role"),
    (["codes", "issue", "--role", "teacher"], "--role 只能是"),
    (["codes", "issue", "--role", "student", "--grade", "5"], "--grade 要是 1 到 3 的整數"),
    (["codes", "issue", "--role", "student", "--class", "999"], "找不到班級 999"),
    (["codes", "issue", "--role", "staff", "--class", "101"], "只能用在學生與家長"),
    (["codes", "issue", "--role", "student", "--days"], "--days 後面要接一個值"),
    (["import", "students", "{tmp}/missing.csv"], "missing.csv"),
    (["import", "students"], "缺少 FILE"),
    (["import", "cadres", "{tmp}/missing.csv"], "missing.csv"),
    (["rules", "show", "--year", "999"], "999 學年度"),
    (["rules", "show", "--year", "abc"], "--year 要是整數"),
    (["rules", "check", "{tmp}/missing.toml"], "missing.toml"),
    (["windows", "list", "--year", "999"], "999"),
    (["windows", "set", "upload", "--year", "115", "--semester", "1"], "--start 或 --end"),
    (
        ["windows", "set", "upload", "--year", "115", "--semester", "1", "--start", "2026/13/01"],
        "沒有「2026/13/01」這一天",
    ),
    (
        ["windows", "set", "upload", "--year", "115", "--semester", "1", "--start", "tomorrow"],
        "「tomorrow」不是日期",
    ),
    (["windows", "set", "holiday", "--year", "115"], "只能是"),
    (
        ["windows", "set", "picking", "--year", "115", "--semester", "1", "--end", "2027-07-01"],
        "全學年",
    ),
    (
        [
            "events",
            "create",
            "--kind",
            "parent_briefing",
            "--title",
            "說明會",
            "--date",
            "2026-02-30",
            "--time",
            "09:00",
            "--place",
            "禮堂",
        ],
        "沒有「2026-02-30」這一天",
    ),
    (
        [
            "events",
            "create",
            "--kind",
            "parent_briefing",
            "--title",
            "說明會",
            "--date",
            "2027-01-05",
            "--time",
            "9 點",
            "--place",
            "禮堂",
        ],
        "HH:MM",
    ),
    (
        [
            "events",
            "create",
            "--kind",
            "parent_briefing",
            "--title",
            "說明會",
            "--date",
            "2027-01-05",
            "--time",
            "09:00",
            "--place",
            "禮堂",
            "--classes",
            "999",
        ],
        "999",
    ),
    (["events", "counts", "999"], "沒有活動 #999"),
    (["certify", "away", "T999", "--from", "2026-12-01"], "找不到教職員編號 T999"),
    (["certify", "away", "T001", "--from", "12/01"], "「12/01」不是日期"),
    (["certify", "chain", "NOPE"], "找不到課程代碼 NOPE"),
    (["certify", "chain", "NOPE", "--term", "abc"], "115-1"),
    (["certify", "audit", "--out", "{tmp}/audit.txt"], ".csv"),
    (["certify", "cost", "--days", "x"], "--days 要是整數"),
    (["certify", "successor", "C1"], "接任"),
    (["export", "course-outcomes", "--year", "999"], "999"),
    (["export", "diverse"], "缺少 --year"),
    (["export", "consultations", "--year", "abc"], "--year 要是整數"),
    (["export", "student", "--id", "999999"], "999999"),
    (["receipts", "import", "{tmp}/missing.csv"], "missing.csv"),
    (["receipts", "report"], "缺少 --year"),
    (["consultants", "assign", "T999", "--class", "101"], "T999"),
    (["consultants", "assign", "T001", "--class", "999"], "999"),
    (["consultants", "assign", "T001"], "--class"),
    (["students", "transfer-out", "--id", "999999"], "999999"),
    (
        [
            "students",
            "transfer-in",
            "--id",
            "115999",
            "--class",
            "101",
            "--seat",
            "9",
            "--on",
            "2026-02-30",
        ],
        "沒有「2026-02-30」這一天",
    ),
    (["students", "graduate"], "--grade"),
    (["students", "graduate", "--grade", "7"], "年級"),
    (["students", "repeat", "--id", "999999", "--class", "999", "--seat", "1"], "999999"),
    (["backup", "verify", "{tmp}/nothing"], "nothing"),
    (["backup", "restore", "{tmp}/nothing"], "nothing"),
    (["backup", "create"], "BACKUP_DIR"),
    (["submission", "set", "--year", "115", "--date", "2027-02-30"], "沒有「2027-02-30」這一天"),
    (["submission", "show"], "缺少 --year"),
    (["console", "link", "--staff", "X999"], "沒有教職員 X999"),
    (["inbox", "retry"], "--all"),
    (["inbox", "retry", "x"], "整數"),
    (["richmenu", "sync", "--font", "{tmp}/missing.ttf"], "--font"),
]


@pytest.mark.parametrize(
    ("args", "fragment"), WRONG_INPUTS, ids=lambda v: " ".join(v) if isinstance(v, list) else None
)
def test_every_wrong_input_is_one_chinese_line(
    app: Any,
    school: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    fragment: str,
) -> None:
    monkeypatch.delenv("BACKUP_DIR", raising=False)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = app.test_cli_runner().invoke(args=argv)
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert result.stdout == "", result.stdout
    line = result.stderr
    assert line.endswith("\n") and line.count("\n") == 1, line
    assert cjk(line), line
    assert not ENGLISH.search(line), line
    assert "Traceback" not in line
    assert fragment in line, line


def test_the_table_covers_every_staff_command() -> None:
    """A new command must join the table above with at least one wrong input."""
    tried = {tuple(args[:2]) for args, _ in WRONG_INPUTS} | {
        tuple(args[:1]) for args, _ in WRONG_INPUTS
    }
    leaves = [
        c for c in STAFF_COMMANDS if not isinstance(main.commands[c[0]], click.Group) or len(c) == 2
    ]
    # Commands that take no input cannot be given a wrong one (beyond an unknown option).
    no_input = {
        ("db", "upgrade"),
        ("inbox", "dead"),
        ("outbox", "dead"),
        ("sweep",),
        ("certify", "absences"),
        ("certify", "conveners"),
        ("certify", "status"),
        ("consultants", "list"),
        ("consultants", "unassign"),
        ("events", "list"),
        ("richmenu", "relink"),
        ("retention", "run"),
        ("students", "renumber"),
        ("students", "reenrol"),
        ("serve",),
        ("secret-key",),
        ("management", "show"),
        ("certify", "back"),
        ("certify", "convener"),
        ("import", "staff"),
        ("import", "classes"),
        ("import", "courses"),
        ("import", "enrolments"),
        ("import", "guardians"),
        ("import", "attendance"),
    }
    missing = [c for c in leaves if c not in tried and c not in no_input]
    assert missing == []
