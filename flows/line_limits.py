"""LINE's documented message limits, checked alike by the product before a send and the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

# LINE's servers count string lengths in UTF-16 code units (an emoji outside the BMP counts 2),
# so every length limit below is measured that way.
MIN_MESSAGES_PER_REQUEST = 1
MAX_MESSAGES_PER_REQUEST = 5
MAX_TEXT_LENGTH = 5000
MAX_ALT_TEXT_LENGTH = 1500
MAX_ACTION_LABEL_LENGTH = 20
MAX_FLEX_ACTION_LABEL_LENGTH = 40
MAX_IMAGE_CAROUSEL_LABEL_LENGTH = 12
MAX_POSTBACK_DATA_LENGTH = 300
MAX_ACTION_TEXT_LENGTH = 300  # message action `text`, postback `displayText`
MAX_URI_ACTION_LENGTH = 1000
MAX_MEDIA_URL_LENGTH = 2000
MAX_QUICK_REPLY_ITEMS = 13

MAX_BUTTONS_ACTIONS = 4
MAX_BUTTONS_TITLE_LENGTH = 40
MAX_BUTTONS_TEXT_LENGTH = 160
MAX_BUTTONS_TEXT_LENGTH_WITH_HEADER = 60  # when the template has a title or a thumbnail
CONFIRM_ACTIONS = 2
MAX_CONFIRM_TEXT_LENGTH = 240
MAX_CAROUSEL_COLUMNS = 10
MAX_COLUMN_ACTIONS = 3
MAX_COLUMN_TITLE_LENGTH = 40
MAX_COLUMN_TEXT_LENGTH = 120
MAX_COLUMN_TEXT_LENGTH_WITH_HEADER = 60

# LINE says "30 KB" and "50 KB" without saying 1000 or 1024; the smaller reading is the safe one.
MAX_FLEX_BUBBLE_BYTES = 30_000
MAX_FLEX_CAROUSEL_BUBBLES = 12
MAX_FLEX_CAROUSEL_BYTES = 50_000

MEDIA_URL_FIELDS = ("originalContentUrl", "previewImageUrl", "thumbnailImageUrl", "baseUrl")


@dataclass(frozen=True)
class LimitViolation:
    """One broken limit: where (LINE's property path style) and what."""

    property: str
    message: str

    def __str__(self) -> str:
        return f"{self.property}: {self.message}"


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def json_size(value: Any) -> int:
    """Bytes of the compact UTF-8 JSON the SDK sends for this value."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def check_messages(messages: Sequence[dict[str, Any]]) -> list[str]:
    """Every limit the messages of one request break, as readable strings; empty means fine."""
    return [str(violation) for violation in find_violations(messages)]


def find_violations(messages: Sequence[dict[str, Any]]) -> list[LimitViolation]:
    """Like `check_messages`, with the property path kept apart (the emulator's error details)."""
    found: list[LimitViolation] = []
    count = len(messages)
    if not MIN_MESSAGES_PER_REQUEST <= count <= MAX_MESSAGES_PER_REQUEST:
        found.append(
            LimitViolation(
                "messages",
                f"{count} messages in one request; must be "
                f"{MIN_MESSAGES_PER_REQUEST} to {MAX_MESSAGES_PER_REQUEST}",
            )
        )
    for index, message in enumerate(messages):
        if isinstance(message, dict):
            found.extend(_message_violations(message, f"messages[{index}]"))
    return found


def _too_long(value: Any, limit: int, where: str, what: str) -> Iterator[LimitViolation]:
    if isinstance(value, str) and (length := utf16_length(value)) > limit:
        yield LimitViolation(where, f"{what} is {length} characters (UTF-16); limit {limit}")


def _message_violations(message: dict[str, Any], where: str) -> Iterator[LimitViolation]:
    kind = message.get("type")
    if kind in ("text", "textV2"):
        yield from _too_long(message.get("text"), MAX_TEXT_LENGTH, f"{where}.text", "text")
    if "altText" in message:
        yield from _too_long(
            message.get("altText"), MAX_ALT_TEXT_LENGTH, f"{where}.altText", "altText"
        )
    for field in MEDIA_URL_FIELDS:
        if kind in ("image", "video", "audio") and field in message:
            yield from _media_url(message[field], f"{where}.{field}")
    if kind == "template" and isinstance(message.get("template"), dict):
        yield from _template_violations(message["template"], f"{where}.template")
    if kind == "flex":
        yield from _flex_violations(message.get("contents"), f"{where}.contents")
    quick_reply = message.get("quickReply")
    if isinstance(quick_reply, dict):
        yield from _quick_reply_violations(quick_reply, f"{where}.quickReply")


def _media_url(url: Any, where: str) -> Iterator[LimitViolation]:
    if not isinstance(url, str):
        return
    yield from _too_long(url, MAX_MEDIA_URL_LENGTH, where, "URL")
    if not url.startswith("https://"):
        yield LimitViolation(where, "media URLs must use HTTPS")


def _quick_reply_violations(quick_reply: dict[str, Any], where: str) -> Iterator[LimitViolation]:
    items = quick_reply.get("items")
    if not isinstance(items, list):
        return
    if len(items) > MAX_QUICK_REPLY_ITEMS:
        yield LimitViolation(
            f"{where}.items",
            f"{len(items)} quick reply items; limit {MAX_QUICK_REPLY_ITEMS}",
        )
    for index, item in enumerate(items):
        if isinstance(item, dict):
            item_where = f"{where}.items[{index}]"
            if "imageUrl" in item:
                yield from _media_url(item["imageUrl"], f"{item_where}.imageUrl")
            yield from _action_violations(
                item.get("action"), f"{item_where}.action", MAX_ACTION_LABEL_LENGTH
            )


def _action_violations(action: Any, where: str, label_limit: int) -> Iterator[LimitViolation]:
    if not isinstance(action, dict):
        return
    yield from _too_long(action.get("label"), label_limit, f"{where}.label", "action label")
    kind = action.get("type")
    if kind == "postback":
        yield from _too_long(
            action.get("data"), MAX_POSTBACK_DATA_LENGTH, f"{where}.data", "postback data"
        )
        yield from _too_long(
            action.get("displayText"),
            MAX_ACTION_TEXT_LENGTH,
            f"{where}.displayText",
            "displayText",
        )
    if kind in ("message", "postback"):
        yield from _too_long(
            action.get("text"), MAX_ACTION_TEXT_LENGTH, f"{where}.text", "action text"
        )
    if kind == "uri":
        yield from _too_long(action.get("uri"), MAX_URI_ACTION_LENGTH, f"{where}.uri", "uri")


def _template_violations(template: dict[str, Any], where: str) -> Iterator[LimitViolation]:
    kind = template.get("type")
    if kind == "buttons":
        yield from _column_like(
            template,
            where,
            max_actions=MAX_BUTTONS_ACTIONS,
            title_limit=MAX_BUTTONS_TITLE_LENGTH,
            text_limit=MAX_BUTTONS_TEXT_LENGTH,
            text_limit_with_header=MAX_BUTTONS_TEXT_LENGTH_WITH_HEADER,
            what="buttons template",
        )
    elif kind == "confirm":
        actions = template.get("actions")
        if isinstance(actions, list) and len(actions) != CONFIRM_ACTIONS:
            yield LimitViolation(
                f"{where}.actions",
                f"confirm template has {len(actions)} actions; needs exactly {CONFIRM_ACTIONS}",
            )
        yield from _too_long(
            template.get("text"), MAX_CONFIRM_TEXT_LENGTH, f"{where}.text", "confirm text"
        )
        yield from _each_action(actions, f"{where}.actions", MAX_ACTION_LABEL_LENGTH)
    elif kind == "carousel":
        yield from _carousel_template_violations(template, where)
    elif kind == "image_carousel":
        columns = template.get("columns")
        if not isinstance(columns, list):
            return
        if len(columns) > MAX_CAROUSEL_COLUMNS:
            yield LimitViolation(
                f"{where}.columns",
                f"{len(columns)} columns; limit {MAX_CAROUSEL_COLUMNS}",
            )
        for index, column in enumerate(columns):
            if isinstance(column, dict):
                yield from _action_violations(
                    column.get("action"),
                    f"{where}.columns[{index}].action",
                    MAX_IMAGE_CAROUSEL_LABEL_LENGTH,
                )


def _carousel_template_violations(template: dict[str, Any], where: str) -> Iterator[LimitViolation]:
    columns = template.get("columns")
    if not isinstance(columns, list):
        return
    if len(columns) > MAX_CAROUSEL_COLUMNS:
        yield LimitViolation(
            f"{where}.columns", f"{len(columns)} columns; limit {MAX_CAROUSEL_COLUMNS}"
        )
    action_counts = set()
    for index, column in enumerate(columns):
        if not isinstance(column, dict):
            continue
        if isinstance(column.get("actions"), list):
            action_counts.add(len(column["actions"]))
        yield from _column_like(
            column,
            f"{where}.columns[{index}]",
            max_actions=MAX_COLUMN_ACTIONS,
            title_limit=MAX_COLUMN_TITLE_LENGTH,
            text_limit=MAX_COLUMN_TEXT_LENGTH,
            text_limit_with_header=MAX_COLUMN_TEXT_LENGTH_WITH_HEADER,
            what="carousel column",
        )
    if len(action_counts) > 1:
        yield LimitViolation(
            f"{where}.columns", "every carousel column must have the same number of actions"
        )


def _column_like(
    template: dict[str, Any],
    where: str,
    *,
    max_actions: int,
    title_limit: int,
    text_limit: int,
    text_limit_with_header: int,
    what: str,
) -> Iterator[LimitViolation]:
    """Buttons templates and carousel columns share one shape and differ only in numbers."""
    actions = template.get("actions")
    if isinstance(actions, list) and len(actions) > max_actions:
        yield LimitViolation(
            f"{where}.actions", f"{what} has {len(actions)} actions; limit {max_actions}"
        )
    yield from _too_long(template.get("title"), title_limit, f"{where}.title", f"{what} title")
    has_header = bool(template.get("title")) or bool(template.get("thumbnailImageUrl"))
    limit = text_limit_with_header if has_header else text_limit
    yield from _too_long(template.get("text"), limit, f"{where}.text", f"{what} text")
    if "thumbnailImageUrl" in template:
        yield from _media_url(template["thumbnailImageUrl"], f"{where}.thumbnailImageUrl")
    yield from _each_action(actions, f"{where}.actions", MAX_ACTION_LABEL_LENGTH)
    yield from _action_violations(
        template.get("defaultAction"), f"{where}.defaultAction", MAX_ACTION_LABEL_LENGTH
    )


def _each_action(actions: Any, where: str, label_limit: int) -> Iterator[LimitViolation]:
    if isinstance(actions, list):
        for index, action in enumerate(actions):
            yield from _action_violations(action, f"{where}[{index}]", label_limit)


def _flex_violations(container: Any, where: str) -> Iterator[LimitViolation]:
    if not isinstance(container, dict):
        return
    if container.get("type") == "bubble":
        yield from _bubble_size(container, where)
    elif container.get("type") == "carousel":
        bubbles = container.get("contents")
        if isinstance(bubbles, list):
            if len(bubbles) > MAX_FLEX_CAROUSEL_BUBBLES:
                yield LimitViolation(
                    f"{where}.contents",
                    f"{len(bubbles)} bubbles; limit {MAX_FLEX_CAROUSEL_BUBBLES}",
                )
            for index, bubble in enumerate(bubbles):
                if isinstance(bubble, dict):
                    yield from _bubble_size(bubble, f"{where}.contents[{index}]")
        size = json_size(container)
        if size > MAX_FLEX_CAROUSEL_BYTES:
            yield LimitViolation(
                where, f"flex carousel is {size} bytes of JSON; limit {MAX_FLEX_CAROUSEL_BYTES}"
            )
    yield from _flex_actions(container, where)


def _bubble_size(bubble: dict[str, Any], where: str) -> Iterator[LimitViolation]:
    size = json_size(bubble)
    if size > MAX_FLEX_BUBBLE_BYTES:
        yield LimitViolation(
            where, f"flex bubble is {size} bytes of JSON; limit {MAX_FLEX_BUBBLE_BYTES}"
        )


def _flex_actions(node: Any, where: str) -> Iterator[LimitViolation]:
    """Actions can sit at any depth of a flex tree (boxes, buttons, images, texts)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "action":
                yield from _action_violations(
                    value, f"{where}.action", MAX_FLEX_ACTION_LABEL_LENGTH
                )
            else:
                yield from _flex_actions(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _flex_actions(value, f"{where}[{index}]")
