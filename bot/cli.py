"""The `portfolio` console script: every staff and operator command, plus the local tools.

The commands are registered here, without building the app, so every command's help shows on a
machine with no configuration; the app is built only when a command that needs it runs, and a
missing setting then ends as one line naming it. The development commands (chat, demo, emulator)
are added by dev/ itself (bot/added_commands.py), loaded only when one of them runs.
"""

from __future__ import annotations

import typing as t

import click
from flask import Flask
from flask.cli import ScriptInfo, routes_command, run_command, shell_command

from bot import ConfigError, added_commands, commands, create_app
from bot.cli_base import StaffError, StaffGroup, config_error_line
from bot.serve import serve_command
from catalogue import text
from runtime.config import environment, load_env_files
from runtime.keys import new_key


def _app() -> Flask:
    try:
        return create_app(environment())
    except ConfigError as exc:
        raise StaffError(config_error_line(str(exc))) from None


def _env_file_option(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if ctx.resilient_parsing:
        return
    load_env_files(value)


class PortfolioGroup(StaffGroup):
    """The top group: gives every command a way to build the app on first need."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        extra.setdefault(
            "obj", ScriptInfo(create_app=_app, set_debug_flag=False, load_dotenv_defaults=False)
        )
        return super().make_context(info_name, args, parent=parent, **extra)


@click.group(cls=PortfolioGroup, help=text("cli.main.help"))
@click.option(
    "-e",
    "--env-file",
    type=click.Path(exists=True, dir_okay=False),
    is_eager=True,
    expose_value=False,
    callback=_env_file_option,
    help=text("cli.main.opt.env_file"),
)
def main() -> None:
    pass


@main.command("secret-key", help=text("cli.secret_key.help"), with_appcontext=False)
def secret_key_command() -> None:
    click.echo(new_key())


# Flask's own commands stay available to developers, out of the staff's way.
dev_cli = click.Group("dev", help=text("cli.dev.help"), hidden=True)
dev_cli.add_command(run_command)
dev_cli.add_command(shell_command)
dev_cli.add_command(routes_command)

commands.add_commands(main)
added_commands.add_to(main)
main.add_command(serve_command)
main.add_command(dev_cli)
