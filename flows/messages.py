"""Builders for LINE message objects (API camelCase dicts); limits are checked at the seam."""

from __future__ import annotations

from typing import Any

QuickItem = tuple[str, str] | tuple[str, str, str]


def text(body: str, quick: list[QuickItem] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "text", "text": body}
    if quick:
        message["quickReply"] = quick_reply(quick)
    return message


def message_action(label: str, text_: str) -> dict[str, Any]:
    return {"type": "message", "label": label, "text": text_}


def postback_action(label: str, data: str, display: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "postback", "label": label, "data": data}
    if display:
        action["displayText"] = display
    return action


def datetime_action(
    label: str,
    data: str,
    mode: str = "date",
    initial: str | None = None,
    minimum: str | None = None,
    maximum: str | None = None,
) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "datetimepicker", "label": label, "data": data, "mode": mode}
    for key, value in (("initial", initial), ("min", minimum), ("max", maximum)):
        if value:
            action[key] = value
    return action


def uri_action(label: str, uri: str) -> dict[str, Any]:
    return {"type": "uri", "label": label, "uri": uri}


def quick_reply(items: list[QuickItem]) -> dict[str, Any]:
    """Quick reply buttons: (label, text) sends text; (label, 'postback', data) posts back."""
    actions = []
    for item in items:
        if len(item) == 3:
            label, _, data = item  # type: ignore[misc]
            actions.append({"type": "action", "action": postback_action(label, data, label)})
        else:
            label, said = item  # type: ignore[misc]
            actions.append({"type": "action", "action": message_action(label, said)})
    return {"items": actions}


def with_quick_reply(message: dict[str, Any], items: list[QuickItem]) -> dict[str, Any]:
    return {**message, "quickReply": quick_reply(items)}


def buttons(
    alt: str, body: str, actions: list[dict[str, Any]], title: str | None = None
) -> dict[str, Any]:
    template: dict[str, Any] = {"type": "buttons", "text": body, "actions": actions}
    if title:
        template["title"] = title
    return {"type": "template", "altText": alt, "template": template}


def confirm(alt: str, body: str, yes: dict[str, Any], no: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "template",
        "altText": alt,
        "template": {"type": "confirm", "text": body, "actions": [yes, no]},
    }


def flex(alt: str, contents: dict[str, Any]) -> dict[str, Any]:
    return {"type": "flex", "altText": alt, "contents": contents}


def carousel(bubbles: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "carousel", "contents": bubbles}
