"""A certifier's pending items as flex cards: one card an item, pages of at most 12, and the signed
references their buttons carry (flows/postback_refs.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from catalogue import text
from flows import links, postback_refs
from flows import messages as m
from flows.cards import button
from flows.context import Ctx
from flows.line_limits import MAX_ALT_TEXT_LENGTH, MAX_FLEX_CAROUSEL_BUBBLES
from school import certification as cert
from school.file_access import VIEWER_STAFF
from storage.clock import format_short_date
from storage.models.portfolio import CourseOutcome, FileRecord
from storage.models.school import Staff

PREFIX = "cert:"
APPROVE = "ok"
REJECT = "no"
PAGE = "page"
PAGE_OK = "pageok"
PAGE_NO = "pageno"
MORE = "more"
TAKE = "take"
REMIND = "remind"

# Actions a signed reference is bound to (a reference made for one never opens another).
REF_APPROVE = "cert-approve"
REF_REJECT = "cert-reject"
REF_PAGE = "cert-page"
REF_PAGE_OK = "cert-page-ok"
REF_OFFER = "cert-offer"


# Links in a push are opened later than links in a reply.
PUSH_LINK_TTL = timedelta(hours=72)
MAX_ALT = 400
MAX_COURSES_LISTED = 6


CARD_GREY = "#888888"
CARD_FAINT = "#AAAAAA"
APPROVE_COLOUR = "#06C755"


# --- cards -------------------------------------------------------------------------------------


@dataclass
class Cards:
    """What it takes to draw cards for one certifier: signing keys, links, the time."""

    session: Session
    secret_key: str
    public_base_url: str
    now: datetime
    staff_id: int
    link_ttl: timedelta = links.DEFAULT_TTL

    @classmethod
    def for_ctx(cls, ctx: Ctx, staff_id: int) -> Cards:
        return cls(ctx.session, ctx.secret_key, ctx.public_base_url, ctx.now, staff_id)

    def ref(self, action: str, ids: list[int], version: int = 0) -> str:
        return postback_refs.make(self.secret_key, action, ids, version)

    def file_url(self, record: FileRecord | None) -> str | None:
        if record is None:
            return None
        return links.file_link(
            self.secret_key,
            self.public_base_url,
            record.id,
            (VIEWER_STAFF, self.staff_id),
            self.now,
            self.link_ttl,
        )


def who(outcome: CourseOutcome) -> str:
    """101-03 張家豪"""
    student = outcome.student
    return f"{student.class_seat} {student.name}" if student else ""


def course_label(outcome: CourseOutcome) -> str:
    return outcome.course.subject if outcome.course else ""


def course_group(outcome: CourseOutcome) -> str:
    course = outcome.course
    cls = course.school_class.code if course and course.school_class else "—"
    return text("certify.card.course", course=course_label(outcome), cls=cls)


def flex_text(body: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": body, "wrap": True, **style}


def card(cards: Cards, outcome: CourseOutcome) -> dict[str, Any]:
    """One pending item: class-seat-name, course, summary, preview, 通過 / 退回."""
    name = who(outcome)
    body: list[dict[str, Any]] = [
        flex_text(course_group(outcome), size="xs", color=CARD_GREY),
        flex_text(name, weight="bold", size="md"),
        flex_text(
            outcome.summary.strip() or text("certify.card.no_summary"), size="sm", maxLines=6
        ),
    ]
    hero: dict[str, Any] | None = None
    for record, kind in ((outcome.document, "document"), (outcome.video, "video")):
        url = cards.file_url(record)
        if url is None or record is None:
            continue
        open_file = m.uri_action(
            text("certify.button.open", kind=text(f"certify.card.{kind}")), url
        )
        if record.mime.startswith("image/") and hero is None:
            # A photo shows itself; documents and videos open in LINE's browser.
            hero = {
                "type": "image",
                "url": url,
                "size": "full",
                "aspectRatio": "4:3",
                "aspectMode": "cover",
                "action": open_file,
            }
        body.append(button(open_file, style="link"))
    footnote = (
        text("certify.card.submitted", date=format_short_date(outcome.submitted_at))
        if outcome.submitted_at
        else ""
    )
    if (
        outcome.escalated_at is not None
        and outcome.certifier_id == cards.staff_id
        and outcome.certifier_capacity != cert.TEACHER
    ):
        footnote = (
            f"{footnote}・{text('certify.card.escalated')}"
            if footnote
            else text("certify.card.escalated")
        )
    if footnote:
        body.append(flex_text(footnote, size="xxs", color=CARD_FAINT))
    approve = m.postback_action(
        text("certify.button.approve"),
        PREFIX + APPROVE + ":" + cards.ref(REF_APPROVE, [outcome.id], outcome.certify_version),
        display=f"{text('certify.button.approve')} {name}",
    )
    reject = m.postback_action(
        text("certify.button.reject"),
        PREFIX + REJECT + ":" + cards.ref(REF_REJECT, [outcome.id], outcome.certify_version),
        display=f"{text('certify.button.reject')} {name}",
    )
    bubble: dict[str, Any] = {
        "type": "bubble",
        "size": "kilo",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body},
        "footer": {
            "type": "box",
            "layout": "horizontal",
            "spacing": "sm",
            "contents": [
                button(reject, style="secondary"),
                button(approve, style="primary", color=APPROVE_COLOUR),
            ],
        },
    }
    if hero is not None:
        bubble["hero"] = hero
    return bubble


@dataclass(frozen=True)
class Page:
    """One page of a certifier's list: at most 12 bubbles, the last saying how many more."""

    items: list[CourseOutcome]
    total: int
    first: int  # 1-based position of the first card
    more: int  # items after this page


def make_page(everything: list[CourseOutcome], after: CourseOutcome | None = None) -> Page:
    rest = cert.page_after(everything, after)
    if len(rest) <= MAX_FLEX_CAROUSEL_BUBBLES:
        shown = rest
    else:
        shown = rest[: MAX_FLEX_CAROUSEL_BUBBLES - 1]  # the last bubble is 下一頁
    return Page(shown, len(everything), len(everything) - len(rest) + 1, len(rest) - len(shown))


def _more_bubble(page: Page, next_data: str, page_data: str) -> dict[str, Any]:
    return {
        "type": "bubble",
        "size": "kilo",
        "body": {
            "type": "box",
            "layout": "vertical",
            "spacing": "md",
            "justifyContent": "center",
            "contents": [
                flex_text(text("certify.more", count=page.more), weight="bold", size="lg"),
                flex_text(text("certify.more_hint"), size="sm", color=CARD_GREY),
            ],
        },
        "footer": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                button(
                    m.postback_action(
                        text("certify.button.next"), next_data, display=text("certify.button.next")
                    ),
                    style="primary",
                ),
                button(
                    m.postback_action(
                        text("certify.button.approve_page"),
                        page_data,
                        display=text("certify.button.approve_page"),
                    ),
                    style="secondary",
                ),
            ],
        },
    }


def courses_summary(items: list[CourseOutcome]) -> str:
    counts = Counter(course_group(o) for o in items)
    parts = [
        text("certify.list_course", course=c, count=n)
        for c, n in list(counts.items())[:MAX_COURSES_LISTED]
    ]
    if len(counts) > MAX_COURSES_LISTED:
        parts.append("…")
    return "、".join(parts)


def page_messages(
    cards: Cards, everything: list[CourseOutcome], page: Page
) -> list[dict[str, Any]]:
    """The page as one flex carousel; page actions ride along as quick replies."""
    bubbles = [card(cards, o) for o in page.items]
    page_data = PREFIX + PAGE + ":" + cards.ref(REF_PAGE, [o.id for o in page.items])
    quick: list[m.QuickItem] = [(text("certify.button.approve_page"), "postback", page_data)]
    if page.more:
        next_data = f"{PREFIX}{MORE}:{page.items[-1].id}"
        bubbles.append(_more_bubble(page, next_data, page_data))
        quick.append((text("certify.button.next"), "postback", next_data))
    alt = text("certify.alt", count=page.total, courses=courses_summary(everything))
    message = m.flex(alt[: min(MAX_ALT, MAX_ALT_TEXT_LENGTH)], m.carousel(bubbles))
    message["quickReply"] = m.quick_reply(quick)
    return [message]


def list_intro(everything: list[CourseOutcome], page: Page) -> dict[str, Any]:
    courses = courses_summary(everything)
    if len(page.items) >= page.total:  # all on this page: no 「第 1–1 件」
        return m.text(text("certify.list_all", count=page.total, courses=courses))
    return m.text(
        text(
            "certify.list",
            count=page.total,
            courses=courses,
            first=page.first,
            last=page.first + len(page.items) - 1,
        )
    )


def staff_name(session: Session, staff_id: int | None) -> str:
    staff = session.get(Staff, staff_id) if staff_id else None
    return staff.name if staff else ""


def read_ref(ctx: Ctx, action: str, data: str) -> postback_refs.Ref | None:
    ref = postback_refs.read(ctx.secret_key, action, data)
    if ref is None:
        ctx.reply(m.text(text("certify.bad_ref")))
    return ref
