"""Opaque, signed postback references: a button acts only on the items and version it names.

A reference packs item ids and a version as varints, base64url-encoded, followed by an HMAC-SHA256
(keyed with SECRET_KEY) over the action and those bytes. Crafted data fails the MAC; data copied
from another button names another action and fails too; data replayed after the item changed
carries an old version, which the caller compares with the item's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from flows.line_limits import MAX_POSTBACK_DATA_LENGTH

# 96 bits of MAC: forging one takes ~2^96 tries, and LINE's 300-character limit leaves room.
MAC_BYTES = 12
SEPARATOR = "."
MAX_IDS = 24
_B64 = re.compile(r"[A-Za-z0-9_-]+")


class RefError(ValueError):
    pass


@dataclass(frozen=True)
class Ref:
    action: str
    ids: tuple[int, ...]
    version: int

    @property
    def id(self) -> int:
        return self.ids[0]


def _varints(values: Sequence[int]) -> bytes:
    out = bytearray()
    for value in values:
        if value < 0:
            raise RefError("negative numbers cannot be packed")
        while True:
            byte = value & 0x7F
            value >>= 7
            if value:
                out.append(byte | 0x80)
            else:
                out.append(byte)
                break
    return bytes(out)


def _unvarints(data: bytes) -> list[int]:
    values: list[int] = []
    value = shift = 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if shift > 63:
            raise RefError("number too long")
        if not byte & 0x80:
            values.append(value)
            value = shift = 0
    if shift:
        raise RefError("truncated number")
    return values


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret_key: str, action: str, body: bytes) -> bytes:
    message = action.encode() + b"\x00" + body
    return hmac.new(secret_key.encode(), message, hashlib.sha256).digest()[:MAC_BYTES]


def make(secret_key: str, action: str, ids: Sequence[int], version: int = 0) -> str:
    """A reference for these items at this version, for this action only."""
    if not ids or len(ids) > MAX_IDS:
        raise RefError(f"a reference names 1 to {MAX_IDS} items")
    body = _varints([version, *ids])
    ref = _b64(body) + SEPARATOR + _b64(_mac(secret_key, action, body))
    if len(ref) > MAX_POSTBACK_DATA_LENGTH // 2:
        raise RefError("reference too long for a postback")
    return ref


def read(secret_key: str, action: str, ref: str) -> Ref | None:
    """The reference's items and version, or None when it was not made by us for `action`."""
    body_text, _, mac_text = ref.partition(SEPARATOR)
    # Strict alphabet: the decoder would skip stray characters, and one reference must have
    # exactly one spelling.
    if not _B64.fullmatch(body_text) or not _B64.fullmatch(mac_text):
        return None
    try:
        body, mac = _unb64(body_text), _unb64(mac_text)
    except ValueError:
        return None
    if not hmac.compare_digest(mac, _mac(secret_key, action, body)):
        return None
    try:
        values = _unvarints(body)
    except RefError:
        return None
    if len(values) < 2:
        return None
    return Ref(action, tuple(values[1:]), values[0])
