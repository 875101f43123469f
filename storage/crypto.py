"""Encryption at rest for sensitive personal data (national ID, phone numbers)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator


class KeyNotSet(RuntimeError):
    pass


class DataCipher:
    """Fernet for the values and a keyed hash for finding them without decrypting."""

    def __init__(self, secret: str) -> None:
        material = hashlib.sha256(b"portfolio-data-key:" + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(material))
        self._hash_key = hashlib.sha256(b"portfolio-lookup-key:" + secret.encode()).digest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("encrypted value does not match the configured key") from exc

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


_cipher: DataCipher | None = None


def configure(secret: str) -> DataCipher:
    """Set the process's data key; called once at the app or job boundary."""
    global _cipher
    _cipher = DataCipher(secret)
    return _cipher


def cipher() -> DataCipher:
    if _cipher is None:
        raise KeyNotSet("the data encryption key is not configured")
    return _cipher


class EncryptedString(TypeDecorator[str]):
    """A string column stored encrypted; plain text never reaches the database."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return cipher().encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return cipher().decrypt(value)


def mask_national_id(value: str | None) -> str:
    """A national ID as staff may see it on screen: A12****789."""
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 6, 0) + value[-3:]
