"""The console's spine: the blueprint, the one page → roles table, the guard, rendering, audit."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from openpyxl import Workbook
from sqlalchemy.orm import Session

from catalogue import text
from media import sheets
from runtime.services import Services
from school import console_access as access
from school.console_access import CONSOLE_ROLES, ConsoleUser
from school.dates import show_date, show_minguo
from storage.clock import taipei

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

COOKIE = "console_session"

# Offices as the audit log files them.
REGISTRAR = "註冊組"
TEACHING_OFFICE = "教學組"
OFFICE_STAFF = frozenset(
    {
        "註冊組",
        "註冊組長",
        "教學組",
        "教學組長",
        "訓育組",
        "社團組",
        "生輔組",
        "輔導室",
        "資媒組",
        "資媒組長",
        "工作小組",
        "校長",
        "教務主任",
    }
)


@dataclass(frozen=True)
class Page:
    """One console page: who may open it (any of roles), its menu entry and landing endpoint."""

    name: str
    endpoint: str
    title_key: str
    roles: frozenset[str]
    in_menu: bool = True


def _roles(*names: str) -> frozenset[str]:
    return frozenset(names)


# THE table: every route names one of these pages, and the guard checks the roles on the server.
PAGES: dict[str, Page] = {
    page.name: page
    for page in (
        Page("overview", "console.overview", "console.nav.overview", CONSOLE_ROLES),
        Page(
            "roster",
            "console.roster_page",
            "console.nav.roster",
            _roles("註冊組", "註冊組長", "教學組", "教學組長"),
        ),
        Page("codes", "console.codes_page", "console.nav.codes", _roles("註冊組", "註冊組長")),
        Page("people", "console.people_page", "console.nav.people", OFFICE_STAFF | {"導師"}),
        Page("audit", "console.audit", "console.nav.audit", OFFICE_STAFF),
    )
}

# Roster kinds each role may import (a crafted form for another kind gets 403).
ROSTER_KIND_ROLES: dict[str, frozenset[str]] = {
    "students": _roles("註冊組", "註冊組長"),
    "staff": _roles("註冊組", "註冊組長"),
    "classes": _roles("註冊組", "註冊組長"),
    "guardians": _roles("註冊組", "註冊組長"),
    "courses": _roles("註冊組", "註冊組長", "教學組", "教學組長"),
    "enrolments": _roles("註冊組", "註冊組長", "教學組", "教學組長"),
}


def svc() -> Services:
    """This app's services."""
    return current_app.extensions["portfolio"]  # type: ignore[no-any-return]


def now() -> datetime:
    return svc().clock.now()


def user() -> ConsoleUser:
    """The signed-in staff member of this request (only inside a guarded view)."""
    return g.console_user  # type: ignore[no-any-return]


def may_open(who: ConsoleUser | None, name: str) -> bool:
    page = PAGES.get(name)
    return who is not None and page is not None and who.has(*page.roles)


class Refused(Exception):
    """A request this person may not make: answered 403 and nothing is changed."""


F = TypeVar("F", bound=Callable[..., Any])


def page(name: str) -> Callable[[F], F]:
    """Guard a view: signed in, and holding one of the roles of PAGES[name]."""
    if name not in PAGES:
        raise KeyError(f"{name} is not in the console's PAGES table")

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            who: ConsoleUser | None = g.get("console_user")
            if who is None:
                return render("signed_out.html", status=401, reason="needed")
            if not may_open(who, name):
                raise Refused(name)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def require(allowed: bool) -> None:
    """Refuse (403) a crafted request for a class, course, kind or person out of scope."""
    if not allowed:
        raise Refused()


@contextmanager
def transaction() -> Iterator[Session]:
    with svc().db.transaction() as session:
        yield session


@contextmanager
def reading() -> Iterator[Session]:
    with svc().db.session() as session:
        yield session


def record(
    session: Session,
    office: str,
    action: str,
    detail: str = "",
    before: int | None = None,
    after: int | None = None,
) -> None:
    """Write the change this request made to the audit log, in the caller's transaction."""
    access.audit(session, user(), office, action, now(), detail, before, after)


def render(template: str, status: int = 200, **context: Any) -> Response:
    response = Response(
        render_template(f"console/{template}", **context), status=status, mimetype="text/html"
    )
    return response


def menu(who: ConsoleUser | None) -> list[tuple[str, str]]:
    return [
        (url_for(p.endpoint), text(p.title_key))
        for p in PAGES.values()
        if p.in_menu and may_open(who, p.name)
    ]


# --- dates at the edge -------------------------------------------------------------------------


def _as_date(value: date | datetime) -> date:
    return taipei(value).date() if isinstance(value, datetime) else value


def day(value: date | datetime | None) -> str:
    return show_date(_as_date(value)) if value is not None else "—"


def minguo(value: date | datetime | None) -> str:
    return show_minguo(_as_date(value)) if value is not None else "—"


def both(value: date | datetime | None) -> str:
    """2026/12/05（民國 115/12/05）: both calendars, as the school reads them."""
    return f"{day(value)}（{minguo(value)}）" if value is not None else "—"


def moment(value: datetime | None) -> str:
    return f"{day(value)} {taipei(value):%H:%M}" if value is not None else "—"


# --- spreadsheets ------------------------------------------------------------------------------


def xlsx(filename: str, headers: list[str], rows: list[list[Any]]) -> Response:
    """One sheet as a download; the name is ASCII and made by us (never personal)."""
    book = Workbook()
    sheet = book.active
    sheets.append_row(sheet, headers)
    for row in rows:
        sheets.append_row(sheet, row)  # typed text never becomes a live formula
    buffer = io.BytesIO()
    book.save(buffer)
    response = Response(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def wants_xlsx() -> bool:
    return request.args.get("format") == "xlsx"
