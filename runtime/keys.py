"""SECRET_KEY strength: refuse guessable keys and the keys this project itself ships.

SECRET_KEY signs file links and buttons and derives the key that encrypts national IDs at rest,
so a weak one is a hole whatever else holds. `portfolio secret-key` prints a good one.
"""

from __future__ import annotations

import math
import secrets
from collections import Counter

# Bits of entropy a key must show (by its character frequencies) to be accepted.
MIN_BITS = 96
MIN_DISTINCT = 12

# Keys that appear in this project (the demo, the tests, the docs): public, so never safe.
SHIPPED_KEYS = (
    "demo-secret-key-not-for-production",
    "test-secret-key-0123456789abcdef",
    "change-me",
    "changeme",
)


def new_key() -> str:
    """A fresh key: 48 random bytes, URL-safe (64 characters, about 384 bits)."""
    return secrets.token_urlsafe(48)


def estimated_bits(key: str) -> float:
    """Shannon entropy of the key's characters times its length: a generous upper bound for
    hand-made keys, and close for random ones."""
    if not key:
        return 0.0
    counts = Counter(key)
    total = len(key)
    per_char = -sum(n / total * math.log2(n / total) for n in counts.values())
    return per_char * total


def _runs(key: str) -> int:
    """How many neighbouring characters repeat or count up/down by one ("aaaa", "abcd", "4321")."""
    return sum(1 for a, b in zip(key, key[1:], strict=False) if abs(ord(a) - ord(b)) <= 1)


def is_shipped(key: str) -> bool:
    return key.strip() in SHIPPED_KEYS


def weakness(key: str) -> str | None:
    """Why this key must not be used outside the demo (one line), or None when it is good."""
    if is_shipped(key):
        return "SECRET_KEY is a key published with this project: run `portfolio secret-key`"
    if estimated_bits(key) < MIN_BITS or len(set(key)) < MIN_DISTINCT or _runs(key) * 3 > len(key):
        return (
            "SECRET_KEY is too guessable: use a random key of at least 32 characters, "
            "e.g. the output of `portfolio secret-key`"
        )
    return None
