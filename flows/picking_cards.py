"""What a student sees while picking: the words for items and counts, pages of item cards, the
summary and the confirmed list, and the signed data their buttons carry (an HMAC of the
student, the action and the item).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, Final

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from rules.model import COURSE_OUTCOME, PERFORMANCE
from school import picking
from school.picking import Candidate, PickState
from storage.clock import format_date, format_datetime

PREFIX: Final = "pk:"
PAGE_SIZE: Final = 8
# 16 base64 characters = 96 bits of HMAC: unguessable, and the whole postback stays short.
SIGNATURE_LENGTH: Final = 16
SUMMARY_CHARS: Final = 60

ADD, DEL, PAGE, SUMMARY, CONFIRM, REOPEN = "add", "del", "page", "sum", "ok", "reopen"


def sign(secret: str, student_id: int, action: str, ref: str) -> str:
    mac = hmac.new(
        secret.encode(), f"pick|{student_id}|{action}|{ref}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(mac).decode()[:SIGNATURE_LENGTH]


def item_data(secret: str, student_id: int, action: str, ref: str) -> str:
    return f"{PREFIX}{action}:{ref}:{sign(secret, student_id, action, ref)}"


def _verified(secret: str, student_id: int, action: str, ref: str, signature: str) -> bool:
    return hmac.compare_digest(signature.encode(), sign(secret, student_id, action, ref).encode())


# --- words ------------------------------------------------------------------------------------


def _limit(value: int | None) -> str:
    return str(value) if value is not None else text("picking.no_limit")


def _counts(st: PickState) -> str:
    return text(
        "picking.counts",
        co_count=st.counts[COURSE_OUTCOME],
        co_limit=_limit(st.limits[COURSE_OUTCOME]),
        pf_count=st.counts[PERFORMANCE],
        pf_limit=_limit(st.limits[PERFORMANCE]),
    )


def item_label(c: Candidate) -> str:
    if c.kind == PERFORMANCE and c.record_type:
        key = f"picking.type.{c.record_type}"
        try:
            return text(key)
        except KeyError:
            return text("picking.kind.performance")
    return text(f"picking.kind.{c.kind}")


def item_title(c: Candidate | None) -> str:
    if c is None:
        return ""
    return c.title or c.summary[:20] or c.ref


def _files(c: Candidate) -> str:
    names = [text("picking.file.document")] if c.has_document else []
    if c.has_av:
        names.append(text("picking.file.av"))
    return "、".join(names) or text("picking.card.no_files")


def _why(c: Candidate) -> str:
    if c.picked and not c.pickable:
        return text("picking.why.picked_unavailable")
    if c.why == "rejected":
        return text("picking.why.course_outcome.rejected", reason=c.reason or "—")
    try:
        return text(f"picking.why.{c.kind}.{c.why}")
    except KeyError:
        return text("picking.why.unavailable")


def _dates(st: PickState) -> dict[str, str]:
    if st.window is None:
        return {"start": "", "end": ""}
    return {"start": format_date(st.window.first_day), "end": format_date(st.window.last_day)}


# --- messages ---------------------------------------------------------------------------------


def _pages(st: PickState) -> int:
    return max(1, -(-len(st.candidates) // PAGE_SIZE))


def _nav(st: PickState, page: int) -> list[m.QuickItem]:
    items: list[m.QuickItem] = []
    if page > 1:
        items.append((text("picking.nav.prev"), "postback", f"{PREFIX}{PAGE}:{page - 1}"))
    if page < _pages(st):
        items.append((text("picking.nav.next"), "postback", f"{PREFIX}{PAGE}:{page + 1}"))
    items.append((text("picking.nav.summary"), "postback", f"{PREFIX}{SUMMARY}"))
    return items


def _card(ctx: Ctx, student_id: int, st: PickState, c: Candidate) -> dict[str, Any]:
    if c.pickable:
        status = text("picking.card.picked") if c.picked else text("picking.card.not_picked")
        color = "#1DB446" if c.picked else "#555555"
    else:
        status, color = _why(c), "#B00020"
    term = text("picking.card.term", year=st.academic_year, semester=c.semester)
    body: list[dict[str, Any]] = [
        {"type": "text", "size": "xs", "color": "#888888", "text": f"{item_label(c)}　{term}"},
        {
            "type": "text",
            "weight": "bold",
            "wrap": True,
            "maxLines": 2,
            "text": item_title(c) or "—",
        },
    ]
    if c.summary:
        body.append(
            {
                "type": "text",
                "size": "sm",
                "wrap": True,
                "maxLines": 3,
                "color": "#555555",
                "text": c.summary[:SUMMARY_CHARS],
            }
        )
    body += [
        {
            "type": "text",
            "size": "xs",
            "color": "#888888",
            "text": text("picking.card.files", files=_files(c)),
        },
        {"type": "text", "size": "sm", "wrap": True, "color": color, "text": status},
    ]
    bubble: dict[str, Any] = {
        "type": "bubble",
        "size": "kilo",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
    }
    buttons = []
    # One button: 勾選 on an unticked card, 取消 on a ticked one (取消 alone would mean nothing).
    if c.pickable and not c.picked:
        buttons.append(
            {
                "type": "button",
                "height": "sm",
                "style": "secondary" if c.picked else "primary",
                "action": m.postback_action(
                    text("picking.button.pick"), item_data(ctx.secret_key, student_id, ADD, c.ref)
                ),
            }
        )
    if c.picked:
        buttons.append(
            {
                "type": "button",
                "height": "sm",
                "style": "primary" if c.picked and not c.pickable else "secondary",
                "action": m.postback_action(
                    text("picking.button.unpick"), item_data(ctx.secret_key, student_id, DEL, c.ref)
                ),
            }
        )
    if buttons:
        bubble["footer"] = {
            "type": "box",
            "layout": "horizontal",
            "spacing": "sm",
            "contents": buttons,
        }
    return bubble


def page_messages(ctx: Ctx, student_id: int, st: PickState, page: int) -> list[dict[str, Any]]:
    pages = _pages(st)
    page = min(max(page, 1), pages)
    if not st.candidates:
        return [m.text(text("picking.empty", year=st.academic_year))]
    shown = st.candidates[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    header = text(
        "picking.header",
        year=st.academic_year,
        end=_dates(st)["end"],
        counts=_counts(st),
        page=page,
        pages=pages,
    )
    cards = m.flex(
        text("picking.page_alt", page=page, pages=pages),
        m.carousel([_card(ctx, student_id, st, c) for c in shown]),
    )
    return [m.text(header), m.with_quick_reply(cards, _nav(st, page))]


def _picked_lines(st: PickState) -> list[str]:
    lines: list[str] = []
    for kind in picking.KINDS:
        chosen = [c for c in st.picked if c.kind == kind]
        lines.append(
            text(
                "picking.summary.section",
                kind=text(f"picking.kind.{kind}"),
                count=len(chosen),
                limit=_limit(st.limits[kind]),
            )
        )
        if not chosen:
            lines.append(text("picking.summary.none"))
        for n, c in enumerate(chosen, start=1):
            lines.append(
                text(
                    "picking.summary.line",
                    n=n,
                    label=item_label(c),
                    title=item_title(c),
                    files=_files(c),
                )
            )
    return lines


def summary_message(st: PickState) -> dict[str, Any]:
    foot = "picking.summary.foot" if st.picked else "picking.summary.foot_nothing"
    body = "\n".join(
        [
            text("picking.summary.head", year=st.academic_year),
            *_picked_lines(st),
            "",
            text(foot, **_dates(st)),
        ]
    )
    return m.text(
        body,
        quick=[
            (text("picking.nav.confirm"), "postback", f"{PREFIX}{CONFIRM}:{st.academic_year}"),
            (text("picking.nav.edit"), "postback", f"{PREFIX}{PAGE}:1"),
        ],
    )


def confirmed_message(st: PickState) -> dict[str, Any]:
    at = format_datetime(st.confirmed_at) if st.confirmed_at else ""
    body = "\n".join([text("picking.already_confirmed", at=at, **_dates(st)), *_picked_lines(st)])
    return m.text(
        body,
        quick=[
            (text("picking.nav.reopen"), "postback", f"{PREFIX}{REOPEN}:{st.academic_year}"),
        ],
    )


def final_message(st: PickState) -> dict[str, Any]:
    lines = [text("picking.final_head", year=st.academic_year, **_dates(st)), *_picked_lines(st)]
    if st.confirmed_at is None and st.picked:
        lines.append(text("picking.final_unconfirmed"))
    return m.text("\n".join(lines))
