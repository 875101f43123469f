"""One LINE rich menu per role: the menu table, generated tile images, and idempotent sync."""

from __future__ import annotations

import functools
import glob
import hashlib
import io
import logging
import math
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from linebot.v3.messaging import (
    ApiException,
    CreateRichMenuAliasRequest,
    MessagingApi,
    MessagingApiBlob,
    PostbackAction,
    RichMenuArea,
    RichMenuBatchLinkOperation,
    RichMenuBatchProgressPhase,
    RichMenuBatchRequest,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    UpdateRichMenuAliasRequest,
)
from PIL import Image, ImageDraw, ImageFont

from catalogue import text
from runtime.line import (
    MENU_ALIAS_PREFIX,
    link_menu_alias,
    menu_alias_target,
)

log = logging.getLogger(__name__)

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

# (connect, read) seconds; the image upload gets a longer read budget than JSON calls.
REQUEST_TIMEOUT: tuple[float, float] = (3.05, 10.0)
UPLOAD_TIMEOUT: tuple[float, float] = (3.05, 30.0)
MIGRATION_TIMEOUT_SECONDS = 60.0
MIGRATION_POLL_SECONDS = 2.0

FONT_ENV_VAR = "PORTFOLIO_CJK_FONT"
FONT_INSTALL_HINT = (
    "No CJK (Traditional Chinese) font was found. Install one, e.g. on Debian/Ubuntu "
    "`apt-get install fonts-wqy-microhei` (1.6 MB), `fonts-wqy-zenhei` or `fonts-noto-cjk` "
    f"(larger, nicer), or pass font_path= / set {FONT_ENV_VAR} to a .ttf/.otf/.ttc file."
)


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
    "staff_homeroom": (_TODO, _NOTICE, _CONSOLE, _CERTIFY, _CLASS_PROGRESS, _CONSULT,
                       _HELP),
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


# --- fonts ------------------------------------------------------------------------------------


class FontNotFound(RuntimeError):
    pass


_FONT_ROOTS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/System/Library/Fonts",
    "/Library/Fonts",
    "C:/Windows/Fonts",
)
# Best first: a real bold face reads best on a phone; Traditional-Chinese-capable fallbacks after.
_FONT_PATTERNS = (
    "NotoSansCJK*-Bold.tt[cf]",
    "NotoSansCJKtc-Bold.otf",
    "NotoSansTC-Bold.*tf",
    "NotoSansCJK*-Medium.tt[cf]",
    "NotoSansCJK*-Regular.tt[cf]",
    "NotoSansCJKtc-Regular.otf",
    "NotoSansTC*.*tf",
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "DroidSansFallbackFull.ttf",
    "DroidSansFallback.ttf",
    "msjhbd.ttc",
    "msjh.ttc",
    "PingFang.ttc",
    "uming.ttc",
)


def find_cjk_font(font_path: str | os.PathLike[str] | None = None) -> Path:
    """A font file that can draw Traditional Chinese: the argument (the PORTFOLIO_CJK_FONT
    setting, passed on by the caller), or a search."""
    explicit = font_path
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise FontNotFound(f"font file {path} does not exist. {FONT_INSTALL_HINT}")
        return path
    for pattern in _FONT_PATTERNS:
        for root in _FONT_ROOTS:
            hits = sorted(glob.glob(f"{os.path.expanduser(root)}/**/{pattern}", recursive=True))
            if hits:
                return Path(hits[0])
    found = _fc_list_font()
    if found is not None:
        return found
    raise FontNotFound(FONT_INSTALL_HINT)


def _fc_list_font() -> Path | None:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run(
            [fc_list, ":lang=zh-tw", "file"], check=False, capture_output=True, text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.split(":", 1)[0].strip() for line in out.splitlines() if line.strip())
    return Path(files[0]) if files else None


def _load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    """The face of a font collection meant for Traditional Chinese (Noto's .ttc holds JP first)."""
    if path.suffix.lower() != ".ttc":
        return ImageFont.truetype(str(path), size)
    chosen = 0
    for index in range(16):
        try:
            family = ImageFont.truetype(str(path), 12, index=index).getname()[0] or ""
        except OSError:
            break
        if family.endswith((" TC", " HK")) or "JhengHei" in family:
            chosen = index
            break
    return ImageFont.truetype(str(path), size, index=chosen)


def _is_bold(font: ImageFont.FreeTypeFont, path: Path) -> bool:
    style = font.getname()[1] or ""
    return "bold" in style.lower() or "bold" in path.name.lower() or "bd." in path.name.lower()


# --- images -----------------------------------------------------------------------------------

# Render at twice the size and shrink: Pillow draws shapes without anti-aliasing.
_SUPERSAMPLE = 2
_INK = "#1A1A1A"
_HINT_INK = "#4A4A4A"
_TILE = "#FFFFFF"


def render_menu_image(role: str, font_path: str | os.PathLike[str] | None = None) -> bytes:
    """The menu picture of a role as PNG bytes (JPEG if PNG would pass LINE's 1 MB limit)."""
    _check_role(role)
    path = find_cjk_font(font_path)
    wanted = "".join(item.label + item.hint for item in MENU_ITEMS[role])
    missing = missing_glyphs(path, wanted)
    if missing:
        raise FontNotFound(f"font {path} cannot draw {missing!r}. {FONT_INSTALL_HINT}")
    # Rendering takes about a second; the bytes only depend on the inputs, so keep them.
    return _render(role, path, os.stat(path).st_mtime_ns, _menu_texts(role))


def _menu_texts(role: str) -> tuple[str, ...]:
    return tuple(t for item in MENU_ITEMS[role] for t in (item.label, item.hint))


def missing_glyphs(path: Path, wanted: str) -> str:
    """The characters of wanted that the font would draw as its 'missing' box (tofu)."""
    font = _load_font(path, 48)
    tofu = _mask_signature(font, "\U0010FFFD")
    seen: list[str] = []
    for char in dict.fromkeys(wanted):
        if not char.isspace() and _mask_signature(font, char) == tofu:
            seen.append(char)
    return "".join(seen)


def _mask_signature(font: ImageFont.FreeTypeFont, char: str) -> tuple[tuple[int, int], bytes]:
    mask = font.getmask(char)
    return mask.size, bytes(mask)


@functools.lru_cache(maxsize=32)
def _render(role: str, path: Path, _mtime: int, _texts: tuple[str, ...]) -> bytes:
    s = _SUPERSAMPLE
    height = menu_height(role)
    background, accent, pale = ROLE_COLOURS[role]
    image = Image.new("RGB", (MENU_WIDTH * s, height * s), background)
    draw = ImageDraw.Draw(image)
    tiles = layout(role)

    gap = 14 * s
    label_size = _fitting_size(
        path, [t.item.label for t in tiles], min(t.width for t in tiles) * s - 10 * gap, 150 * s
    )
    hint_size = _fitting_size(
        path, [t.item.hint for t in tiles], min(t.width for t in tiles) * s - 8 * gap, 62 * s
    )
    label_font = _load_font(path, label_size)
    hint_font = _load_font(path, hint_size)
    stroke = 0 if _is_bold(label_font, path) else max(1, label_size // 40)

    for tile in tiles:
        box = (
            tile.x * s + gap,
            tile.y * s + gap,
            (tile.x + tile.width) * s - gap,
            (tile.y + tile.height) * s - gap,
        )
        draw.rounded_rectangle(box, radius=48 * s, fill=_TILE)
        cx = (box[0] + box[2]) // 2
        tile_h = box[3] - box[1]
        radius = int(tile_h * 0.2)
        block = 2 * radius + int(0.06 * tile_h) + label_size + int(0.04 * tile_h) + hint_size
        top = box[1] + (tile_h - block) // 2
        icon_cy = top + radius
        draw.ellipse((cx - radius, icon_cy - radius, cx + radius, icon_cy + radius), fill=pale)
        _GLYPHS[tile.item.glyph](draw, cx, icon_cy, int(radius * 0.62), accent, label_font)
        label_y = icon_cy + radius + int(0.06 * tile_h)
        draw.text(
            (cx, label_y), tile.item.label, font=label_font, fill=_INK, anchor="mt",
            stroke_width=stroke, stroke_fill=_INK,
        )
        hint_y = label_y + label_size + int(0.04 * tile_h)
        draw.text((cx, hint_y), tile.item.hint, font=hint_font, fill=_HINT_INK, anchor="mt")

    image = image.resize((MENU_WIDTH, height), Image.Resampling.LANCZOS)
    return _encode(image)


def _fitting_size(path: Path, texts: Sequence[str], max_width: int, largest: int) -> int:
    """The largest font size (≤ largest) at which every text fits max_width: one size per menu."""
    size = largest
    while size > 12:
        font = _load_font(path, size)
        if all(font.getlength(t) <= max_width for t in texts):
            return size
        size = int(size * 0.92)
    return size


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # A palette PNG keeps flat tiles crisp and small; the colour count stays well under 256.
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True
    )
    if out.tell() < MAX_IMAGE_BYTES:
        return out.getvalue()
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88, optimize=True)
    if out.tell() >= MAX_IMAGE_BYTES:
        raise ValueError("rich menu image is over LINE's 1 MB limit even as JPEG")
    return out.getvalue()


def image_content_type(image: bytes) -> str:
    return "image/png" if image.startswith(b"\x89PNG") else "image/jpeg"


# Glyphs: simple pictograms from shapes, drawn centred on (cx, cy) within radius r.
GlyphDrawer = Callable[[ImageDraw.ImageDraw, int, int, int, str, ImageFont.FreeTypeFont], None]


def _glyph_upload(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    w = max(2, r // 7)
    # tray
    d.line(
        [(cx - r, cy + r * 0.35), (cx - r, cy + r), (cx + r, cy + r), (cx + r, cy + r * 0.35)],
        fill=c, width=w, joint="curve",
    )
    # arrow
    d.line([(cx, cy + r * 0.55), (cx, cy - r * 0.5)], fill=c, width=w)
    d.polygon([(cx, cy - r), (cx - r * 0.55, cy - r * 0.35), (cx + r * 0.55, cy - r * 0.35)],
              fill=c)


def _glyph_star(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.42
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + r * 0.08 + radius * math.sin(angle)))
    d.polygon(points, fill=c)


def _glyph_document(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    w = max(2, r // 8)
    d.rounded_rectangle((cx - r * 0.72, cy - r, cx + r * 0.72, cy + r), radius=r // 6,
                        outline=c, width=w)
    for k, frac in enumerate((-0.45, -0.05, 0.35)):
        right = 0.45 if k < 2 else 0.1
        y = cy + r * frac
        d.line([(cx - r * 0.42, y), (cx + r * right, y)], fill=c, width=w)


def _glyph_checkbox(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    w = max(2, r // 7)
    d.rounded_rectangle((cx - r * 0.85, cy - r * 0.85, cx + r * 0.85, cy + r * 0.85),
                        radius=r // 5, outline=c, width=w)
    d.line([(cx - r * 0.45, cy), (cx - r * 0.1, cy + r * 0.38), (cx + r * 0.55, cy - r * 0.42)],
           fill=c, width=int(w * 1.3), joint="curve")


def _glyph_person(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    head = r * 0.38
    d.ellipse((cx - head, cy - r, cx + head, cy - r + 2 * head), fill=c)
    d.pieslice((cx - r * 0.85, cy - r * 0.05, cx + r * 0.85, cy + r * 1.65), 180, 360, fill=c)


def _glyph_question(
    d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, font: ImageFont.FreeTypeFont
) -> None:
    w = max(2, r // 7)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=c, width=w)
    qfont = font.font_variant(size=int(r * 1.4))
    d.text((cx, cy), "?", font=qfont, fill=c, anchor="mm", stroke_width=max(1, r // 30),
           stroke_fill=c)


def _glyph_seal(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    w = max(2, r // 7)
    points = []
    for k in range(24):
        radius = r if k % 2 == 0 else r * 0.86
        angle = k * math.pi / 12
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    d.polygon(points, fill=c)
    inner = r * 0.66
    d.ellipse((cx - inner, cy - inner, cx + inner, cy + inner), fill="#FFFFFF")
    d.line([(cx - r * 0.35, cy), (cx - r * 0.08, cy + r * 0.28), (cx + r * 0.38, cy - r * 0.28)],
           fill=c, width=int(w * 1.2), joint="curve")


def _glyph_chart(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    w = max(2, r // 8)
    base = cy + r * 0.9
    d.line([(cx - r, base), (cx + r, base)], fill=c, width=w)
    bar = r * 0.42
    for k, top in enumerate((0.2, -0.3, -0.9)):
        left = cx - r * 0.85 + k * (bar + r * 0.2)
        d.rectangle((left, cy + r * top, left + bar, base - w // 2), fill=c)


def _glyph_bubbles(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    d.rounded_rectangle((cx - r, cy - r * 0.9, cx + r * 0.35, cy + r * 0.1), radius=r // 4, fill=c)
    d.polygon([(cx - r * 0.7, cy), (cx - r * 0.75, cy + r * 0.4), (cx - r * 0.35, cy)], fill=c)
    w = max(2, r // 8)
    d.rounded_rectangle((cx - r * 0.3, cy - r * 0.15, cx + r, cy + r * 0.75), radius=r // 4,
                        fill="#FFFFFF", outline=c, width=w)
    d.polygon([(cx + r * 0.45, cy + r * 0.7), (cx + r * 0.75, cy + r * 1.05),
               (cx + r * 0.75, cy + r * 0.7)], fill=c)


def _glyph_calendar(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    w = max(2, r // 8)
    top = cy - r * 0.75
    d.rounded_rectangle((cx - r, top, cx + r, cy + r), radius=r // 6, outline=c, width=w)
    d.rectangle((cx - r, top, cx + r, top + r * 0.4), fill=c)
    for dx in (-0.5, 0.5):
        d.line([(cx + r * dx, cy - r), (cx + r * dx, top + r * 0.2)], fill=c, width=int(w * 1.3))
    dot = r * 0.13
    for row in (0.05, 0.5):
        for col in (-0.5, 0.0, 0.5):
            x, y = cx + r * col, cy + r * row
            d.rectangle((x - dot, y - dot, x + dot, y + dot), fill=c)


def _glyph_clipboard(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    w = max(2, r // 8)
    d.rounded_rectangle((cx - r * 0.78, cy - r * 0.85, cx + r * 0.78, cy + r), radius=r // 6,
                        outline=c, width=w)
    d.rounded_rectangle((cx - r * 0.35, cy - r, cx + r * 0.35, cy - r * 0.65), radius=r // 10,
                        fill=c)
    for frac in (-0.3, 0.15, 0.6):
        y = cy + r * frac
        d.line([(cx - r * 0.5, y), (cx - r * 0.32, y + r * 0.14), (cx - r * 0.08, y - r * 0.14)],
               fill=c, width=w, joint="curve")
        d.line([(cx + r * 0.05, y), (cx + r * 0.5, y)], fill=c, width=w)


def _glyph_megaphone(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    w = max(2, r // 8)
    d.polygon([(cx - r * 0.9, cy - r * 0.3), (cx + r * 0.45, cy - r * 0.9),
               (cx + r * 0.45, cy + r * 0.6), (cx - r * 0.9, cy + r * 0.2)], fill=c)
    d.rectangle((cx - r, cy - r * 0.3, cx - r * 0.7, cy + r * 0.2), fill=c)
    d.line([(cx - r * 0.55, cy + r * 0.3), (cx - r * 0.3, cy + r * 0.95)], fill=c,
           width=int(w * 1.6))
    for dy in (-0.5, -0.15, 0.2):
        d.line([(cx + r * 0.65, cy + r * dy), (cx + r, cy + r * dy * 1.6)], fill=c, width=w)


_GLYPHS: dict[str, GlyphDrawer] = {
    "upload": _glyph_upload,
    "star": _glyph_star,
    "document": _glyph_document,
    "checkbox": _glyph_checkbox,
    "person": _glyph_person,
    "question": _glyph_question,
    "seal": _glyph_seal,
    "chart": _glyph_chart,
    "bubbles": _glyph_bubbles,
    "calendar": _glyph_calendar,
    "clipboard": _glyph_clipboard,
    "megaphone": _glyph_megaphone,
}


# --- built menus and their names --------------------------------------------------------------


@dataclass(frozen=True)
class BuiltMenu:
    role: str
    name: str
    request: RichMenuRequest
    image: bytes

    @property
    def content_type(self) -> str:
        return image_content_type(self.image)


def build_menu(role: str, font_path: str | os.PathLike[str] | None = None) -> BuiltMenu:
    """A role's menu definition and image, named by a hash of both so changes get a new name."""
    image = render_menu_image(role, font_path)
    digest = hashlib.sha256(menu_request(role).to_json().encode())
    digest.update(image)
    name = f"{MENU_NAME_PREFIX}{role}-{digest.hexdigest()[:HASH_LENGTH]}"
    return BuiltMenu(role, name, menu_request(role, name), image)


def role_of_menu_name(name: str) -> str | None:
    """The role a menu name of ours belongs to, or None for anyone else's menu."""
    if not name.startswith(MENU_NAME_PREFIX):
        return None
    role, sep, digest = name[len(MENU_NAME_PREFIX):].rpartition("-")
    if not sep or len(digest) != HASH_LENGTH:
        return None
    return role


# --- the LINE calls ---------------------------------------------------------------------------


def sync_rich_menus(
    api: MessagingApi,
    blob: MessagingApiBlob,
    font_path: str | os.PathLike[str] | None = None,
    *,
    migration_timeout: float = MIGRATION_TIMEOUT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, str]:
    """Make LINE hold exactly the current menu of every role; returns role -> richMenuId.

    A menu whose name (content hash) already exists is reused, so a second run creates
    nothing. A new menu gets its image before its alias moves to it. Users still linked to an
    old menu of ours are moved to the new one in one batch; old menus are deleted only once that
    batch succeeded (otherwise the next run retries), so nobody is left without a menu.
    """
    built = {role: build_menu(role, font_path) for role in ROLES}
    existing = api.get_rich_menu_list(_request_timeout=REQUEST_TIMEOUT).richmenus
    current: dict[str, str] = {}
    for role, menu in built.items():
        alias = alias_id(role)
        aliased = menu_alias_target(api, alias)
        same_name = [m.rich_menu_id for m in existing if m.name == menu.name]
        if aliased is not None and aliased in same_name:
            current[role] = aliased
            continue
        if same_name:
            # Made by a run that stopped before moving the alias: finish it, image first.
            menu_id = same_name[0]
            if not _has_image(blob, menu_id):
                _upload_image(blob, menu_id, menu)
        else:
            menu_id = api.create_rich_menu(
                menu.request, _request_timeout=REQUEST_TIMEOUT
            ).rich_menu_id
            _upload_image(blob, menu_id, menu)
            log.info("created rich menu %s (%s)", menu.name, menu_id)
        if aliased is None:
            api.create_rich_menu_alias(
                CreateRichMenuAliasRequest(richMenuAliasId=alias, richMenuId=menu_id),
                _request_timeout=REQUEST_TIMEOUT,
            )
        else:
            api.update_rich_menu_alias(
                alias, UpdateRichMenuAliasRequest(richMenuId=menu_id),
                _request_timeout=REQUEST_TIMEOUT,
            )
        current[role] = menu_id

    # Every other menu of a role we manage is stale; menus of unknown roles are left alone.
    keep = set(current.values())
    stale: list[tuple[str, str]] = []
    for m in existing:
        owner = role_of_menu_name(m.name)
        if owner is not None and owner in current and m.rich_menu_id not in keep:
            stale.append((m.rich_menu_id, current[owner]))
    if stale and _move_users(api, stale, migration_timeout, sleep):
        for old_id, _ in stale:
            api.delete_rich_menu(old_id, _request_timeout=REQUEST_TIMEOUT)
            log.info("deleted stale rich menu %s", old_id)
    return current


def link_menu(api: MessagingApi, user_id: str, role: str) -> None:
    """Show a user the current menu of their role (looked up through the role's alias)."""
    link_menu_alias(api, user_id, alias_id(role))


def _has_image(blob: MessagingApiBlob, menu_id: str) -> bool:
    try:
        blob.get_rich_menu_image(menu_id, _request_timeout=UPLOAD_TIMEOUT)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _upload_image(blob: MessagingApiBlob, menu_id: str, menu: BuiltMenu) -> None:
    # Without an explicit Content-Type the SDK would try to JSON-encode the bytes.
    blob.set_rich_menu_image(
        menu_id, menu.image, _headers={"Content-Type": menu.content_type},
        _request_timeout=UPLOAD_TIMEOUT,
    )


def _move_users(
    api: MessagingApi,
    moves: Iterable[tuple[str, str]],
    timeout: float,
    sleep: Callable[[float], None],
) -> bool:
    """Relink every user from old to new menus in one batch; True once LINE says it succeeded."""
    operations = [RichMenuBatchLinkOperation(var_from=old, to=new) for old, new in moves]
    if len(operations) > MAX_BATCH_OPERATIONS:
        raise ValueError("too many stale rich menus for one batch; delete some by hand")
    # The new menus are live by now; a failure here only postpones the clean-up to the next run.
    try:
        response = api.rich_menu_batch_with_http_info(
            RichMenuBatchRequest(operations=operations), _request_timeout=REQUEST_TIMEOUT
        )
        request_id = _header(response.headers, "X-Line-Request-Id")
        if request_id is None:
            log.warning("rich menu batch gave no request id; keeping stale menus for now")
            return False
        waited = 0.0
        while True:
            progress = api.get_rich_menu_batch_progress(
                request_id, _request_timeout=REQUEST_TIMEOUT
            )
            if progress.phase == RichMenuBatchProgressPhase.SUCCEEDED:
                return True
            if progress.phase == RichMenuBatchProgressPhase.FAILED or waited >= timeout:
                log.warning(
                    "moving users off stale rich menus ended as %s; keeping them for now",
                    progress.phase.value,
                )
                return False
            sleep(MIGRATION_POLL_SECONDS)
            waited += MIGRATION_POLL_SECONDS
    except ApiException as exc:
        log.warning("moving users off stale rich menus failed (HTTP %s); keeping them", exc.status)
        return False


def _header(headers: object, name: str) -> str | None:
    if not headers:
        return None
    getter = getattr(headers, "get", None)
    if getter is None:
        return None
    value = getter(name) or getter(name.lower())
    return str(value) if value else None
