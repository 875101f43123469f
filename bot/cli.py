"""The `portfolio` console script: every app command, plus the local LINE platform tools."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup


def _app() -> object:
    import os

    from flask.cli import NoAppException

    from bot import ConfigError, create_app

    try:
        return create_app(dict(os.environ))
    except ConfigError as exc:
        # Click prints this as one line; `portfolio --help` still lists the local tools.
        raise NoAppException(f"configuration error: {exc}") from None


@click.group(cls=FlaskGroup, create_app=_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """學習歷程檔案 LINE bot: staff and operator commands."""


@main.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8090, show_default=True, type=int)
@click.option(
    "--token",
    default="local-access-token",
    show_default=True,
    help="Channel access token the emulator accepts.",
)
@click.option(
    "--quota", default=200, show_default=True, type=int, help="Monthly push quota to simulate."
)
def emulator_command(host: str, port: int, token: str, quota: int) -> None:
    """Run the local LINE platform (Messaging API paths the product uses)."""
    from bot.emulator.server import serve

    serve(host=host, port=port, channel_access_token=token, quota=quota)


def _register_tools() -> None:
    from bot.chat import chat_command
    from bot.demo import demo_command

    main.add_command(chat_command)
    main.add_command(demo_command)


_register_tools()
