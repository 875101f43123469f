"""What every staff command shares: one-line Chinese errors, the date type, the command group.

A wrong input to any command (a missing file, a wrong year, a malformed date, an unknown class)
ends as one Traditional Chinese line on stderr and exit status 1: click's own usage errors are
translated here, and commands raise StaffError with a catalogue text.
"""

from __future__ import annotations

import gettext
import re
import typing as t
from datetime import date, datetime

import click
import click.core
import click.decorators
import click.formatting
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError, ProgrammingError

from catalogue import text
from school.dates import DateFormatError, parse_date

# click's own words in help (headings, the --help option, defaults), in the catalogue's language.
_CLICK_WORDS = {
    "Usage:": "cli.click.usage",
    "Options": "cli.click.options",
    "Commands": "cli.click.commands",
    "Positional arguments": "cli.click.arguments",
    "Show this message and exit.": "cli.click.help",
    "Aborted!": "cli.error.interrupted",
    "default: {default}": "cli.click.default",
    "env var: {var}": "cli.click.envvar",
    "required": "cli.click.required",
}


def _click_word(message: str) -> str:
    key = _CLICK_WORDS.get(message)
    if key is None:
        return gettext.gettext(message)
    # The templates keep click's own placeholders ({default}, {var}) for click to fill.
    return text(key)


for _module in (click.core, click.decorators, click.formatting):
    _module._ = _click_word  # type: ignore[attr-defined]


def config_error_line(error: str) -> str:
    """A setting problem as one line that names the setting."""
    found = re.match(r"[A-Z][A-Z0-9_]+", error)
    setting = found.group(0) if found else "?"
    if " is not set" in error:
        return text("cli.error.config_missing", setting=setting)
    return text("cli.error.config_bad", setting=setting, error=error)


def one_line_failure(lines: list[str]) -> StaffError | None:
    """A failed import whose whole report is a heading and one problem (the file is missing or
    unreadable) as one line; a report of row problems stays a list."""
    if len(lines) == 2 and not lines[0].endswith("："):
        return StaffError(lines[0] + lines[1].strip())
    return None


class StaffError(click.ClickException):
    """A wrong input or a refusal: its message, one line on stderr, and exit status 1."""

    exit_code = 1

    def show(self, file: t.IO[t.Any] | None = None) -> None:
        click.echo(self.format_message(), file=file, err=file is None)


class DateParam(click.ParamType):
    """A date as people type it (2026-12-01, 2026/12/01, 民國 115/12/01): one parser for all."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str | None:
        return "YYYY-MM-DD"

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return parse_date(str(value))
        except DateFormatError as exc:
            self.fail(text(f"cli.error.date.{exc.reason}", value=value), param, ctx)


DATE = DateParam()


def _hint(exc: click.BadParameter) -> str:
    if exc.param_hint is not None:
        hint = exc.param_hint
        return hint if isinstance(hint, str) else " / ".join(hint)
    param = exc.param
    if param is None:
        return ""
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return (param.human_readable_name or "").upper()


def _bad_parameter(exc: click.BadParameter) -> str:
    name = _hint(exc)
    param_type = exc.param.type if exc.param is not None else None
    if isinstance(exc, click.MissingParameter):
        return text("cli.error.missing", name=name)
    if isinstance(param_type, DateParam):
        return text("cli.error.param", name=name, message=exc.message)
    if isinstance(param_type, click.Choice):
        choices = "、".join(str(c) for c in param_type.choices)
        return text("cli.error.choice", name=name, choices=choices)
    if isinstance(param_type, click.IntRange):
        low = param_type.min if param_type.min is not None else "…"
        high = param_type.max if param_type.max is not None else "…"
        return text("cli.error.range", name=name, low=low, high=high)
    if param_type is click.INT:
        return text("cli.error.int", name=name)
    if isinstance(param_type, click.Path):
        quoted = re.search(r"'(.+)'", exc.message)
        return text("cli.error.path", name=name, path=quoted.group(1) if quoted else "")
    if exc.param is not None and not _has_cjk(exc.message):
        return text("cli.error.param_other", name=name)
    return text("cli.error.param", name=name, message=exc.message) if name else exc.message


def _has_cjk(words: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in words)


def translate(exc: click.ClickException) -> StaffError:
    """click's own (English) errors as one catalogue line; ours pass through."""
    if isinstance(exc, StaffError):
        return exc
    if isinstance(exc, click.exceptions.NoSuchCommand):
        return StaffError(text("cli.error.no_command", name=exc.command_name))
    if isinstance(exc, click.NoSuchOption):
        return StaffError(text("cli.error.no_option", name=exc.option_name))
    if isinstance(exc, click.BadOptionUsage):
        return StaffError(text("cli.error.option_usage", name=exc.option_name))
    if isinstance(exc, click.BadParameter):
        return StaffError(_bad_parameter(exc))
    if isinstance(exc, click.UsageError) and not _has_cjk(exc.message):
        if exc.message.startswith("Got unexpected extra argument"):
            return StaffError(text("cli.error.extra_argument"))
        return StaffError(text("cli.error.usage", detail=exc.message))
    if isinstance(exc, click.FileError):
        return StaffError(text("cli.error.file", name=exc.ui_filename))
    return StaffError(exc.format_message())


class StaffGroup(AppGroup):
    """A command group whose every failure is one Chinese line and exit status 1."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.ClickException as exc:
            raise translate(exc) from None

    def invoke(self, ctx: click.Context) -> t.Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.ClickException as exc:
            raise translate(exc) from None
        except (OperationalError, ProgrammingError) as exc:
            detail = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
            if "no such table" in detail or "does not exist" in detail:
                raise StaffError(text("cli.db_not_migrated")) from None
            raise StaffError(
                text("cli.db_unreachable", error=type(exc.orig or exc).__name__)
            ) from None
        except KeyboardInterrupt:
            raise StaffError(text("cli.error.interrupted")) from None
