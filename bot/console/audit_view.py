"""紀錄: the console's audit log, each office reading the changes it owns."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from flask import Response, request

from bot.console.core import bp, moment, page, reading, render, user, wants_xlsx, xlsx
from catalogue import TEXTS, text
from school import console_access as access
from school.dates import DateFormatError, parse_date
from storage.clock import at_taipei


def _action_name(action: str) -> str:
    key = f"console.audit.action.{action}"
    return text(key) if key in TEXTS else action


@bp.get("/audit")
@page("audit")
def audit() -> Response:
    since_raw = request.args.get("since", "").strip()
    until_raw = request.args.get("until", "").strip()
    form_error = None
    since = until = None
    try:
        if since_raw:
            since = at_taipei(parse_date(since_raw))
        if until_raw:
            until = at_taipei(parse_date(until_raw) + timedelta(days=1))
    except DateFormatError:
        form_error = text("console.date_error")
    offices = user().offices
    with reading() as session:
        rows = access.audit_rows(session, offices, since=since, until=until)
    if wants_xlsx():
        headers = [
            text(f"console.audit.{c}") for c in ("when", "who", "office", "what", "before", "after")
        ]
        return xlsx(
            "audit",
            headers,
            [
                [
                    moment(r.at),
                    r.who,
                    r.office,
                    f"{_action_name(r.action)} {r.detail}".strip(),
                    r.before,
                    r.after,
                ]
                for r in rows
            ],
        )
    query = urlencode({"since": since_raw, "until": until_raw})
    return render(
        "audit.html",
        rows=rows,
        since_raw=since_raw,
        until_raw=until_raw,
        form_error=form_error,
        query=query,
        action_name=_action_name,
    )
