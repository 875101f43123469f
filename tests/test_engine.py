"""The flow engine on its own: steps as a table, 上一步 / 取消 / 說明, timeouts and drafts offered
back. No database and no LINE: a context with a clock, and the in-memory store that passes the
conversation store contract (tests/test_conversation_store.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import (
    END,
    RESUME,
    RESUME_NO,
    RESUME_YES,
    STAY,
    Engine,
    Flow,
    FlowError,
    Input,
    step,
)
from flows.store import Conversation
from tests.test_conversation_store import NOW, USER, MemoryConversationStore


def _prompt(name: str) -> Any:
    return lambda ctx, conv: [m.text(f"prompt {name}")]


def _to(state: str) -> Any:
    def run(ctx: Ctx, conv: Conversation, inp: Input) -> str:
        conv.data.setdefault("said", []).append(inp.word)
        return state

    return run


def _begin(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> str:
    conv.data.update(args)
    return "ask"


CANCELLED: list[int] = []


def _cancel(ctx: Ctx, conv: Conversation) -> str:
    CANCELLED.append(conv.data.get("draft_id", 0))
    return "flow.draft_discarded"


FORM = Flow(
    "form",
    {
        "ask": step("text", _to("confirm"), _prompt("ask")),
        "confirm": step(("text", "image"), _to(END), _prompt("confirm"), "flow.no_back"),
        "wait": step("text", _to(STAY), _prompt("wait")),
    },
    _begin,
)
DRAFT = Flow(
    "draft",
    {
        "ask": step("text", _to("more"), _prompt("draft ask")),
        "more": step("text", _to(END), _prompt("draft more")),
    },
    _begin,
    resumable=True,
    on_cancel=_cancel,
    describe_draft=lambda ctx, conv: "（草稿）",
)


def _ctx(minutes: int = 0) -> Ctx:
    ctx = Ctx(
        session=None,  # type: ignore[arg-type]
        clock=None,  # type: ignore[arg-type]
        now=NOW + timedelta(minutes=minutes),
        outbox=None,  # type: ignore[arg-type]
        rules=None,  # type: ignore[arg-type]
        files=None,  # type: ignore[arg-type]
        secret_key="",
        public_base_url="",
        line_user_id=USER,
    )
    return ctx


def _said(ctx: Ctx) -> list[str]:
    return [reply["text"] for reply in ctx.replies]


@pytest.fixture
def engine() -> Engine:
    CANCELLED.clear()
    return Engine([FORM, DRAFT])


@pytest.fixture
def store() -> MemoryConversationStore:
    return MemoryConversationStore()


def _say(engine: Engine, store: MemoryConversationStore, words: str, minutes: int = 0) -> Ctx:
    ctx = _ctx(minutes)
    assert engine.handle(ctx, store, Input("text", text=words))
    return ctx


def test_a_flow_starts_at_the_state_begin_names_and_prompts(engine: Engine, store: Any) -> None:
    ctx = _ctx()
    engine.start(ctx, store, "form", draft_id=5)
    assert _said(ctx) == ["prompt ask"]
    conv = store.load(USER)
    assert (conv.flow, conv.state, conv.data) == ("form", "ask", {"draft_id": 5})
    assert conv.expires_at == NOW + FORM.timeout


def test_each_step_names_the_next_and_end_clears(engine: Engine, store: Any) -> None:
    engine.start(_ctx(), store, "form")
    assert _said(_say(engine, store, "第一")) == ["prompt confirm"]
    assert store.load(USER).history == ["ask"]
    assert _said(_say(engine, store, "好")) == []
    assert store.load(USER) is None


def test_stay_keeps_the_state_without_prompting_again(engine: Engine, store: Any) -> None:
    ctx = _ctx()
    engine.start(ctx, store, "form")
    conv = store.load(USER)
    conv.state = "wait"
    store.save(conv, NOW, FORM.timeout)
    assert _said(_say(engine, store, "嗯", minutes=10)) == []
    assert store.load(USER).state == "wait"
    assert store.load(USER).expires_at == NOW + timedelta(minutes=10) + FORM.timeout


def test_back_returns_to_the_previous_step(engine: Engine, store: Any) -> None:
    engine.start(_ctx(), store, "form")
    _say(engine, store, "第一")
    assert _said(_say(engine, store, "上一步")) == ["prompt ask"]
    assert store.load(USER).state == "ask"
    assert _said(_say(engine, store, "上一步")) == [text("flow.no_back"), "prompt ask"]


def test_help_explains_and_prompts_again(engine: Engine, store: Any) -> None:
    engine.start(_ctx(), store, "form")
    assert _said(_say(engine, store, "說明")) == [text("flow.help"), "prompt ask"]
    assert store.load(USER).state == "ask"


def test_cancel_clears_and_says_so(engine: Engine, store: Any) -> None:
    engine.start(_ctx(), store, "form")
    assert _said(_say(engine, store, "取消")) == [text("flow.cancelled")]
    assert store.load(USER) is None


def test_input_of_another_kind_is_refused_with_the_steps_own_words(
    engine: Engine, store: Any
) -> None:
    engine.start(_ctx(), store, "form")
    _say(engine, store, "第一")
    ctx = _ctx()
    assert engine.handle(ctx, store, Input("sticker"))
    assert _said(ctx) == [text("flow.no_back"), "prompt confirm"]
    assert store.load(USER).state == "confirm"


def test_a_button_the_step_does_not_take_goes_back_to_the_desk(engine: Engine, store: Any) -> None:
    engine.start(_ctx(), store, "form")
    ctx = _ctx()
    assert not engine.handle(ctx, store, Input("postback", data="certify:approve:1"))
    assert ctx.replies == []
    assert store.load(USER).state == "ask"


def test_without_a_conversation_nothing_is_handled(engine: Engine, store: Any) -> None:
    assert not engine.handle(_ctx(), store, Input("text", text="你好"))
    store.save(Conversation(USER, "gone", "x", {}), NOW, FORM.timeout)
    assert not engine.handle(_ctx(), store, Input("text", text="你好"))
    assert store.load(USER) is None  # a flow that no longer exists is cleared


def test_a_timed_out_conversation_without_a_draft_ends_quietly(engine: Engine, store: Any) -> None:
    engine.start(_ctx(), store, "form")
    ctx = _ctx(minutes=31)
    assert not engine.handle(ctx, store, Input("text", text="第一"))
    assert ctx.replies == [] and store.load(USER) is None


def test_a_timed_out_draft_is_offered_back_and_resumed_where_it_was(
    engine: Engine, store: Any
) -> None:
    engine.start(_ctx(), store, "draft", draft_id=9)
    _say(engine, store, "第一")
    ctx = _say(engine, store, "第二", minutes=45)
    assert _said(ctx) == [text("flow.resume_offer", what="（草稿）")]
    assert store.load(USER).state == RESUME
    # Anything but an answer asks again and does nothing behind the person's back.
    assert _said(_say(engine, store, "第二", minutes=46)) == _said(ctx)
    assert _said(_say(engine, store, RESUME_YES, minutes=47)) == ["prompt draft more"]
    assert store.load(USER).data["said"] == ["第一"]


def test_a_discarded_draft_is_cancelled_by_its_flow(engine: Engine, store: Any) -> None:
    engine.start(_ctx(), store, "draft", draft_id=9)
    _say(engine, store, "第一", minutes=45)
    assert _said(_say(engine, store, RESUME_NO, minutes=46)) == [text("flow.draft_discarded")]
    assert CANCELLED == [9] and store.load(USER) is None


def test_starting_another_flow_keeps_an_unsent_draft_safe(engine: Engine, store: Any) -> None:
    engine.start(_ctx(), store, "draft", draft_id=9)
    ctx = _ctx()
    engine.start(ctx, store, "form")
    assert _said(ctx) == [text("flow.resume_offer", what="（草稿）")]
    conv = store.load(USER)
    assert (conv.flow, conv.state) == ("draft", RESUME)


def test_a_table_with_a_reserved_or_repeated_name_is_refused() -> None:
    with pytest.raises(FlowError):
        Engine([FORM, FORM])
    with pytest.raises(FlowError):
        Engine([Flow("bad", {END: step("text", _to(END), _prompt("x"))}, _begin)])


def test_a_step_naming_no_state_is_an_error(engine: Engine, store: Any) -> None:
    broken = Flow("broken", {"ask": step("text", _to("nowhere"), _prompt("x"))}, _begin)
    engine = Engine([broken])
    engine.start(_ctx(), store, "broken")
    with pytest.raises(FlowError):
        _say(engine, store, "走")
