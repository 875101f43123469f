"""待認證: certifiers see their pending course outcomes as cards and decide each with one tap.

Cards carry opaque signed references (flows/postback_refs.py); every tap is checked on the
server against the item as it stands now (its certifier, state and version), so a forged,
copied or replayed button acts on nothing. 退回 asks for a reason and pushes the student at
once; approvals reach students in their next reply (tell_approvals) or a daily digest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from catalogue import text
from flows import messages as m
from flows import postback_refs
from flows.certify_cards import (
    APPROVE,
    MORE,
    PAGE,
    PAGE_NO,
    PAGE_OK,
    PREFIX,
    REF_APPROVE,
    REF_PAGE,
    REF_PAGE_OK,
    REF_REJECT,
    REJECT,
    REMIND,
    TAKE,
    Cards,
    card,
    course_group,
    course_label,
    list_intro,
    make_page,
    page_messages,
    read_ref,
    staff_name,
    who,
)
from flows.certify_news import tell_approvals, tell_rejection
from flows.certify_offers import answer_offer
from flows.context import Ctx
from flows.engine import END, STAY, Flow, Input, step
from flows.frontdesk import FrontDesk
from flows.store import Conversation
from rules.model import Window
from school import certification as cert
from storage.clock import format_date, format_datetime
from storage.identity import CONSULTANT, CONVENER, HOMEROOM, STAFF, TEACHER, Identity, identify
from storage.models.portfolio import CourseOutcome
from storage.models.school import Staff

# Anyone on staff may be a successor or a convener's designee; authority is per item.
CERTIFIER_ROLES = (TEACHER, HOMEROOM, CONSULTANT, CONVENER, STAFF)


REJECT_FLOW = "certify_reject"
REASON_KEYS = ("not_own", "wrong_subject", "unreadable", "incomplete")
REASON_TIMEOUT = timedelta(minutes=15)


PAGE_CONFIRM_NAMES = 8


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
                    name=staff_name(ctx.session, outcome.decided_by_id),
                    capacity=capacity_label(outcome.decided_capacity),
                    when=format_datetime(outcome.decided_at) if outcome.decided_at else "",
                    verdict=text(f"certify.verdict.{outcome.status}"),
                )
            )
        )
    elif result.status == cert.WITHDRAWN_ITEM:
        ctx.reply(m.text(text("certify.withdrawn")))
    elif result.status == cert.NOT_CERTIFIER:
        name = staff_name(ctx.session, outcome.certifier_id)
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


def _approve(ctx: Ctx, staff_id: int, data: str) -> None:
    ref = read_ref(ctx, REF_APPROVE, data)
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
    ref = read_ref(ctx, REF_REJECT, data)
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
    ref = read_ref(ctx, REF_PAGE, data)
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
    ref = read_ref(ctx, REF_PAGE_OK, data)
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


def _keep_page(ctx: Ctx, staff_id: int, data: str) -> None:
    ctx.reply(m.text(text("certify.page.kept")))


def _take(ctx: Ctx, staff_id: int, data: str) -> None:
    answer_offer(ctx, staff_id, TAKE, data)


def _remind(ctx: Ctx, staff_id: int, data: str) -> None:
    answer_offer(ctx, staff_id, REMIND, data)


# A certifier's buttons, after PREFIX: the action before the first ':' and what it runs with the
# rest of the data.
TAPS: dict[str, Callable[[Ctx, int, str], None]] = {
    APPROVE: _approve,
    REJECT: _ask_reason,
    PAGE: _ask_page,
    PAGE_OK: _approve_page,
    PAGE_NO: _keep_page,
    MORE: _next_page,
    TAKE: _take,
    REMIND: _remind,
}


def on_postback(ctx: Ctx, ident: Identity, inp: Input, rest: str) -> None:
    staff_id = _staff(ident).id
    action, _, data = rest.partition(":")
    tap = TAPS.get(action)
    if tap is None:
        ctx.reply(m.text(text("certify.bad_ref")))
        return
    tap(ctx, staff_id, data)


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


def register(desk: FrontDesk) -> None:
    desk.command("certify", ("待認證",), CERTIFIER_ROLES)(on_certify)
    desk.postback(PREFIX, CERTIFIER_ROLES)(on_postback)
    desk.add_flow(REASON_FLOW)
    desk.after_reply.append(tell_approvals)
