"""Webhook events shaped exactly as LINE sends them, the signed request body, delivery to a bot."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from storage.clock import UTC

if TYPE_CHECKING:
    from dev.emulator.platform import Platform

DEFAULT_DESTINATION = "U0000000000000000000000000000b07"  # the bot's own user id
DELIVERY_TIMEOUT_SECONDS = 10.0
WEBHOOK_USER_AGENT = "LineBotWebhook/2.0"
DEFAULT_MEDIA_DURATION_MS = 10_000
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def webhook_event_id(at: datetime) -> str:
    """A ULID (26 characters, time-ordered), the format LINE uses for webhookEventId."""
    value = (int(at.timestamp() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def user_id_for(name: str) -> str:
    """A stable, realistic LINE user id (U + 32 hex) for a test person's name."""
    return "U" + hashlib.md5(name.encode("utf-8")).hexdigest()


def new_message_id() -> str:
    return str(secrets.randbelow(9 * 10**17) + 10**17)


def _now(platform: Platform | None) -> datetime:
    return platform.clock.now() if platform is not None else datetime.now(UTC)


class Source(TypedDict, total=False):
    """How an event reaches the bot: through which platform, in which mode, for the first time."""

    platform: Platform | None
    mode: str
    redelivery: bool


class Delivery(Source, total=False):
    """A Source, plus when the event happened and the reply token it carries."""

    at: datetime | None
    reply_token: str | None


def _envelope(
    event_type: str,
    user_id: str,
    *,
    at: datetime | None = None,
    platform: Platform | None = None,
    reply_token: str | None = None,
    mode: str = "active",
    redelivery: bool = False,
    replyable: bool = True,
) -> dict[str, Any]:
    when = at if at is not None else _now(platform)
    event: dict[str, Any] = {"type": event_type}
    # LINE sends no reply token in standby mode, nor for events that cannot be answered.
    if replyable and mode == "active":
        if reply_token is None:
            reply_token = (
                platform.issue_reply_token(user_id)
                if platform is not None
                else secrets.token_hex(16)
            )
        event["replyToken"] = reply_token
    event.update(
        {
            "mode": mode,
            "timestamp": int(when.timestamp() * 1000),
            "source": {"type": "user", "userId": user_id},
            "webhookEventId": webhook_event_id(when),
            "deliveryContext": {"isRedelivery": redelivery},
        }
    )
    return event


def _message_event(
    user_id: str, message: dict[str, Any], **how: Unpack[Delivery]
) -> dict[str, Any]:
    event = _envelope("message", user_id, **how)
    event["message"] = message
    return event


def text_event(
    user_id: str,
    text: str,
    at: datetime | None = None,
    reply_token: str | None = None,
    *,
    message_id: str | None = None,
    quoted_message_id: str | None = None,
    **how: Unpack[Source],
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "id": message_id or new_message_id(),
        "type": "text",
        "quoteToken": secrets.token_urlsafe(24),
        "text": text,
    }
    if quoted_message_id is not None:
        message["quotedMessageId"] = quoted_message_id
    return _message_event(user_id, message, at=at, reply_token=reply_token, **how)


def postback_event(
    user_id: str, data: str, params: dict[str, Any] | None = None, **how: Unpack[Delivery]
) -> dict[str, Any]:
    event = _envelope("postback", user_id, **how)
    postback: dict[str, Any] = {"data": data}
    if params is not None:
        postback["params"] = params
    event["postback"] = postback
    return event


def follow_event(
    user_id: str, *, unblocked: bool = False, **how: Unpack[Delivery]
) -> dict[str, Any]:
    event = _envelope("follow", user_id, **how)
    event["follow"] = {"isUnblocked": unblocked}
    return event


def unfollow_event(
    user_id: str, *, at: datetime | None = None, **how: Unpack[Source]
) -> dict[str, Any]:
    return _envelope("unfollow", user_id, at=at, replyable=False, **how)


def image_event(
    user_id: str,
    message_id: str,
    image_set: tuple[str, int, int] | None = None,
    **how: Unpack[Delivery],
) -> dict[str, Any]:
    """A photo; `image_set` is (set id, index from 1, total) when several were sent together."""
    message: dict[str, Any] = {
        "id": message_id,
        "type": "image",
        "quoteToken": secrets.token_urlsafe(24),
        "contentProvider": {"type": "line"},
    }
    if image_set is not None:
        set_id, index, total = image_set
        message["imageSet"] = {"id": set_id, "index": index, "total": total}
    return _message_event(user_id, message, **how)


def file_event(
    user_id: str, message_id: str, file_name: str, file_size: int, **how: Unpack[Delivery]
) -> dict[str, Any]:
    message = {"id": message_id, "type": "file", "fileName": file_name, "fileSize": file_size}
    return _message_event(user_id, message, **how)


def _timed_message(kind: str, message_id: str, duration_ms: int, quotable: bool) -> dict[str, Any]:
    """A video or audio message; LINE gives a video a quote token, audio none."""
    message: dict[str, Any] = {"id": message_id, "type": kind}
    if quotable:
        message["quoteToken"] = secrets.token_urlsafe(24)
    message |= {"duration": duration_ms, "contentProvider": {"type": "line"}}
    return message


def video_event(
    user_id: str,
    message_id: str,
    duration_ms: int = DEFAULT_MEDIA_DURATION_MS,
    **how: Unpack[Delivery],
) -> dict[str, Any]:
    message = _timed_message("video", message_id, duration_ms, quotable=True)
    return _message_event(user_id, message, **how)


def audio_event(
    user_id: str,
    message_id: str,
    duration_ms: int = DEFAULT_MEDIA_DURATION_MS,
    **how: Unpack[Delivery],
) -> dict[str, Any]:
    message = _timed_message("audio", message_id, duration_ms, quotable=False)
    return _message_event(user_id, message, **how)


def redelivered(event: dict[str, Any]) -> dict[str, Any]:
    """The same event as LINE resends it: same webhookEventId, marked as a redelivery."""
    again = copy.deepcopy(event)
    again["deliveryContext"] = {"isRedelivery": True}
    return again


def body(events: Sequence[dict[str, Any]], destination: str = DEFAULT_DESTINATION) -> bytes:
    """The webhook request body: compact UTF-8 JSON, the bytes the signature covers."""
    payload = {"destination": destination, "events": list(events)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sign(body: bytes, channel_secret: str) -> str:
    """X-Line-Signature: base64 of HMAC-SHA256 over the exact body bytes, keyed by the secret."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def deliver(
    url: str,
    events: Sequence[dict[str, Any]],
    secret: str,
    *,
    destination: str = DEFAULT_DESTINATION,
    timeout: float = DELIVERY_TIMEOUT_SECONDS,
) -> int:
    """POST a signed webhook body to a bot as LINE would; the bot's HTTP status comes back."""
    payload = body(events, destination)
    outgoing = urllib.request.Request(
        url,
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": WEBHOOK_USER_AGENT,
            "X-Line-Signature": sign(payload, secret),
        },
    )
    try:
        with urllib.request.urlopen(outgoing, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
