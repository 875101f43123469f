"""收訖明細 in chat: the student answers each received item 正確, or 有誤 with a note.

Each answer is stored as it is given; the conversation only remembers which item comes next,
so a timeout costs nothing: saying 收訖明細 again asks the items still without an answer.
"""

from __future__ import annotations

from typing import Any, Final

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import END, Flow, Input, step
from flows.frontdesk import FrontDesk
from flows.picking_cards import item_label, item_title
from flows.store import Conversation
from school import receipts
from school.receipts import OpenItem
from storage.clock import format_date, format_datetime
from storage.identity import STUDENT, Identity
from storage.models.picking import ANSWER_CORRECT, ANSWER_WRONG

FLOW: Final = "confirm_receipt"
SUMMARY_CHARS: Final = 80


def _student_id(ctx: Ctx) -> int | None:
    return ctx.account.student_id if ctx.account is not None else None


def _open(ctx: Ctx) -> list[OpenItem]:
    student_id = _student_id(ctx)
    return receipts.open_items(ctx.session, student_id, ctx.now) if student_id else []


def _begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    student_id = _student_id(ctx)
    if student_id is None:
        ctx.reply(m.text(text("desk.not_for_you")))
        return END
    items = _open(ctx)
    if not items:
        closed = receipts.latest_deadline(ctx.session, student_id)
        if closed is not None and closed < ctx.now:
            ctx.reply(m.text(text("picking.receipt.closed", end=format_datetime(closed))))
        else:
            ctx.reply(m.text(text("picking.receipt.nothing")))
        return END
    waiting = [i.receipt_item_id for i in items if i.answer is None]
    if args.get("redo"):
        waiting = [i.receipt_item_id for i in items]
    if not waiting:
        return "answered"
    conv.data.update({"queue": waiting, "pos": 0, "wrong": 0})
    return _next(ctx, conv)


def _current(ctx: Ctx, conv: Conversation) -> OpenItem | None:
    queue: list[int] = conv.data.get("queue", [])
    pos = int(conv.data.get("pos", 0))
    student_id = _student_id(ctx)
    if pos >= len(queue) or student_id is None:
        return None
    return receipts.open_item(ctx.session, student_id, queue[pos])


def _next(ctx: Ctx, conv: Conversation) -> str:
    """The next item to ask, or the end (said) when every item has an answer or time is up."""
    queue: list[int] = conv.data.get("queue", [])
    pos = int(conv.data.get("pos", 0))
    while pos < len(queue):
        conv.data["pos"] = pos
        current = _current(ctx, conv)
        if current is None:  # superseded by a newer list meanwhile: not asked
            pos += 1
            continue
        if current.respond_until < ctx.now:
            ctx.reply(
                m.text(text("picking.receipt.closed", end=format_datetime(current.respond_until)))
            )
            return END
        return "item"
    conv.data["pos"] = pos
    said = text("picking.receipt.done", total=len(queue))
    if conv.data.get("wrong"):
        said += "\n" + text("picking.receipt.done_wrong", count=conv.data["wrong"])
    ctx.reply(m.text(said))
    return END


def _prompt_item(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    current = _current(ctx, conv)
    if current is None:  # superseded between two messages: the next answer moves on
        return [m.text(text("picking.receipt.nothing"))]
    item = current.item
    summary = (item.summary[:SUMMARY_CHARS] if item else "") or ""
    central = (
        text("picking.receipt.central", description=current.description)
        if current.description
        else ""
    )
    body = text(
        "picking.receipt.item",
        n=int(conv.data["pos"]) + 1,
        total=len(conv.data["queue"]),
        until=format_date(current.respond_until),
        label=item_label(item) if item else current.ref,
        title=item_title(item) if item else text("picking.receipt.unknown_item", ref=current.ref),
        summary=summary,
        central=central,
    )
    ok, wrong = text("picking.receipt.button.ok"), text("picking.receipt.button.wrong")
    return [m.text(body, quick=[(ok, ok), (wrong, wrong)])]


def _run_item(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    student_id = _student_id(ctx)
    current = _current(ctx, conv)
    if student_id is None or current is None:
        return _next(ctx, conv)
    if inp.word == text("picking.receipt.button.ok"):
        return _record(ctx, conv, student_id, current, ANSWER_CORRECT, None)
    if inp.word == text("picking.receipt.button.wrong"):
        return "note"
    ctx.reply(m.text(text("picking.receipt.use_buttons")))
    return "item"


def _prompt_note(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    return [m.text(text("picking.receipt.ask_note"))]


def _run_note(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    student_id = _student_id(ctx)
    current = _current(ctx, conv)
    if student_id is None or current is None:
        return _next(ctx, conv)
    conv.data["wrong"] = int(conv.data.get("wrong", 0)) + 1
    ctx.reply(m.text(text("picking.receipt.noted")))
    return _record(ctx, conv, student_id, current, ANSWER_WRONG, inp.text)


def _record(
    ctx: Ctx, conv: Conversation, student_id: int, current: OpenItem, answer: str, note: str | None
) -> str:
    result = receipts.record_answer(
        ctx.session, student_id, current.receipt_item_id, answer, note, ctx.now
    )
    if result == "closed":
        ctx.reply(
            m.text(text("picking.receipt.closed", end=format_datetime(current.respond_until)))
        )
        return END
    conv.data["pos"] = int(conv.data.get("pos", 0)) + 1
    return _next(ctx, conv)


def _prompt_answered(ctx: Ctx, conv: Conversation) -> list[dict[str, Any]]:
    items = _open(ctx)
    wrong = sum(1 for i in items if i.answer == ANSWER_WRONG)
    until = max((i.respond_until for i in items), default=ctx.now)
    redo = text("picking.receipt.button.redo")
    return [
        m.text(
            text("picking.receipt.all_answered", wrong=wrong, until=format_date(until)),
            quick=[(redo, redo)],
        )
    ]


def _run_answered(ctx: Ctx, conv: Conversation, inp: Input) -> str:
    if inp.word != text("picking.receipt.button.redo"):
        ctx.reply(m.text(text("flow.cancelled")))
        return END
    conv.data.update({"queue": [i.receipt_item_id for i in _open(ctx)], "pos": 0, "wrong": 0})
    return _next(ctx, conv)


CONFIRM_RECEIPT = Flow(
    name=FLOW,
    steps={
        "item": step("text", _run_item, _prompt_item),
        "note": step("text", _run_note, _prompt_note),
        "answered": step("text", _run_answered, _prompt_answered),
    },
    begin=_begin,
)


def on_receipts(ctx: Ctx, ident: Identity, inp: Input) -> None:
    ctx.start_flow(FLOW)


def register(desk: FrontDesk) -> None:
    desk.command("confirm_receipt", ("收訖明細", "收訖確認"), (STUDENT,))(on_receipts)
    desk.add_flow(CONFIRM_RECEIPT)
