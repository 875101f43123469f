"""待認證: certifiers see their pending course outcomes as cards and decide each with one tap.

Cards carry opaque signed references (flows/postback_refs.py); every tap is checked on the
server against the item as it stands now (its certifier, state and version), so a forged,
copied or replayed button acts on nothing. 退回 asks for a reason and pushes the student at
once; approvals reach students in their next reply (tell_approvals) or a daily digest.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from catalogue import text
from flows import links, postback_refs, upload
from flows import messages as m
from flows.cards import button
from flows.context import Ctx
from flows.engine import END, STAY, Flow, Input, step
from flows.frontdesk import FrontDesk
from flows.line_limits import MAX_ALT_TEXT_LENGTH, MAX_FLEX_CAROUSEL_BUBBLES
from flows.store import Conversation
from rules.model import NotConfigured, SchoolRules, Window
from school import certification as cert
from school.file_access import VIEWER_STAFF
from storage.clock import format_date, format_datetime, format_short_date
from storage.identity import (
    CONSULTANT,
    CONVENER,
    HOMEROOM,
    STAFF,
    STUDENT,
    TEACHER,
    Identity,
    identify,
)
from storage.models.certification import CertifierNote
from storage.models.portfolio import CourseOutcome, FileRecord
from storage.models.school import Staff
from storage.outbox import MAX_MESSAGES_PER_REQUEST, URGENT, Outbox

# Anyone on staff may be a successor or a convener's designee; authority is per item.
CERTIFIER_ROLES = (TEACHER, HOMEROOM, CONSULTANT, CONVENER, STAFF)

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

REJECT_FLOW = "certify_reject"
REASON_KEYS = ("not_own", "wrong_subject", "unreadable", "incomplete")
REASON_TIMEOUT = timedelta(minutes=15)
# Links in a push are opened later than links in a reply.
PUSH_LINK_TTL = timedelta(hours=72)
MAX_ALT = 400
MAX_COURSES_LISTED = 6
PAGE_CONFIRM_NAMES = 8

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


def _flex_text(body: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": body, "wrap": True, **style}


def card(cards: Cards, outcome: CourseOutcome) -> dict[str, Any]:
    """One pending item: class-seat-name, course, summary, preview, 通過 / 退回."""
    name = who(outcome)
    body: list[dict[str, Any]] = [
        _flex_text(course_group(outcome), size="xs", color=CARD_GREY),
        _flex_text(name, weight="bold", size="md"),
        _flex_text(
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
        body.append(_flex_text(footnote, size="xxs", color=CARD_FAINT))
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
                _flex_text(text("certify.more", count=page.more), weight="bold", size="lg"),
                _flex_text(text("certify.more_hint"), size="sm", color=CARD_GREY),
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


# --- the list ------------------------------------------------------------------------------------


def _staff(ident: Identity) -> Staff:
    assert ident.staff is not None
    return ident.staff


def show_page(ctx: Ctx, staff_id: int, after: CourseOutcome | None = None) -> None:
    everything = cert.pending_for(ctx.session, staff_id)
    if not everything:
        key = "certify.none_immediate" if ctx.rules.cert_cadence.immediate else "certify.none"
        at = ctx.rules.cert_cadence.at
        ctx.reply(m.text(text(key, time=at.strftime("%H:%M") if at else "")))
        return
    page = make_page(everything, after)
    if not page.items:  # the cursor was the last one: start again from the top
        page = make_page(everything)
    cards = Cards.for_ctx(ctx, staff_id)
    ctx.reply(list_intro(everything, page), *page_messages(cards, everything, page))
    # Seen here, so tonight's push does not announce them again.
    cert.mark_seen(page.items, ctx.now)


def on_certify(ctx: Ctx, ident: Identity, inp: Input) -> None:
    show_page(ctx, _staff(ident).id)


# --- taps ------------------------------------------------------------------------------------


def capacity_label(capacity: str | None) -> str:
    return text(f"certify.capacity.{capacity or cert.TEACHER}")


def _staff_name(session: Session, staff_id: int | None) -> str:
    staff = session.get(Staff, staff_id) if staff_id else None
    return staff.name if staff else ""


def window_refusal(window: Window | None, outcome: CourseOutcome, now: datetime) -> str:
    term = f"{outcome.academic_year}-{outcome.semester}"
    if window is None:
        return text("certify.window_unset", term=term)
    key = "certify.window_not_open" if now < window.start else "certify.window_closed"
    return text(
        key, term=term, start=format_date(window.first_day), end=format_date(window.last_day)
    )


def explain(ctx: Ctx, staff_id: int, result: cert.Decision) -> None:
    """Why a tap did nothing, in words that say what to do next."""
    outcome = result.outcome
    if outcome is None or result.status == cert.MISSING:
        ctx.reply(m.text(text("certify.missing")))
    elif result.status == cert.ALREADY_DECIDED:
        ctx.reply(
            m.text(
                text(
                    "certify.already",
                    name=_staff_name(ctx.session, outcome.decided_by_id),
                    capacity=capacity_label(outcome.decided_capacity),
                    when=format_datetime(outcome.decided_at) if outcome.decided_at else "",
                    verdict=text(f"certify.verdict.{outcome.status}"),
                )
            )
        )
    elif result.status == cert.WITHDRAWN_ITEM:
        ctx.reply(m.text(text("certify.withdrawn")))
    elif result.status == cert.NOT_CERTIFIER:
        name = _staff_name(ctx.session, outcome.certifier_id)
        if name:
            ctx.reply(
                m.text(
                    text(
                        "certify.not_certifier",
                        name=name,
                        capacity=capacity_label(outcome.certifier_capacity),
                    )
                )
            )
        else:
            ctx.reply(m.text(text("certify.not_certifier_nobody")))
    elif result.status == cert.STALE:
        cards = Cards.for_ctx(ctx, staff_id)
        ctx.reply(
            m.text(text("certify.stale")),
            m.flex(
                text("certify.alt", count=1, courses=course_group(outcome)), card(cards, outcome)
            ),
        )
    elif result.status == cert.OUTSIDE_WINDOW:
        ctx.reply(m.text(window_refusal(result.window, outcome, ctx.now)))
    else:
        ctx.reply(m.text(text("certify.not_pending")))


def _ref(ctx: Ctx, action: str, data: str) -> postback_refs.Ref | None:
    ref = postback_refs.read(ctx.secret_key, action, data)
    if ref is None:
        ctx.reply(m.text(text("certify.bad_ref")))
    return ref


def _approve(ctx: Ctx, staff_id: int, data: str) -> None:
    ref = _ref(ctx, REF_APPROVE, data)
    if ref is None:
        return
    result = cert.decide(
        ctx.session, ref.id, staff_id, cert.APPROVE, ctx.now, ctx.rules, version=ref.version
    )
    if not result.ok:
        explain(ctx, staff_id, result)
        return
    assert result.outcome is not None
    left = cert.pending_count(ctx.session, staff_id)
    key = "certify.approved_left" if left else "certify.approved"
    ctx.reply(
        m.text(text(key, who=who(result.outcome), course=course_label(result.outcome), left=left))
    )


def _ask_reason(ctx: Ctx, staff_id: int, data: str) -> None:
    ref = _ref(ctx, REF_REJECT, data)
    if ref is None:
        return
    outcome = ctx.session.get(CourseOutcome, ref.id)
    if outcome is None:
        explain(ctx, staff_id, cert.Decision(cert.MISSING))
        return
    if (
        outcome.status != cert.PENDING
        or outcome.certifier_id != staff_id
        or outcome.certify_version != ref.version
    ):
        explain(ctx, staff_id, cert._why_not(outcome, staff_id, ref.version))
        return
    if not cert.certification_open(ctx.session, ctx.rules, outcome, ctx.now):
        window = cert.certification_window(ctx.rules, outcome)
        ctx.reply(m.text(window_refusal(window, outcome, ctx.now)))
        return
    ctx.start_flow(REJECT_FLOW, outcome_id=outcome.id, version=ref.version)


def _ask_page(ctx: Ctx, staff_id: int, data: str) -> None:
    ref = _ref(ctx, REF_PAGE, data)
    if ref is None:
        return
    # Only this certifier's own items: a page button forwarded by another teacher shows no names.
    mine = [
        outcome
        for outcome in (ctx.session.get(CourseOutcome, i) for i in ref.ids)
        if outcome is not None and outcome.certifier_id == staff_id
    ]
    if not mine:
        ctx.reply(m.text(text("security.certify.page_not_yours")))
        return
    names = [who(outcome) for outcome in mine[:PAGE_CONFIRM_NAMES]]
    listed = "、".join(names) + ("…" if len(mine) > PAGE_CONFIRM_NAMES else "")
    ids = [outcome.id for outcome in mine]
    yes = PREFIX + PAGE_OK + ":" + postback_refs.make(ctx.secret_key, REF_PAGE_OK, ids)
    ctx.reply(
        m.confirm(
            text("certify.page.confirm", count=len(ids), who=""),
            text("certify.page.confirm", count=len(ids), who=listed)[:240],
            m.postback_action(text("certify.page.yes"), yes, display=text("certify.page.yes")),
            m.postback_action(
                text("certify.page.no"), PREFIX + PAGE_NO, display=text("certify.page.no")
            ),
        )
    )


def _approve_page(ctx: Ctx, staff_id: int, data: str) -> None:
    ref = _ref(ctx, REF_PAGE_OK, data)
    if ref is None:
        return
    done = skipped = 0
    refusal: str | None = None
    for outcome_id in ref.ids:
        # Each item on its own terms: only what is still pending with this certifier changes.
        result = cert.decide(ctx.session, outcome_id, staff_id, cert.APPROVE, ctx.now, ctx.rules)
        if result.ok:
            done += 1
        else:
            skipped += 1
            if (
                result.status == cert.OUTSIDE_WINDOW
                and result.outcome is not None
                and refusal is None
            ):
                refusal = window_refusal(result.window, result.outcome, ctx.now)
    left = cert.pending_count(ctx.session, staff_id)
    lines = [text("certify.page.done_left" if left else "certify.page.done", count=done, left=left)]
    if skipped:
        lines.append(text("certify.page.skipped", count=skipped))
    if refusal:
        lines.append(refusal)
    ctx.reply(m.text("\n".join(lines)))


def _next_page(ctx: Ctx, staff_id: int, data: str) -> None:
    after = ctx.session.get(CourseOutcome, int(data)) if data.isdigit() else None
    show_page(ctx, staff_id, after)


def on_postback(ctx: Ctx, ident: Identity, inp: Input, rest: str) -> None:
    staff_id = _staff(ident).id
    action, _, data = rest.partition(":")
    if action == APPROVE:
        _approve(ctx, staff_id, data)
    elif action == REJECT:
        _ask_reason(ctx, staff_id, data)
    elif action == PAGE:
        _ask_page(ctx, staff_id, data)
    elif action == PAGE_OK:
        _approve_page(ctx, staff_id, data)
    elif action == PAGE_NO:
        ctx.reply(m.text(text("certify.page.kept")))
    elif action == MORE:
        _next_page(ctx, staff_id, data)
    elif action in (TAKE, REMIND):
        _answer_offer(ctx, staff_id, action, data)
    else:
        ctx.reply(m.text(text("certify.bad_ref")))


# --- late items offered to the convener ---------------------------------------------------------


def offer_buttons(session: Session, secret_key: str, notes: list[Any]) -> list[m.QuickItem]:
    """接手 / 提醒 quick replies for the offers in a convener's digest (the note is the ref)."""
    quick: list[m.QuickItem] = []
    for note in notes[:6]:
        teacher = session.get(Staff, note.other_staff_id)
        name = teacher.name if teacher else ""
        ref = postback_refs.make(secret_key, REF_OFFER, [note.id])
        quick.append(
            (
                text("school_rules.certify.button.take", name=name)[:20],
                "postback",
                f"{PREFIX}{TAKE}:{ref}",
            )
        )
        quick.append(
            (
                text("school_rules.certify.button.remind", name=name)[:20],
                "postback",
                f"{PREFIX}{REMIND}:{ref}",
            )
        )
    return quick


def _answer_offer(ctx: Ctx, staff_id: int, action: str, data: str) -> None:
    ref = _ref(ctx, REF_OFFER, data)
    if ref is None:
        return
    note = ctx.session.get(CertifierNote, ref.id)
    if (
        note is None
        or note.staff_id != staff_id
        or note.kind != cert.OFFERED
        or note.other_staff_id is None
    ):
        ctx.reply(m.text(text("certify.bad_ref")))
        return
    teacher = ctx.session.get(Staff, note.other_staff_id)
    name = teacher.name if teacher else ""
    year, semester = note.academic_year, note.semester
    if action == TAKE:
        moves = cert.take_over(ctx.session, staff_id, note.other_staff_id, year, semester, ctx.now)
        if not moves:
            ctx.reply(m.text(text("school_rules.certify.nothing_left", name=name)))
            return
        ctx.reply(
            m.text(
                text("school_rules.certify.took", count=len(moves), name=name),
                quick=[("待認證", "待認證")],
            )
        )
        return
    count = cert.late_count(ctx.session, staff_id, note.other_staff_id, year, semester, ctx.now)
    to = cert.line_user_of_staff(ctx.session, note.other_staff_id)
    if count == 0 or to is None:
        key = (
            "school_rules.certify.nothing_left"
            if count == 0
            else "school_rules.certify.not_on_line"
        )
        ctx.reply(m.text(text(key, name=name)))
        return
    me = ctx.session.get(Staff, staff_id)
    end = ""
    try:
        end = format_date(ctx.rules.window("certification", year, semester).last_day)
    except NotConfigured:
        pass
    Outbox(ctx.session, ctx.now).push(
        to,
        [
            m.text(
                text(
                    "school_rules.certify.reminder",
                    name=me.name if me else "",
                    count=count,
                    end=end,
                ),
                quick=[("待認證", "待認證")],
            )
        ],
        purpose="certify_reminder",
        priority=URGENT,
        not_before=ctx.rules.next_send_time(ctx.now),
    )
    ctx.reply(m.text(text("school_rules.certify.reminded", name=name, count=count)))


# --- rejecting: the reason ---------------------------------------------------------------------


def _reason_begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    conv.data.update(outcome_id=int(args["outcome_id"]), version=int(args["version"]))
    return "reason"


def _reason_prompt(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    outcome = ctx.session.get(CourseOutcome, conv.data["outcome_id"])
    assert outcome is not None
    quick: list[m.QuickItem] = [
        (text(f"certify.reason.{k}"), text(f"certify.reason.{k}")) for k in REASON_KEYS
    ]
    quick.append(("取消", "取消"))
    return [
        m.text(
            text(
                "certify.reason.ask",
                who=who(outcome),
                course=course_label(outcome),
                max=cert.REJECT_REASON_MAX,
            ),
            quick=quick,
        )
    ]


def _reason_run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    ident = identify(ctx.session, ctx.account)
    if ident is None or ident.staff is None:
        return END
    staff_id = ident.staff.id
    outcome = ctx.session.get(CourseOutcome, conv.data["outcome_id"])
    if inp.kind == "postback":
        if inp.data.startswith(PREFIX) and outcome is not None:
            # Another card tapped instead of giving a reason: drop this rejection, do that.
            ctx.reply(
                m.text(
                    text("certify.reason.cancelled", who=who(outcome), course=course_label(outcome))
                )
            )
            on_postback(ctx, ident, inp, inp.data[len(PREFIX) :])
            return END
        ctx.reply(m.text(text("flow.unexpected")), *_reason_prompt(ctx, conv))
        return STAY
    reason = inp.word
    if not reason:
        ctx.reply(m.text(text("certify.reason.empty")))
        return STAY
    if len(reason) > cert.REJECT_REASON_MAX:
        ctx.reply(m.text(text("certify.reason.too_long", max=cert.REJECT_REASON_MAX)))
        return STAY
    result = cert.decide(
        ctx.session,
        conv.data["outcome_id"],
        staff_id,
        cert.REJECT,
        ctx.now,
        ctx.rules,
        reason=reason,
        version=conv.data["version"],
    )
    if not result.ok:
        explain(ctx, staff_id, result)
        return END
    assert result.outcome is not None
    tell_rejection(ctx.session, ctx.outbox, ctx.rules, ctx.now, result.outcome)
    ctx.reply(
        m.text(
            text(
                "certify.rejected",
                who=who(result.outcome),
                course=course_label(result.outcome),
                reason=reason,
            )
        )
    )
    return END


REASON_FLOW = Flow(
    name=REJECT_FLOW,
    steps={"reason": step(("text", "postback"), _reason_run, _reason_prompt)},
    begin=_reason_begin,
    timeout=REASON_TIMEOUT,
    help_key="certify.reason.help",
)


# --- what students hear ------------------------------------------------------------------------


def rejection_message(outcome: CourseOutcome, teacher: str) -> dict[str, Any]:
    course = course_label(outcome)
    body = text(
        "certify.student.rejected",
        course=course,
        reason=outcome.reject_reason or "",
        name=teacher,
        when=format_datetime(outcome.decided_at or outcome.created_at),
    )
    # flows/upload.py's contract: `reupload:<outcome id>`; it starts the replacement only for
    # the student's own rejected, not yet replaced item, so the id needs no signature.
    reupload = f"{upload.REUPLOAD}{outcome.id}"
    bubble = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": [_flex_text(body, size="sm")]},
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                button(
                    m.postback_action(
                        text("certify.student.reupload"),
                        reupload,
                        display=text("certify.student.reupload"),
                    ),
                    style="primary",
                ),
            ],
        },
    }
    return m.flex(text("certify.student.alt_rejected", course=course), bubble)


def tell_rejection(
    session: Session, outbox: Outbox, rules: SchoolRules, now: datetime, outcome: CourseOutcome
) -> None:
    """A rejection is worth a push: the student has work to redo before the window closes."""
    outcome.decision_told_at = now
    to = cert.line_user_of_student(session, outcome.student_id)
    if to is None:
        return  # they will see it under 我的歷程
    teacher = _staff_name(session, outcome.decided_by_id)
    # Urgent: the monthly budget never holds it back (jobs/budget.py keeps a margin for these);
    # quiet hours still apply.
    outbox.push(
        to,
        [rejection_message(outcome, teacher)],
        purpose="certify_rejected",
        priority=URGENT,
        not_before=rules.next_send_time(now),
    )


def approvals_message(items: list[CourseOutcome]) -> dict[str, Any]:
    listed = "、".join(text("certify.student.approved_item", course=course_label(o)) for o in items)
    return m.text(text("certify.student.approved", items=listed))


def tell_approvals(ctx: Ctx, ident: Identity) -> None:
    """desk.after_reply: a student's reply carries their news of approvals, for free."""
    if ident.student is None or STUDENT not in ident.roles:
        return
    if len(ctx.replies) >= MAX_MESSAGES_PER_REQUEST:
        return  # a sixth message would go out as a paid push; next reply it is
    items = cert.untold_approvals(ctx.session, ident.student.id)
    if not items:
        return
    ctx.replies.append(approvals_message(items))
    cert.mark_told(items, ctx.now)


def register(desk: FrontDesk) -> None:
    desk.command("certify", ("待認證",), CERTIFIER_ROLES)(on_certify)
    desk.postback(PREFIX, CERTIFIER_ROLES)(on_postback)
    desk.add_flow(REASON_FLOW)
    desk.after_reply.append(tell_approvals)
