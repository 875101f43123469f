"""Signed, expiring links to stored files: an opaque token that names only ids and an expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

from flows.context import Ctx
from school.file_access import VIEWER_GUARDIAN, VIEWER_STAFF, VIEWER_STUDENT
from storage.clock import UTC

# Long enough to open a card again the same evening, short enough that a forwarded link dies.
DEFAULT_TTL = timedelta(hours=24)
LINK_PATH = "/f/"
SALT = "portfolio.file-link"

# One letter per viewer kind keeps the token short; nothing in it is personal data.
_KIND_CODES = {VIEWER_STUDENT: "s", VIEWER_STAFF: "t", VIEWER_GUARDIAN: "g"}
_CODE_KINDS = {code: kind for kind, code in _KIND_CODES.items()}


class LinkInvalid(Exception):
    """The token was not made by us (or was altered)."""


class LinkExpired(Exception):
    """The token is ours but its time is up."""


@dataclass(frozen=True)
class FileClaim:
    file_id: int
    viewer_kind: str
    viewer_id: int
    expires_at: datetime


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def _secret(ctx_or_secret: Ctx | str) -> str:
    return ctx_or_secret if isinstance(ctx_or_secret, str) else ctx_or_secret.secret_key


def file_token(
    ctx_or_secret: Ctx | str,
    file_id: int,
    viewer: tuple[str, int],
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    kind, viewer_id = viewer
    if kind not in _KIND_CODES:
        raise ValueError(f"unknown viewer kind {kind!r}")
    # The expiry rides inside the signed payload, computed from the product's clock (not the
    # serializer's wall-clock timestamp), so tests and the server agree on when a link dies.
    expires = int((now + ttl).timestamp())
    payload: list[Any] = [int(file_id), _KIND_CODES[kind], int(viewer_id), expires]
    return str(_serializer(_secret(ctx_or_secret)).dumps(payload))


def file_link(
    ctx_or_secret: Ctx | str,
    base_url: str | None,
    file_id: int,
    viewer: tuple[str, int],
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    """The URL a person taps to see one file; base_url None takes the context's public URL."""
    if base_url is None:
        if isinstance(ctx_or_secret, str):
            raise ValueError("base_url is needed when only a secret is given")
        base_url = ctx_or_secret.public_base_url
    token = file_token(ctx_or_secret, file_id, viewer, now, ttl)
    return f"{base_url.rstrip('/')}{LINK_PATH}{token}"


def verify_link(ctx_or_secret: Ctx | str, token: str, now: datetime) -> FileClaim:
    """The claim inside a token; LinkInvalid or LinkExpired otherwise."""
    try:
        payload = _serializer(_secret(ctx_or_secret)).loads(token)
    except BadSignature as exc:
        raise LinkInvalid(str(exc)[:80]) from None
    try:
        file_id, code, viewer_id, expires = payload
        claim = FileClaim(
            int(file_id),
            _CODE_KINDS[code],
            int(viewer_id),
            datetime.fromtimestamp(int(expires), tz=UTC),
        )
    except (TypeError, ValueError, KeyError):
        raise LinkInvalid("malformed payload") from None
    if now >= claim.expires_at:
        raise LinkExpired(claim.expires_at.isoformat())
    return claim
