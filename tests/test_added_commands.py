"""Commands other packages add to `portfolio` (entry point group portfolio.commands): listed
without importing them, loaded when they run, every argument passed on."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot import added_commands
from bot.cli import main


@click.command("hello", help="the real command's own help")
@click.option("--name", required=True)
@click.argument("times", type=int)
def hello(name: str, times: int) -> None:
    click.echo(f"hello {name} " * times)


# Listed under a name the catalogue has help for; what runs is the fake.
FAKE = EntryPoint("chat", f"{__name__}:hello", added_commands.GROUP)


def test_the_checkout_declares_the_development_commands() -> None:
    found = {e.name: e for e in added_commands.checkout_entry_points()}
    assert set(found) == {"chat", "demo", "emulator"}
    for name, entry in found.items():
        command = entry.load()
        assert isinstance(command, click.Command)
        assert command.name == name
        assert entry.value.startswith("dev.")


def test_the_development_commands_are_listed_by_the_command_line() -> None:
    listed = CliRunner().invoke(main, ["--help"])
    assert listed.exit_code == 0, listed.output
    for name in ("chat", "demo", "emulator"):
        assert isinstance(main.commands[name], added_commands.AddedCommand)
        assert f"  {name} " in listed.output


def test_an_added_command_runs_with_its_arguments() -> None:
    group = click.Group("portfolio")
    added_commands.add_to(group, [FAKE])
    result = CliRunner().invoke(group, ["chat", "--name", "林", "2"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello 林 hello 林 \n"


def test_an_added_commands_help_and_errors_are_the_real_commands() -> None:
    group = click.Group("portfolio")
    added_commands.add_to(group, [FAKE])
    helped = CliRunner().invoke(group, ["chat", "--help"])
    assert helped.exit_code == 0
    assert "the real command's own help" in helped.output
    assert "--name" in helped.output
    wrong = CliRunner().invoke(group, ["chat", "2"])
    assert wrong.exit_code == 2
    assert "--name" in wrong.output


def test_installed_entry_points_come_before_the_checkouts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(added_commands, "entry_points", lambda group: [FAKE])
    assert added_commands.added_entry_points() == [FAKE]
    monkeypatch.setattr(added_commands, "entry_points", lambda group: [])
    names = {e.name for e in added_commands.added_entry_points()}
    assert names == {"chat", "demo", "emulator"}


def test_no_pyproject_adds_nothing(tmp_path: Path) -> None:
    assert added_commands.checkout_entry_points(tmp_path / "pyproject.toml") == []
