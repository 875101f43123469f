"""Commands other packages add to `portfolio` (the development tools in dev/ add chat, demo and
emulator), declared as entry points in the group `portfolio.commands`.

They are listed with their catalogue help (`cli.added.<name>.help`) and their code is imported
only when one of them runs, so the product never imports the packages that add them. An
installed package's entry points come from its metadata; a checkout run from its folder, not
installed, reads them from its own pyproject.toml.
"""

from __future__ import annotations

import tomllib
import typing as t
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import click

from catalogue import text

GROUP = "portfolio.commands"
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def checkout_entry_points(pyproject: Path = PYPROJECT) -> list[EntryPoint]:
    """The group's entry points as the checkout's pyproject.toml declares them."""
    if not pyproject.is_file():
        return []
    with pyproject.open("rb") as f:
        declared = tomllib.load(f).get("project", {}).get("entry-points", {}).get(GROUP, {})
    return [EntryPoint(name, value, GROUP) for name, value in declared.items()]


def added_entry_points() -> list[EntryPoint]:
    installed = list(entry_points(group=GROUP))
    return installed or checkout_entry_points()


class AddedCommand(click.Command):
    """Stands for an added command: listed by name and help, loaded and run on invocation with
    every argument (--help included) passed on to the real command."""

    def __init__(self, entry: EntryPoint) -> None:
        super().__init__(
            entry.name,
            help=text(f"cli.added.{entry.name}.help"),
            add_help_option=False,
            context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        )
        self.entry = entry

    def load(self) -> click.Command:
        command = self.entry.load()
        if not isinstance(command, click.Command):
            raise TypeError(f"entry point {self.entry.value} is not a click command")
        return command

    def invoke(self, ctx: click.Context) -> t.Any:
        command = self.load()
        with command.make_context(self.name, list(ctx.args), parent=ctx.parent) as real:
            return command.invoke(real)


def add_to(group: click.Group, found: list[EntryPoint] | None = None) -> None:
    for entry in added_entry_points() if found is None else found:
        group.add_command(AddedCommand(entry))
