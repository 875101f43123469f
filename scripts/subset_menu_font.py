"""Cut Noto Sans CJK TC Bold (SIL Open Font License 1.1) down to the rich menu's texts and write it
to bot/fonts/, so the menu images come out the same on every machine, font installed or not.

Run it after changing a menu label or hint (tests/test_richmenu.py fails until then):

    .venv/bin/pip install fonttools
    .venv/bin/python scripts/subset_menu_font.py /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc

(Debian/Ubuntu: `apt-get install fonts-noto-cjk` provides that file.)
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import richmenu, richmenu_drawing  # noqa: E402

EXTRA = string.printable.strip() + "（）、，。：；「」／～…—・"


def traditional_face(source: Path) -> TTFont:
    if source.suffix.lower() != ".ttc":
        return TTFont(source)
    for font in TTCollection(source).fonts:
        family = font["name"].getDebugName(1) or ""
        if family.endswith(" TC"):
            return font
    raise SystemExit(f"{source} holds no Traditional Chinese (TC) face")


def main(source: Path) -> None:
    wanted = set(EXTRA)
    for role in richmenu.MENU_ITEMS:
        wanted.update("".join(richmenu_drawing._menu_texts(role)))
    font = traditional_face(source)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_legacy = True
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(wanted)))
    subsetter.subset(font)
    richmenu_drawing.BUNDLED_FONT.parent.mkdir(parents=True, exist_ok=True)
    font.save(richmenu_drawing.BUNDLED_FONT)
    print(
        f"{richmenu_drawing.BUNDLED_FONT}: {len(wanted)} characters, "
        f"{richmenu_drawing.BUNDLED_FONT.stat().st_size} bytes"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
