"""The catalogue: every text a person reads, in Traditional Chinese, loaded from the data files
in `zh_TW/` (one file per area of the product; a key may appear in one file only)."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "zh_TW"


class MissingText(KeyError):
    pass


class DuplicateText(ValueError):
    pass


@functools.cache
def load(directory: Path = DATA_DIR) -> dict[str, str]:
    """Every key of every file in directory; a key defined twice is an error, not a silent win."""
    texts: dict[str, str] = {}
    where: dict[str, str] = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        for key, value in data.items():
            if not isinstance(value, str):
                raise DuplicateText(f"{path.name}: {key} is not a text")
            if key in texts:
                raise DuplicateText(f"{key} is in both {where[key]} and {path.name}")
            texts[key] = value
            where[key] = path.name
    return texts


class _Catalogue(Mapping[str, str]):
    """The loaded catalogue as a read-only mapping, read from disk on first use."""

    def __getitem__(self, key: str) -> str:
        return load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(load())

    def __len__(self) -> int:
        return len(load())

    def __contains__(self, key: object) -> bool:
        return key in load()


TEXTS: Mapping[str, str] = _Catalogue()


def text(key: str, /, **values: Any) -> str:
    """The catalogue text for key with its placeholders filled in."""
    try:
        template = load()[key]
    except KeyError as exc:
        raise MissingText(key) from exc
    return tidy(template.format(**values)) if values else template


# A filled-in value that ends a sentence, followed by the template's own punctuation:
# 「（請看說明。）。」 reads 「（請看說明）。」.
_DOUBLED_END = re.compile(r"。([）」』]*)(?=[。，、；：])")


def tidy(words: str) -> str:
    """Drop a full stop that a filled-in value brought in front of more punctuation."""
    return _DOUBLED_END.sub(r"\1", words)
