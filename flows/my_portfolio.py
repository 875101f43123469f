"""我的學習歷程: this semester's and year's counts against the limits, and every item with its
status (草稿, 待認證, 已認證, 退回 with the reason) and what the student can do with it."""

from __future__ import annotations

from typing import Any

from catalogue import TEXTS, text
from flows import messages as m
from flows.cards import button, postback_button, shorten
from flows.context import Ctx
from flows.engine import STAY, Input, StepFn
from flows.frontdesk import FrontDesk
from flows.links import file_link
from flows.store import Conversation
from flows.submission import (
    PERFORMANCE_FLOW,
    REUPLOAD,
    UPLOAD_FLOW,
    count_line,
    current_student,
    type_label,
)
from rules.model import COURSE_OUTCOME, PERFORMANCE
from school import (
    file_access,
    item_counts,
    items,
    outcomes,
    performance_edits,
    performances,
    terms,
)
from school.items import ItemError
from school.terms import TermRef
from storage.identity import STUDENT, Identity
from storage.models.portfolio import (
    DRAFT,
    PENDING,
    REJECTED,
    SUBMITTED,
    CourseOutcome,
    FileRecord,
    Performance,
)
from storage.models.school import Student

PREFIX = "myp:"
WITHDRAW = "withdraw:"
WITHDRAW_SURE = "withdraw!:"
KEEP = "keep"
RESUME = "resume:"
EDIT = "edit:"
PAGE = "page:"
OUTCOME = "o"
PERF = "p"

# A carousel holds 12 bubbles; ten items a page keeps each reply well inside 50 KB.
PER_PAGE = 10
SUMMARY_PREVIEW = 60

# Items that need the student first: drafts and rejections, then the waiting, then the done.
_ORDER = {DRAFT: 0, REJECTED: 1, PENDING: 2}


def on_portfolio(ctx: Ctx, ident: Identity, inp: Input) -> None:
    student = current_student(ctx)
    if student is None:
        ctx.reply(m.text(text("desk.not_for_you")))
        return
    show(ctx, student, page=0)


def _entries(ctx: Ctx, student: Student, year: int) -> list[CourseOutcome | Performance]:
    listing = items.student_items(ctx.session, student.id, year)
    # An open edit of a saved 多元表現 is reached from the saved item's card (繼續修改).
    entries: list[CourseOutcome | Performance] = [
        *listing.outcomes,
        *(p for p in listing.performances if p.edits_id is None),
    ]
    # Stable sort: within a status group the newest (as listed) stays first.
    return sorted(entries, key=lambda e: _ORDER.get(e.status, 3))


def show(ctx: Ctx, student: Student, page: int) -> None:
    term = terms.current_term(ctx.rules, ctx.now)
    if term is None:
        ctx.reply(m.text(text("upload.no_term")))
        return
    outcome_room = item_counts.room(ctx.session, ctx.rules, COURSE_OUTCOME, student.id, term)
    performance_room = item_counts.room(ctx.session, ctx.rules, PERFORMANCE, student.id, term)
    entries = _entries(ctx, student, term.academic_year)
    summary = text(
        "portfolio.counts",
        year=term.academic_year,
        semester=term.semester,
        outcomes=count_line(outcome_room),
        performances=count_line(performance_room),
    )
    if not entries:
        ctx.reply(
            m.text(
                summary + "\n" + text("portfolio.empty"),
                quick=[("上傳", "上傳"), ("多元表現", "多元表現")],
            )
        )
        return
    pages = (len(entries) + PER_PAGE - 1) // PER_PAGE
    page = min(max(page, 0), pages - 1)
    shown = entries[page * PER_PAGE : (page + 1) * PER_PAGE]
    bubbles = [_bubble(ctx, student, entry) for entry in shown]
    carousel = m.flex(text("portfolio.alt", n=len(entries)), m.carousel(bubbles))
    quick: list[Any] = []
    if page > 0:
        quick.append((text("upload.page_prev"), "postback", f"{PREFIX}{PAGE}{page - 1}"))
    if page < pages - 1:
        quick.append((text("upload.page_next"), "postback", f"{PREFIX}{PAGE}{page + 1}"))
    quick += [("上傳", "上傳"), ("多元表現", "多元表現")]
    head = summary
    if pages > 1:
        head += "\n" + text("portfolio.page", page=page + 1, pages=pages)
    ctx.reply(m.text(head), m.with_quick_reply(carousel, quick))


def _status(entry: CourseOutcome | Performance) -> str:
    label = text(f"upload.status.{entry.status}")
    if isinstance(entry, CourseOutcome):
        if entry.status == REJECTED:
            reason = entry.reject_reason or text("upload.no_reason")
            return text("portfolio.rejected", reason=reason)
        if entry.status == PENDING and entry.certifier is not None:
            return text("portfolio.pending_with", teacher=entry.certifier.name)
    return label


def _link_button(
    ctx: Ctx, student: Student, record: FileRecord | None, label_key: str
) -> dict[str, Any] | None:
    if record is None:
        return None
    link = file_link(ctx, None, record.id, (file_access.VIEWER_STUDENT, student.id), ctx.now)
    return button(m.uri_action(text(label_key), link))


def _postback(label_key: str, data: str, primary: bool = False) -> dict[str, Any]:
    label = text(label_key)
    return postback_button(label, data, primary)


def _bubble(ctx: Ctx, student: Student, entry: CourseOutcome | Performance) -> dict[str, Any]:
    buttons: list[dict[str, Any] | None] = []
    if isinstance(entry, CourseOutcome):
        kind, title = text("upload.item_name.course_outcome"), entry.course.subject
        buttons += [
            _link_button(ctx, student, entry.document, "portfolio.button_document"),
            _link_button(ctx, student, entry.video, "portfolio.button_video"),
        ]
        if entry.status == PENDING:
            buttons.append(
                _postback("portfolio.button_withdraw", f"{PREFIX}{WITHDRAW}{OUTCOME}:{entry.id}")
            )
        elif entry.status == REJECTED and outcomes.live_replacement(ctx.session, entry.id) is None:
            buttons.append(_postback("portfolio.button_replace", f"{REUPLOAD}{entry.id}", True))
        elif entry.status == DRAFT:
            buttons.append(
                _postback("portfolio.button_resume", f"{PREFIX}{RESUME}{OUTCOME}:{entry.id}", True)
            )
    else:
        kind, title = text("upload.item_name.performance"), type_label(entry.record_type)
        for proof in entry.proofs[:2]:
            buttons.append(_link_button(ctx, student, proof.file, "portfolio.button_proof"))
        if entry.status == SUBMITTED and entry.picked_at is None and not entry.entered_by_staff:
            editing = performance_edits.edit_draft_of(ctx.session, entry.id) is not None
            buttons.append(
                _postback(
                    "portfolio.button_edit_resume" if editing else "portfolio.button_edit",
                    f"{PREFIX}{EDIT}{PERF}:{entry.id}",
                    True,
                )
            )
            buttons.append(
                _postback("portfolio.button_withdraw", f"{PREFIX}{WITHDRAW}{PERF}:{entry.id}")
            )
        elif entry.status == DRAFT:
            buttons.append(
                _postback("portfolio.button_resume", f"{PREFIX}{RESUME}{PERF}:{entry.id}", True)
            )
    if (
        isinstance(entry, CourseOutcome)
        and entry.status == REJECTED
        and outcomes.live_replacement(ctx.session, entry.id) is not None
    ):
        status = text("portfolio.rejected_replaced")
    else:
        status = _status(entry)
    body: list[dict[str, Any]] = [
        {"type": "text", "text": kind, "size": "xs", "color": "#888888"},
        {"type": "text", "text": title, "weight": "bold", "size": "md", "wrap": True},
        {
            "type": "text",
            "text": status,
            "size": "sm",
            "wrap": True,
            "color": "#D9534F" if entry.status == REJECTED else "#1E7B34",
        },
        {
            "type": "text",
            "text": shorten(entry.summary or text("portfolio.no_summary"), SUMMARY_PREVIEW),
            "size": "sm",
            "wrap": True,
            "margin": "md",
        },
        {
            "type": "text",
            "text": text("portfolio.term", term=f"{entry.academic_year}-{entry.semester}"),
            "size": "xs",
            "color": "#888888",
            "margin": "sm",
        },
    ]
    bubble: dict[str, Any] = {
        "type": "bubble",
        "size": "kilo",
        "body": {"type": "box", "layout": "vertical", "contents": body},
    }
    kept = [b for b in buttons if b is not None]
    if kept:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": kept}
    return bubble


# --- the buttons ------------------------------------------------------------------------------


def _item_ref(rest: str) -> tuple[str, int] | None:
    kind, _, raw = rest.partition(":")
    if kind not in (OUTCOME, PERF):
        return None
    try:
        return kind, int(raw)
    except ValueError:
        return None


def on_button(ctx: Ctx, ident: Identity, inp: Input, rest: str) -> None:
    handle_button(ctx, rest)


def handle_button(ctx: Ctx, rest: str) -> None:
    """A tap on a 我的歷程 card (rest: the data after the prefix)."""
    student = current_student(ctx)
    if student is None:
        ctx.reply(m.text(text("desk.not_for_you")))
        return
    if rest == KEEP:
        ctx.reply(m.text(text("portfolio.kept")))
        return
    if rest.startswith(PAGE):
        try:
            page = int(rest[len(PAGE) :])
        except ValueError:
            page = 0
        show(ctx, student, page)
        return
    for prefix, action in (
        (WITHDRAW_SURE, _withdraw),
        (WITHDRAW, _ask_withdraw),
        (RESUME, _resume),
        (EDIT, _edit),
    ):
        if rest.startswith(prefix):
            ref = _item_ref(rest[len(prefix) :])
            if ref is not None:
                action(ctx, student, *ref)
                return
    ctx.reply(m.text(text("desk.stale_button")))


def _title(ctx: Ctx, student: Student, kind: str, item_id: int) -> str | None:
    if kind == OUTCOME:
        outcome = outcomes.own_outcome(ctx.session, student.id, item_id)
        return outcome.course.subject if outcome else None
    performance = performances.own_performance(ctx.session, student.id, item_id)
    return type_label(performance.record_type) if performance else None


def _ask_withdraw(ctx: Ctx, student: Student, kind: str, item_id: int) -> None:
    title = _title(ctx, student, kind, item_id)
    if title is None:
        ctx.reply(m.text(text("portfolio.not_found")))
        return
    what = text(
        "upload.item_name.course_outcome" if kind == OUTCOME else "upload.item_name.performance"
    )
    ctx.reply(
        m.confirm(
            text("portfolio.withdraw_question", title=title, what=what),
            text("portfolio.withdraw_question", title=shorten(title, 30), what=what),
            m.postback_action(
                text("portfolio.button_withdraw_sure"),
                f"{PREFIX}{WITHDRAW_SURE}{kind}:{item_id}",
                text("portfolio.button_withdraw_sure"),
            ),
            m.postback_action(
                text("portfolio.button_keep"), f"{PREFIX}{KEEP}", text("portfolio.button_keep")
            ),
        )
    )


def _withdraw(ctx: Ctx, student: Student, kind: str, item_id: int) -> None:
    try:
        if kind == OUTCOME:
            outcome = outcomes.withdraw_outcome(ctx.session, student.id, item_id, ctx.now)
            term = TermRef(outcome.academic_year, outcome.semester)
            title, item_kind = outcome.course.subject, COURSE_OUTCOME
        else:
            performance = performances.withdraw_performance(
                ctx.session, student.id, item_id, ctx.now
            )
            term = TermRef(performance.academic_year, performance.semester)
            title, item_kind = type_label(performance.record_type), PERFORMANCE
    except ItemError as exc:
        key = f"portfolio.cannot_withdraw_{exc.reason}"
        ctx.reply(m.text(text(key) if key in TEXTS else text("portfolio.cannot_withdraw")))
        return
    usage = item_counts.room(ctx.session, ctx.rules, item_kind, student.id, term)
    ctx.reply(
        m.text(
            text("portfolio.withdrawn", title=title, count=count_line(usage)),
            quick=[("我的歷程", "我的歷程")],
        )
    )


def _resume(ctx: Ctx, student: Student, kind: str, item_id: int) -> None:
    if kind == OUTCOME:
        ctx.start_flow(UPLOAD_FLOW, draft_id=item_id)
    else:
        ctx.start_flow(PERFORMANCE_FLOW, draft_id=item_id)


def _edit(ctx: Ctx, student: Student, kind: str, item_id: int) -> None:
    if kind != PERF:
        ctx.reply(m.text(text("desk.stale_button")))
        return
    ctx.start_flow(PERFORMANCE_FLOW, edit_id=item_id)


def register(desk: FrontDesk) -> None:
    desk.command("portfolio", ("我的學習歷程", "我的歷程"), (STUDENT,))(on_portfolio)
    desk.postback(PREFIX, (STUDENT,))(on_button)


# --- card taps inside an upload conversation ---


def card_tap_inside_flow(ctx: Ctx, inp: Input) -> bool:
    """A 我的歷程 card button tapped while an upload conversation is open.

    The front desk hands every input to the open conversation first, so the flow acts on the
    tap itself: withdrawing or paging happens without leaving the draft; starting another
    draft waits until this one is sent or cancelled (it would otherwise replace this one).
    """
    if inp.kind != "postback":
        return False
    if inp.data.startswith((REUPLOAD, PREFIX + RESUME, PREFIX + EDIT)):
        ctx.reply(m.text(text("upload.finish_current_first")))
        return True
    if inp.data.startswith(PREFIX):
        handle_button(ctx, inp.data[len(PREFIX) :])
        return True
    return False


def _taps_this_draft(ctx: Ctx, conv: Conversation, inp: Input) -> bool:
    """Whether a 繼續填寫 / 繼續修改 tap names the draft this conversation already holds."""
    if inp.kind != "postback" or not conv.data.get("draft_id"):
        return False
    draft_id = int(conv.data["draft_id"])
    for prefix in (PREFIX + RESUME, PREFIX + EDIT):
        ref = _item_ref(inp.data[len(prefix) :]) if inp.data.startswith(prefix) else None
        if ref is None:
            continue
        kind, item_id = ref
        if (kind == OUTCOME) != (conv.flow == UPLOAD_FLOW):
            return False
        if prefix == PREFIX + RESUME:
            return item_id == draft_id
        draft = ctx.session.get(Performance, draft_id)
        return draft is not None and draft.edits_id == item_id
    return False


def with_card_taps(run: StepFn) -> StepFn:
    """A step that also answers 我的歷程 card taps, staying where it is."""

    def guarded(ctx: Ctx, conv: Conversation, inp: Input) -> str:
        if _taps_this_draft(ctx, conv, inp):
            return conv.state  # 繼續 on the draft already open: its step again
        if card_tap_inside_flow(ctx, inp):
            return STAY
        return run(ctx, conv, inp)

    return guarded
