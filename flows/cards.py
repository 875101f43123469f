"""The card kit every flow builds its answers with: flex cards, their buttons, short labels."""

from __future__ import annotations

from typing import Any

from flows import messages as m

# A button or quick-reply label is cut to this many characters, the last one an ellipsis.
LABEL_LIMIT = 20


def shorten(label: str, limit: int = LABEL_LIMIT) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def button(
    action: dict[str, Any], primary: bool = False, *, style: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A footer button; primary for the one the person most likely wants."""
    return {
        "type": "button",
        "action": action,
        "height": "sm",
        "style": style or ("primary" if primary else "secondary"),
        **extra,
    }


def postback_button(label: str, data: str, primary: bool = False) -> dict[str, Any]:
    """A button whose tap says its label in the chat and sends data back."""
    return button(m.postback_action(label, data, label), primary)


def card(
    title: str, rows: list[tuple[str, str]], buttons: list[dict[str, Any]], alt: str
) -> dict[str, Any]:
    """A flex bubble: a title, label/value rows, and buttons in the footer."""
    body: list[dict[str, Any]] = [
        {"type": "text", "text": title, "weight": "bold", "size": "lg", "wrap": True},
        {"type": "separator", "margin": "md"},
    ]
    for label, value in rows:
        body.append(
            {
                "type": "box",
                "layout": "baseline",
                "spacing": "sm",
                "margin": "md",
                "contents": [
                    {"type": "text", "text": label, "size": "sm", "color": "#888888", "flex": 2},
                    {"type": "text", "text": value or "—", "size": "sm", "wrap": True, "flex": 5},
                ],
            }
        )
    bubble: dict[str, Any] = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "contents": body},
    }
    if buttons:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": buttons,
        }
    return m.flex(alt, bubble)
