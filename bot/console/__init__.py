"""The web console: office staff run the school's process in a browser (sign-in from LINE).

How to add a page (part 2 and later):

1. Route: a module in bot/console/ with views on ``core.bp``; import it in ``_VIEWS`` below.
   A view parses the form, calls ONE operation in ``school/`` (the CLI calls the same one),
   and renders the result. No rules of its own.
2. Role entry: add ``Page("<name>", "console.<endpoint>", "console.nav.<name>", roles)`` to
   ``core.PAGES`` (the one page → roles table) and decorate every view of the page with
   ``@page("<name>")``. The guard refuses (403) anyone without one of the roles.
   A request for a class, course, kind or person out of the user's scope: ``require(False)``.
3. Template: ``templates/console/<name>.html`` extending ``base.html`` (nav and sign-out come
   with it). Forms: ``{{ csrf_field() }}`` in every POST form (CSRF is checked for every POST
   of the blueprint). Texts from the catalogue: ``{{ t("console.<page>.<key>") }}`` with the
   keys in ``catalogue/zh_TW/console*.toml``. Dates: ``|day`` (2026/12/05), ``|both``
   (with 民國), ``|moment``; date inputs go through ``school.dates.parse_date``.
4. Audit: every change calls ``record(session, office, action, detail, before, after)`` in
   the same transaction as the change (who and when are filled in).
5. Lists download as xlsx: ``if wants_xlsx(): return xlsx(name, headers, rows)``.
6. Tests: add the endpoint to the route × role matrix in tests/test_console_access.py.
"""

from __future__ import annotations

import importlib

from flask import Flask, Response, g, request
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import Markup

from bot.console import core
from bot.console.core import COOKIE, Refused, bp, render
from catalogue import text
from school import console_access as access

csrf = CSRFProtect()

_VIEWS = (
    "bot.console.signin",
    "bot.console.overview",
    "bot.console.audit_view",
    "bot.console.codes_view",
    "bot.console.roster_view",
    "bot.console.people",
    "bot.console.assets",
    "bot.console.office",
)


def _csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())


@bp.before_request
def _guard() -> None:
    if request.method == "POST":
        csrf.protect()  # CSRFError → 400 before anything is read or written
    g.console_user = None
    cookie = request.cookies.get(COOKIE)
    if cookie:
        with core.transaction() as session:
            g.console_user = access.current_user(session, cookie, core.now())


@bp.after_request
def _harden(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "private, no-store")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-src 'self'; frame-ancestors 'none'; form-action 'self'"
    )
    return response


@bp.errorhandler(Refused)
def _refused(_: Refused) -> Response:
    return render("refused.html", status=403)


@bp.errorhandler(CSRFError)
def _csrf_failed(_: CSRFError) -> Response:
    return render("csrf.html", status=400)


@bp.app_context_processor
def _context() -> dict[str, object]:
    who = g.get("console_user")
    return {
        "t": text,
        "csrf_field": _csrf_field,
        "who": who,
        "menu": core.menu(who),
        "may": lambda name: core.may_open(who, name),
    }


def init_app(app: Flask) -> None:
    https = app.extensions["portfolio"].settings.public_base_url.startswith("https://")
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # only the console's POSTs (the webhook is signed)
        WTF_CSRF_TIME_LIMIT=int(access.SESSION_IDLE.total_seconds()),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
    )
    csrf.init_app(app)
    for name in _VIEWS:
        importlib.import_module(name)
    for key in ("day", "minguo", "both", "moment"):
        app.jinja_env.filters[key] = getattr(core, key)
    app.register_blueprint(bp)
