"""Signing in from a LINE link (GET shows one button; only the POST uses the link) and out."""

from __future__ import annotations

from flask import Response, g, redirect, request, url_for

from bot.console.core import COOKIE, bp, now, render, svc, transaction
from school import console_access as access


def _secure() -> bool:
    return svc().settings.public_base_url.startswith("https://")


@bp.get("/signin/<token>")
def signin_form(token: str) -> Response:
    # Link previewers (LINE, mail scanners) GET links: this must use nothing.
    with transaction() as session:
        try:
            access.check_link(session, token, now())
        except access.LinkRefused as refused:
            return render("signed_out.html", status=410, reason=refused.reason)
    # Referrer-Policy stays same-origin: on https Flask-WTF checks that the POST's Referer is
    # this site, and the token in it goes nowhere else.
    return render("signin.html", token=token)


@bp.post("/signin/<token>")
def signin(token: str) -> Response:
    try:
        with transaction() as session:
            cookie = access.sign_in(session, token, now())
    except access.LinkRefused as refused:
        return render("signed_out.html", status=410, reason=refused.reason)
    response = redirect(url_for("console.overview"), code=303)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(access.SESSION_MAX.total_seconds()),
        path="/console",
        secure=_secure(),
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.post("/signout")
def signout() -> Response:
    cookie = request.cookies.get(COOKIE)
    if cookie:
        with transaction() as session:
            access.sign_out(session, cookie, now())
    g.console_user = None
    response = render("signed_out.html", reason="signed_out")
    response.delete_cookie(COOKIE, path="/console", secure=_secure(), httponly=True, samesite="Lax")
    return response
