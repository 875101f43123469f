"""Drawing a role's rich menu: a CJK font found on the machine, each tile's label, hint and glyph,
an image under LINE's size limit."""

from __future__ import annotations

import functools
import glob
import io
import math
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.richmenu import (
    MAX_IMAGE_BYTES,
    MENU_ITEMS,
    MENU_WIDTH,
    ROLE_COLOURS,
    _check_role,
    layout,
    menu_height,
)

FONT_ENV_VAR = "PORTFOLIO_CJK_FONT"


FONT_INSTALL_HINT = (
    "No CJK (Traditional Chinese) font was found. Install one, e.g. on Debian/Ubuntu "
    "`apt-get install fonts-wqy-microhei` (1.6 MB), `fonts-wqy-zenhei` or `fonts-noto-cjk` "
    f"(larger, nicer), or pass font_path= / set {FONT_ENV_VAR} to a .ttf/.otf/.ttc file."
)


class FontNotFound(RuntimeError):
    pass


# Noto Sans CJK TC Bold (SIL OFL 1.1, bot/fonts/OFL.txt) cut to the menus' texts by
# scripts/subset_menu_font.py: the images need no font on the machine and are the same everywhere.
BUNDLED_FONT = Path(__file__).resolve().parent / "fonts" / "NotoSansCJKtc-Bold-menu.otf"


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
    setting, passed on by the caller), the font that ships with the bot (so the images are the
    same on every machine), or a search."""
    explicit = font_path
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise FontNotFound(f"font file {path} does not exist. {FONT_INSTALL_HINT}")
        return path
    if BUNDLED_FONT.is_file() and not missing_glyphs(BUNDLED_FONT, _all_menu_texts()):
        return BUNDLED_FONT
    return find_system_cjk_font()


def _all_menu_texts() -> str:
    return "".join(t for role in MENU_ITEMS for t in _menu_texts(role))


def find_system_cjk_font() -> Path:
    """A Traditional Chinese font installed on this machine."""
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
            [fc_list, ":lang=zh-tw", "file"],
            check=False,
            capture_output=True,
            text=True,
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
    tofu = _mask_signature(font, "\U0010fffd")
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
            (cx, label_y),
            tile.item.label,
            font=label_font,
            fill=_INK,
            anchor="mt",
            stroke_width=stroke,
            stroke_fill=_INK,
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
        fill=c,
        width=w,
        joint="curve",
    )
    # arrow
    d.line([(cx, cy + r * 0.55), (cx, cy - r * 0.5)], fill=c, width=w)
    d.polygon(
        [(cx, cy - r), (cx - r * 0.55, cy - r * 0.35), (cx + r * 0.55, cy - r * 0.35)], fill=c
    )


def _glyph_star(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.42
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + r * 0.08 + radius * math.sin(angle)))
    d.polygon(points, fill=c)


def _glyph_document(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    w = max(2, r // 8)
    d.rounded_rectangle(
        (cx - r * 0.72, cy - r, cx + r * 0.72, cy + r), radius=r // 6, outline=c, width=w
    )
    for k, frac in enumerate((-0.45, -0.05, 0.35)):
        right = 0.45 if k < 2 else 0.1
        y = cy + r * frac
        d.line([(cx - r * 0.42, y), (cx + r * right, y)], fill=c, width=w)


def _glyph_checkbox(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    w = max(2, r // 7)
    d.rounded_rectangle(
        (cx - r * 0.85, cy - r * 0.85, cx + r * 0.85, cy + r * 0.85),
        radius=r // 5,
        outline=c,
        width=w,
    )
    d.line(
        [(cx - r * 0.45, cy), (cx - r * 0.1, cy + r * 0.38), (cx + r * 0.55, cy - r * 0.42)],
        fill=c,
        width=int(w * 1.3),
        joint="curve",
    )


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
    d.text(
        (cx, cy), "?", font=qfont, fill=c, anchor="mm", stroke_width=max(1, r // 30), stroke_fill=c
    )


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
    d.line(
        [(cx - r * 0.35, cy), (cx - r * 0.08, cy + r * 0.28), (cx + r * 0.38, cy - r * 0.28)],
        fill=c,
        width=int(w * 1.2),
        joint="curve",
    )


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
    d.rounded_rectangle(
        (cx - r * 0.3, cy - r * 0.15, cx + r, cy + r * 0.75),
        radius=r // 4,
        fill="#FFFFFF",
        outline=c,
        width=w,
    )
    d.polygon(
        [
            (cx + r * 0.45, cy + r * 0.7),
            (cx + r * 0.75, cy + r * 1.05),
            (cx + r * 0.75, cy + r * 0.7),
        ],
        fill=c,
    )


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
    d.rounded_rectangle(
        (cx - r * 0.78, cy - r * 0.85, cx + r * 0.78, cy + r), radius=r // 6, outline=c, width=w
    )
    d.rounded_rectangle(
        (cx - r * 0.35, cy - r, cx + r * 0.35, cy - r * 0.65), radius=r // 10, fill=c
    )
    for frac in (-0.3, 0.15, 0.6):
        y = cy + r * frac
        d.line(
            [(cx - r * 0.5, y), (cx - r * 0.32, y + r * 0.14), (cx - r * 0.08, y - r * 0.14)],
            fill=c,
            width=w,
            joint="curve",
        )
        d.line([(cx + r * 0.05, y), (cx + r * 0.5, y)], fill=c, width=w)


def _glyph_megaphone(d: ImageDraw.ImageDraw, cx: int, cy: int, r: int, c: str, _f: object) -> None:
    w = max(2, r // 8)
    d.polygon(
        [
            (cx - r * 0.9, cy - r * 0.3),
            (cx + r * 0.45, cy - r * 0.9),
            (cx + r * 0.45, cy + r * 0.6),
            (cx - r * 0.9, cy + r * 0.2),
        ],
        fill=c,
    )
    d.rectangle((cx - r, cy - r * 0.3, cx - r * 0.7, cy + r * 0.2), fill=c)
    d.line(
        [(cx - r * 0.55, cy + r * 0.3), (cx - r * 0.3, cy + r * 0.95)], fill=c, width=int(w * 1.6)
    )
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
