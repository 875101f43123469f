"""A small conversation engine: each flow is a table of steps (state → input → step → next).

Step functions return the next state's name. Global words work in every step: 取消 cancels,
說明 explains the step, 上一步 goes back. A flow that times out keeps its draft; the next time
the user comes back, the engine offers to continue it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.store import Conversation, ConversationStore

END = "__end__"
STAY = "__stay__"
RESUME = "__resume__"

CANCEL_WORDS = frozenset({"取消", "cancel", "結束"})
HELP_WORDS = frozenset({"說明", "help", "?", "？"})
BACK_WORDS = frozenset({"上一步", "返回", "back"})
RESUME_YES = "繼續草稿"
RESUME_NO = "捨棄草稿"

DEFAULT_TIMEOUT = timedelta(minutes=30)
MAX_HISTORY = 20


@dataclass(frozen=True)
class Input:
    """What the user just did, whatever LINE event carried it."""

    kind: str  # text, postback, image, video, audio, file, sticker, location
    text: str = ""
    data: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    message_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def word(self) -> str:
        return self.text.strip()


def input_from_event(event: dict[str, Any]) -> Input | None:
    kind = event.get("type")
    if kind == "postback":
        postback = event.get("postback") or {}
        return Input(
            "postback",
            data=str(postback.get("data") or ""),
            params=dict(postback.get("params") or {}),
        )
    if kind != "message":
        return None
    message = event.get("message") or {}
    mtype = str(message.get("type") or "")
    if mtype == "text":
        return Input("text", text=str(message.get("text") or ""))
    meta = {
        k: message[k]
        for k in ("imageSet", "fileName", "fileSize", "duration", "contentProvider")
        if k in message
    }
    return Input(mtype, message_id=str(message.get("id") or ""), meta=meta)


StepFn = Callable[[Ctx, Conversation, Input], str]
PromptFn = Callable[[Ctx, Conversation], list[dict[str, Any]]]


@dataclass(frozen=True)
class Step:
    accepts: frozenset[str]
    run: StepFn
    prompt: PromptFn
    # Said when input of a kind the step does not take arrives (before the prompt again).
    unexpected_key: str = "flow.unexpected"


def step(
    accepts: str | tuple[str, ...],
    run: StepFn,
    prompt: PromptFn,
    unexpected_key: str = "flow.unexpected",
) -> Step:
    kinds = (accepts,) if isinstance(accepts, str) else accepts
    return Step(frozenset(kinds), run, prompt, unexpected_key)


@dataclass(frozen=True)
class Flow:
    name: str
    steps: dict[str, Step]
    begin: Callable[[Ctx, Conversation, dict[str, Any]], str]
    timeout: timedelta = DEFAULT_TIMEOUT
    help_key: str = "flow.help"
    # Called on 取消 or 捨棄草稿, e.g. to delete a draft; returns a catalogue key to say.
    on_cancel: Callable[[Ctx, Conversation], str] | None = None
    # A flow with a durable draft is offered back to the user after a timeout.
    resumable: bool = False
    describe_draft: Callable[[Ctx, Conversation], str] | None = None


class FlowError(Exception):
    pass


class Engine:
    def __init__(self, flows: list[Flow]) -> None:
        self.flows: dict[str, Flow] = {}
        for flow in flows:
            if flow.name in self.flows:
                raise FlowError(f"flow {flow.name} is declared twice")
            for name in flow.steps:
                if name in (END, STAY, RESUME):
                    raise FlowError(f"{flow.name}: {name} is a reserved state name")
            self.flows[flow.name] = flow

    # --- starting -----------------------------------------------------------------------

    def start(self, ctx: Ctx, store: ConversationStore, flow_name: str, **args: Any) -> None:
        """Begin a flow, replacing any finished or abandoned one."""
        assert ctx.line_user_id
        flow = self.flows[flow_name]
        old = store.load(ctx.line_user_id)
        if (
            old is not None
            and old.flow in self.flows
            and self.flows[old.flow].resumable
            and old.data.get("draft_id")
            and old.flow != flow_name
        ):
            # Another unsent draft exists: keep it safe by offering it instead of dropping it.
            self._offer_resume(ctx, store, old)
            return
        conv = Conversation(ctx.line_user_id, flow_name, "", {})
        if (
            old is not None
            and old.flow == flow_name
            and old.data.get("draft_id")
            and flow.resumable
        ):
            self._offer_resume(ctx, store, old)
            return
        first = flow.begin(ctx, conv, args)
        self._enter(ctx, store, flow, conv, first, remember=False)

    def active(self, store: ConversationStore, line_user_id: str) -> Conversation | None:
        return store.load(line_user_id)

    # --- handling input -----------------------------------------------------------------

    def handle(self, ctx: Ctx, store: ConversationStore, inp: Input) -> bool:
        """Feed input to the user's conversation; False when there is none to feed."""
        assert ctx.line_user_id
        conv = store.load(ctx.line_user_id)
        if conv is None or conv.flow not in self.flows:
            if conv is not None:
                store.clear(ctx.line_user_id)
            return False
        flow = self.flows[conv.flow]
        word = inp.word if inp.kind == "text" else ""

        if conv.state == RESUME:
            return self._answer_resume(ctx, store, flow, conv, inp)
        if conv.expired(ctx.now):
            if flow.resumable and conv.data.get("draft_id"):
                self._offer_resume(ctx, store, conv)
                return True
            store.clear(ctx.line_user_id)
            return False

        if word in CANCEL_WORDS:
            key = flow.on_cancel(ctx, conv) if flow.on_cancel else "flow.cancelled"
            store.clear(ctx.line_user_id)
            ctx.reply(m.text(text(key)))
            return True
        if word in HELP_WORDS:
            ctx.reply(m.text(text(flow.help_key)))
            ctx.reply(*flow.steps[conv.state].prompt(ctx, conv))
            store.save(conv, ctx.now, flow.timeout)
            return True
        if word in BACK_WORDS:
            history = conv.history
            if history:
                previous = history.pop()
                self._enter(ctx, store, flow, conv, previous, remember=False)
            else:
                ctx.reply(m.text(text("flow.no_back")))
                ctx.reply(*flow.steps[conv.state].prompt(ctx, conv))
                store.save(conv, ctx.now, flow.timeout)
            return True

        current = flow.steps[conv.state]
        if inp.kind == "postback" and "postback" not in current.accepts:
            # A card button from elsewhere (a certification card, a notice): not this step's
            # input, so the front desk routes it and the conversation stays where it is.
            return False
        if inp.kind not in current.accepts:
            ctx.reply(m.text(text(current.unexpected_key)))
            ctx.reply(*current.prompt(ctx, conv))
            store.save(conv, ctx.now, flow.timeout)
            return True
        nxt = current.run(ctx, conv, inp)
        self._enter(ctx, store, flow, conv, nxt, remember=True)
        return True

    # --- internals ----------------------------------------------------------------------

    def _enter(
        self,
        ctx: Ctx,
        store: ConversationStore,
        flow: Flow,
        conv: Conversation,
        state: str,
        remember: bool,
    ) -> None:
        assert ctx.line_user_id
        if state == END:
            store.clear(ctx.line_user_id)
            return
        if state == STAY:
            store.save(conv, ctx.now, flow.timeout)
            return
        if state not in flow.steps:
            raise FlowError(f"{flow.name}: no state {state}")
        if remember and conv.state and conv.state != state:
            conv.history.append(conv.state)
            del conv.history[:-MAX_HISTORY]
        conv.state = state
        store.save(conv, ctx.now, flow.timeout)
        ctx.reply(*flow.steps[state].prompt(ctx, conv))

    def _offer_resume(self, ctx: Ctx, store: ConversationStore, conv: Conversation) -> None:
        flow = self.flows[conv.flow]
        if conv.state != RESUME:
            conv.data["_resume_state"] = conv.state
        conv.state = RESUME
        store.save(conv, ctx.now, flow.timeout)
        what = flow.describe_draft(ctx, conv) if flow.describe_draft else ""
        ctx.reply(
            m.text(
                text("flow.resume_offer", what=what),
                quick=[(RESUME_YES, RESUME_YES), (RESUME_NO, RESUME_NO)],
            )
        )

    def _answer_resume(
        self, ctx: Ctx, store: ConversationStore, flow: Flow, conv: Conversation, inp: Input
    ) -> bool:
        word = inp.word if inp.kind == "text" else ""
        if word == RESUME_YES:
            state = conv.data.pop("_resume_state", None) or next(iter(flow.steps))
            self._enter(ctx, store, flow, conv, state, remember=False)
            return True
        if word == RESUME_NO or word in CANCEL_WORDS:
            if flow.on_cancel:
                flow.on_cancel(ctx, conv)
            store.clear(conv.line_user_id)
            ctx.reply(m.text(text("flow.draft_discarded")))
            return True
        # Anything else: ask once more; nothing the user sent is acted on behind their back.
        self._offer_resume(ctx, store, conv)
        return True
