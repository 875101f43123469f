"""The `portfolio` console script: every app command, plus the local LINE platform tools."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup


def _app() -> object:
    from flask.cli import NoAppException

    from bot import ConfigError, create_app
    from runtime.config import environment

    try:
        return create_app(environment())
    except ConfigError as exc:
        # Click prints this as one line; `portfolio --help` still lists the local tools.
        raise NoAppException(f"configuration error: {exc}") from None


class PortfolioGroup(FlaskGroup):
    """Database trouble becomes one line saying what to do, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from sqlalchemy.exc import OperationalError, ProgrammingError

        from catalogue import text

        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as exc:
            detail = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
            if "no such table" in detail or "does not exist" in detail:
                raise click.ClickException(text("cli.db_not_migrated")) from None
            raise click.ClickException(
                text("cli.db_unreachable", error=type(exc.orig or exc).__name__)
            ) from None


@click.group(cls=PortfolioGroup, create_app=_app, add_version_option=False, load_dotenv=False)
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
    # A development tool: loaded when this command runs, so the product never imports dev/.
    from dev.emulator.server import serve

    serve(host=host, port=port, channel_access_token=token, quota=quota)


@main.command("secret-key", with_appcontext=False)
def secret_key_command() -> None:
    """Print a new random SECRET_KEY (set it once; changing it later needs re-encryption)."""
    from runtime.keys import new_key

    click.echo(new_key())


def _register_tools() -> None:
    # Development commands from dev/: only the command line loads them, never the web app or a
    # worker, which import nothing of dev/.
    from dev.chat import chat_command
    from dev.demo import demo_command

    main.add_command(chat_command)
    main.add_command(demo_command)


_register_tools()
