"""The front desk: who is talking, and what their words, taps and files start.

Unbound users reach only binding. Bound users' keywords and menu taps start commands (each
limited to the roles it serves); anything else goes to their open conversation, if any.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from catalogue import text
from flows import messages as m
from flows.context import Ctx
from flows.engine import BACK_WORDS, CANCEL_WORDS, HELP_WORDS, Engine, Flow, Input
from flows.store import SqlConversationStore
from storage import accounts
from storage.identity import Identity, identify

log = logging.getLogger(__name__)

CommandFn = Callable[[Ctx, Identity, Input], None]
PostbackFn = Callable[[Ctx, Identity, Input, str], None]
AfterReplyFn = Callable[[Ctx, Identity], None]

MENU_PREFIX = "menu:"
FLOW_WORDS = CANCEL_WORDS | HELP_WORDS | BACK_WORDS
CONTENT_KINDS = frozenset({"image", "video", "audio", "file"})

# Menu actions every role's rich menu may show; those without a command yet say so kindly.
MENU_ACTIONS = {
    "upload": "上傳",
    "performance": "多元表現",
    "portfolio": "我的歷程",
    "pick": "勾選",
    "account": "帳號",
    "help": "說明",
    "certify": "待認證",
    "class_progress": "班級進度",
    "consult": "諮詢紀錄",
    "child_progress": "孩子進度",
    "briefing": "說明會",
    "todo": "待辦",
    "notice": "公告",
    "console": "後台",
}


@dataclass(frozen=True)
class Command:
    action: str
    roles: frozenset[str]
    run: CommandFn
    # Whether the fallback quick replies offer it to this person (default: whoever may use it).
    offered: Callable[[Identity], bool] | None = None


class DeskError(ValueError):
    pass


@dataclass
class FrontDesk:
    commands: dict[str, Command] = field(default_factory=dict)
    keywords: dict[str, str] = field(default_factory=dict)
    postbacks: dict[str, tuple[frozenset[str], PostbackFn]] = field(default_factory=dict)
    flows: list[Flow] = field(default_factory=list)
    after_reply: list[AfterReplyFn] = field(default_factory=list)
    # Tried in order on text no keyword or conversation took (e.g. a second binding code).
    text_fallbacks: list[Callable[[Ctx, Identity, Input], bool]] = field(default_factory=list)
    unbound: Callable[[Ctx, Input], None] | None = None
    _engine: Engine | None = None

    # --- wiring ---------------------------------------------------------------------------

    def command(
        self,
        action: str,
        keywords: tuple[str, ...],
        roles: tuple[str, ...],
        offered: Callable[[Identity], bool] | None = None,
    ) -> Callable[[CommandFn], CommandFn]:
        def decorate(func: CommandFn) -> CommandFn:
            if action in self.commands:
                raise DeskError(f"command {action} is registered twice")
            self.commands[action] = Command(action, frozenset(roles), func, offered)
            for word in keywords:
                if word in self.keywords:
                    raise DeskError(f"keyword {word} already starts {self.keywords[word]}")
                self.keywords[word] = action
            return func

        return decorate

    def postback(self, prefix: str, roles: tuple[str, ...]) -> Callable[[PostbackFn], PostbackFn]:
        def decorate(func: PostbackFn) -> PostbackFn:
            if prefix in self.postbacks or prefix == MENU_PREFIX:
                raise DeskError(f"postback prefix {prefix} is registered twice")
            self.postbacks[prefix] = (frozenset(roles), func)
            return func

        return decorate

    def add_flow(self, flow: Flow) -> None:
        self.flows.append(flow)
        self._engine = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = Engine(self.flows)
        return self._engine

    # --- handling -------------------------------------------------------------------------

    def handle(self, ctx: Ctx, inp: Input) -> None:
        if not ctx.line_user_id:
            return
        ctx.desk = self
        ctx.account = accounts.ensure(ctx.session, ctx.line_user_id, ctx.now, ctx.account)
        ident = identify(ctx.session, ctx.account)
        if ident is None or not ident.bound:
            if self.unbound is not None:
                self.unbound(ctx, inp)
            else:
                ctx.reply(m.text(text("bind.how_to")))
            return
        self._handle_bound(ctx, ident, inp)
        if ctx.replies:
            for hook in self.after_reply:
                hook(ctx, ident)

    def _handle_bound(self, ctx: Ctx, ident: Identity, inp: Input) -> None:
        store = SqlConversationStore(ctx.session)
        if inp.kind == "text" and inp.word in FLOW_WORDS and store.load(ctx.line_user_id or ""):
            # 說明, 取消 and 上一步 inside a conversation belong to the conversation.
            if self.engine.handle(ctx, store, inp):
                return
        action = self.action_for(inp)
        if action is not None:
            self.run_action(ctx, ident, inp, action)
            return
        if self.engine.handle(ctx, store, inp):
            return
        if inp.kind == "postback":
            for prefix, (roles, func) in self.postbacks.items():
                if inp.data.startswith(prefix):
                    if not ident.has(*roles):
                        ctx.reply(m.text(text("desk.not_for_you")))
                        return
                    func(ctx, ident, inp, inp.data[len(prefix) :])
                    return
            ctx.reply(m.text(text("desk.stale_button")))
            return
        if inp.kind == "text":
            for fallback in self.text_fallbacks:
                if fallback(ctx, ident, inp):
                    return
            ctx.reply(m.text(text("general.unknown_input"), quick=self.quick_menu(ident)))
            return
        if inp.kind in CONTENT_KINDS:
            ctx.reply(m.text(text("desk.file_without_flow"), quick=self.quick_menu(ident)))
        else:  # a sticker, a location: friendly, and pointing at what the bot can do
            ctx.reply(m.text(text("general.unknown_input"), quick=self.quick_menu(ident)))

    def action_for(self, inp: Input) -> str | None:
        if inp.kind == "text":
            return self.keywords.get(inp.word)
        if inp.kind == "postback" and inp.data.startswith(MENU_PREFIX):
            return inp.data[len(MENU_PREFIX) :] or None
        return None

    def run_action(self, ctx: Ctx, ident: Identity, inp: Input, action: str) -> None:
        command = self.commands.get(action)
        if command is None:
            label = MENU_ACTIONS.get(action)
            if label is None:
                ctx.reply(m.text(text("desk.stale_button")))
            else:
                ctx.reply(m.text(text("general.coming_soon", feature=label)))
            return
        if command.roles and not ident.has(*command.roles):
            ctx.reply(m.text(text("desk.not_for_you")))
            return
        command.run(ctx, ident, inp)

    def start_flow(self, ctx: Ctx, flow: str, **args: object) -> None:
        self.engine.start(ctx, SqlConversationStore(ctx.session), flow, **args)

    def quick_menu(self, ident: Identity) -> list[tuple[str, str]]:
        """A few keywords for this person's role, as quick replies."""
        words: dict[str, str] = {}
        for word, action in self.keywords.items():
            # The first keyword of each action the person may use, in registration order.
            if (
                action not in words.values()
                and action in self.commands
                and action not in ("unbind",)
                and self._allowed(ident, self.commands[action])
                and self._offered(ident, self.commands[action])
            ):
                words[word] = action
        return [(w, w) for w in list(words)[:12]]

    @staticmethod
    def _offered(ident: Identity, command: Command) -> bool:
        return command.offered is None or command.offered(ident)

    @staticmethod
    def _allowed(ident: Identity, command: Command) -> bool:
        return not command.roles or ident.has(*command.roles)
