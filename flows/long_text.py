"""Long text as LINE text messages: the consultation records and grade-12 documents read back."""

from __future__ import annotations

from catalogue import text
from flows.line_limits import MAX_TEXT_LENGTH, utf16_length

# Room left in a text message for a heading or a closing note around a long body.
TEXT_MARGIN = 200


def split_for_line(
    body: str, max_parts: int, limit: int = MAX_TEXT_LENGTH - TEXT_MARGIN
) -> list[str]:
    """Long text as LINE text messages: parts of at most `limit` UTF-16 units (LINE counts so),
    broken at line ends where possible; beyond max_parts the last part ends with a trim note."""
    parts: list[str] = []
    rest = body
    while rest:
        if utf16_length(rest) <= limit:
            parts.append(rest)
            break
        cut = _cut_at(rest, limit)
        parts.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:].lstrip("\n")
    if len(parts) <= max_parts:
        return parts
    kept = parts[:max_parts]
    # The note fits in the margin each part leaves.
    kept[-1] += "\n" + text("records.trimmed", n=len(body))
    return kept


def _cut_at(body: str, limit: int) -> int:
    """How many characters of body fit in `limit` units, backed off to a line end if one is near."""
    units = 0
    end = 0
    for index, char in enumerate(body):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            break
        end = index + 1
    newline = body.rfind("\n", 0, end)
    # Break at a paragraph when it keeps most of the part; a wall of text is cut where it fills.
    return newline + 1 if newline > end // 2 else max(end, 1)
