"""One LINE rich menu per role: the menu table, its layout and names (drawn in
bot/richmenu_drawing.py, kept in step with LINE by bot/richmenu_sync.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from linebot.v3.messaging import (
    PostbackAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
)

from catalogue import text
from runtime.line import MENU_ALIAS_PREFIX

# --- LINE limits and our naming -------------------------------------------------------------

MENU_WIDTH = 2500
MENU_HEIGHT_LARGE = 1686
MENU_HEIGHT_SMALL = 843
MAX_AREAS = 20
MAX_IMAGE_BYTES = 1024 * 1024
MAX_CHAT_BAR_TEXT = 14
MAX_ACTION_LABEL = 20
MAX_POSTBACK_DATA = 300
MAX_ALIAS_ID = 32
MAX_BATCH_OPERATIONS = 1000

MENU_NAME_PREFIX = "portfolio-"
ALIAS_PREFIX = MENU_ALIAS_PREFIX
POSTBACK_PREFIX = "menu:"
HASH_LENGTH = 10


# --- the menu table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MenuItem:
    """One tile: its catalogue name, the keyword that does the same when typed, postback data."""

    name: str
    keyword: str
    data: str
    glyph: str
    # closeRichMenu where the next step needs the chat's photo/file buttons.
    input_option: str | None = None

    @property
    def label(self) -> str:
        return text(f"menu.{self.name}.label")

    @property
    def hint(self) -> str:
        return text(f"menu.{self.name}.hint")


_UPLOAD = MenuItem("upload", "上傳", "menu:upload", "upload", "closeRichMenu")
_PERFORMANCE = MenuItem("performance", "多元表現", "menu:performance", "star", "closeRichMenu")
_PORTFOLIO = MenuItem("portfolio", "我的歷程", "menu:portfolio", "document")
_PICK = MenuItem("pick", "勾選", "menu:pick", "checkbox")
_ACCOUNT = MenuItem("account", "帳號", "menu:account", "person")
_HELP = MenuItem("help", "說明", "menu:help", "question")
_CERTIFY = MenuItem("certify", "待認證", "menu:certify", "seal")
_CLASS_PROGRESS = MenuItem("class_progress", "班級進度", "menu:class_progress", "chart")
# Consultation teachers are few and are also course teachers (often homeroom teachers too), so
# the tile sits on both teacher menus with a "consultation teachers only" hint instead of
# doubling the menus into teacher/homeroom x consultant variants; the handler answers others.
_CONSULT = MenuItem("consult", "諮詢紀錄", "menu:consult", "bubbles")
_CHILD_PROGRESS = MenuItem("child_progress", "孩子進度", "menu:child_progress", "chart")
_BRIEFING = MenuItem("briefing", "說明會", "menu:briefing", "calendar")
_TODO = MenuItem("todo", "待辦", "menu:todo", "clipboard")
_NOTICE = MenuItem("notice", "公告", "menu:notice", "megaphone")
_CONSOLE = MenuItem("console", "後台", "menu:console", "chart")

MENU_ITEMS: dict[str, tuple[MenuItem, ...]] = {
    "student": (_UPLOAD, _PERFORMANCE, _PORTFOLIO, _PICK, _HELP, _ACCOUNT),
    "teacher": (_CERTIFY, _CONSULT, _HELP),
    "homeroom": (_CERTIFY, _CLASS_PROGRESS, _CONSULT, _HELP),
    "guardian": (_CHILD_PROGRESS, _BRIEFING, _HELP),
    "staff": (_TODO, _NOTICE, _CONSOLE, _HELP),
    # A person's menu is the union of their roles: office staff who also teach or lead a class
    # keep their teacher buttons next to the office ones.
    "staff_teacher": (_TODO, _NOTICE, _CONSOLE, _CERTIFY, _CONSULT, _HELP),
    "staff_homeroom": (_TODO, _NOTICE, _CONSOLE, _CERTIFY, _CLASS_PROGRESS, _CONSULT, _HELP),
}

ROLES: tuple[str, ...] = tuple(MENU_ITEMS)

# (background, tile accent, pale accent for the icon disc)
ROLE_COLOURS: dict[str, tuple[str, str, str]] = {
    "student": ("#0B5E7A", "#0B7FA6", "#DDF1F8"),
    "teacher": ("#1F6B33", "#2E8B47", "#E0F2E5"),
    "homeroom": ("#1F6B33", "#2E8B47", "#E0F2E5"),
    "guardian": ("#8A3D12", "#C0561B", "#FBE8DC"),
    "staff": ("#2F3A8F", "#4352C2", "#E3E6F8"),
    "staff_teacher": ("#2F3A8F", "#4352C2", "#E3E6F8"),
    "staff_homeroom": ("#2F3A8F", "#4352C2", "#E3E6F8"),
}

_KEYWORD_BY_DATA: dict[str, str] = {
    item.data: item.keyword for items in MENU_ITEMS.values() for item in items
}


def keyword_for_postback(data: str) -> str | None:
    """The keyword a menu postback stands for (``"menu:upload"`` -> ``"上傳"``), else None."""
    return _KEYWORD_BY_DATA.get(data)


def alias_id(role: str) -> str:
    """The rich menu alias that always points at the current menu of a role."""
    _check_role(role)
    return f"{ALIAS_PREFIX}{role}"


def _check_role(role: str) -> None:
    if role not in MENU_ITEMS:
        raise ValueError(f"unknown menu role {role!r}; expected one of {', '.join(ROLES)}")


# --- layout -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    item: MenuItem
    x: int
    y: int
    width: int
    height: int


def menu_height(role: str) -> int:
    return MENU_HEIGHT_SMALL if len(MENU_ITEMS[role]) <= 4 else MENU_HEIGHT_LARGE


def layout(role: str) -> list[Tile]:
    """Tiles in reading order; together they cover the whole menu with no gap or overlap."""
    _check_role(role)
    items = MENU_ITEMS[role]
    rows = 1 if len(items) <= 4 else 2
    cols = math.ceil(len(items) / rows)
    height = menu_height(role)
    tiles = []
    for index, item in enumerate(items):
        row, col = divmod(index, cols)
        # The last tile of a short row stretches so the areas still cover the width.
        cols_in_row = min(cols, len(items) - row * cols)
        x0 = MENU_WIDTH * col // cols_in_row
        x1 = MENU_WIDTH * (col + 1) // cols_in_row
        y0 = height * row // rows
        y1 = height * (row + 1) // rows
        tiles.append(Tile(item, x0, y0, x1 - x0, y1 - y0))
    return tiles


def menu_request(role: str, name: str | None = None) -> RichMenuRequest:
    """The SDK request for a role's menu: one postback area per tile."""
    areas = [
        RichMenuArea(
            bounds=RichMenuBounds(x=t.x, y=t.y, width=t.width, height=t.height),
            action=PostbackAction(
                label=t.item.label,
                data=t.item.data,
                displayText=t.item.label,
                inputOption=t.item.input_option,
            ),
        )
        for t in layout(role)
    ]
    return RichMenuRequest(
        size=RichMenuSize(width=MENU_WIDTH, height=menu_height(role)),
        selected=True,
        name=name,
        chatBarText=text("menu.chat_bar"),
        areas=areas,
    )


# --- menu names --------------------------------------------------------------


def role_of_menu_name(name: str) -> str | None:
    """The role a menu name of ours belongs to, or None for anyone else's menu."""
    if not name.startswith(MENU_NAME_PREFIX):
        return None
    role, sep, digest = name[len(MENU_NAME_PREFIX) :].rpartition("-")
    if not sep or len(digest) != HASH_LENGTH:
        return None
    return role
