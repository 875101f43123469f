"""TOML tables read by key, each problem a RulesError that names the line it is on."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any, Final

from rules.model import RulesError

KeyPath = tuple[str | int, ...]

_TIME_RE: Final = re.compile(r"^(\d{1,2}):(\d{2})$")

MISSING: Final[Any] = object()


class Context:
    """The file being read, with a lazily built index from key paths to line numbers."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text
        self._lines: dict[KeyPath, int] | None = None

    def line_of(self, path: KeyPath) -> int:
        if self._lines is None:
            self._lines = key_lines(self.text)
        for cut in range(len(path), 0, -1):
            line = self._lines.get(path[:cut])
            if line is not None:
                return line
        return 1

    def error(self, path: KeyPath, reason: str) -> RulesError:
        return RulesError(self.source, self.line_of(path), reason)


class TableReader:
    """One table being read: typed getters take known keys; finish() rejects the rest."""

    def __init__(self, data: Mapping[str, Any], path: KeyPath, ctx: Context) -> None:
        self.data = data
        self.path = path
        self.ctx = ctx
        self.asked: list[str] = []

    @property
    def name(self) -> str:
        return ".".join(p for p in self.path if isinstance(p, str)) or "top level"

    def error(self, key: str | None, reason: str) -> RulesError:
        return self.ctx.error(self.path + ((key,) if key else ()), reason)

    def has(self, key: str) -> bool:
        return key in self.data

    def _raw(self, key: str, default: Any) -> Any:
        self.asked.append(key)
        if key in self.data:
            return self.data[key]
        if default is MISSING:
            # A missing key next to a near-miss is a typo: point at the typo, not the header.
            typo = difflib.get_close_matches(key, [k for k in self.data if k not in self.asked], 1)
            if typo:
                raise self.error(
                    typo[0], f"unknown key {typo[0]!r} in [{self.name}] (did you mean {key!r}?)"
                )
            raise self.error(None, f"[{self.name}] needs {key!r}")
        return default

    def get_int(
        self, key: str, default: Any = MISSING, *, minimum: int = 0, maximum: int | None = None
    ) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.data:
            return value
        # bool is an int in Python; `true` for a count is a mistake, not 1.
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"{key} must be a whole number, not {value!r}")
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"{minimum}..{maximum}" if maximum is not None else f"at least {minimum}"
            raise self.error(key, f"{key} must be {bounds}, not {value}")
        return value

    def get_bool(self, key: str, default: Any = MISSING) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.data:
            return value
        if not isinstance(value, bool):
            raise self.error(key, f"{key} must be true or false, not {value!r}")
        return value

    def get_str(self, key: str, default: Any = MISSING, *, choices: Sequence[str] = ()) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.data:
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"{key} must be non-empty text, not {value!r}")
        if choices and value not in choices:
            raise self.error(key, f"{key} must be one of {', '.join(choices)}; not {value!r}")
        return value

    def get_strs(self, key: str, default: Any = MISSING) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.data:
            return value
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
            raise self.error(key, f"{key} must be text or a non-empty list of text")
        return tuple(items)

    def get_ints(self, key: str, allowed: Collection[int]) -> tuple[int, ...]:
        value = self._raw(key, ())
        if value == ():
            return ()
        items = [value] if isinstance(value, int) and not isinstance(value, bool) else value
        if (
            not isinstance(items, list)
            or not items
            or not all(
                isinstance(v, int) and not isinstance(v, bool) and v in allowed for v in items
            )
        ):
            raise self.error(
                key, f"{key} must be a list drawn from {sorted(allowed)}, not {value!r}"
            )
        return tuple(sorted(set(items)))

    def get_date(self, key: str, default: Any = MISSING) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.data:
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        elif isinstance(value, date) and not isinstance(value, datetime):
            return value
        raise self.error(key, f"{key} must be a date like 2026-08-31, not {value!r}")

    def get_time(self, key: str, default: Any = MISSING) -> Any:
        value = self._raw(key, default)
        if value is default and key not in self.data:
            return value
        parsed = parse_time(value)
        if parsed is None:
            raise self.error(key, f'{key} must be a time like "16:00", not {value!r}')
        return parsed

    def table(self, key: str, *, required: bool = False) -> TableReader:
        value = self._raw(key, MISSING if required else {})
        if not isinstance(value, dict):
            raise self.error(key, f"{key} must be a table")
        return TableReader(value, self.path + (key,), self.ctx)

    def tables(self, key: str) -> list[TableReader]:
        value = self._raw(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(key, f"{key} must be an array of tables ([[{key}]])")
        return [TableReader(v, self.path + (key, i), self.ctx) for i, v in enumerate(value)]

    def finish(self) -> None:
        unknown = [k for k in self.data if k not in self.asked]
        if not unknown:
            return
        key = min(unknown, key=lambda k: self.ctx.line_of(self.path + (k,)))
        hint = difflib.get_close_matches(key, self.asked, n=1)
        suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise self.error(key, f"unknown key {key!r} in [{self.name}]{suggestion}")


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map key paths (arrays of tables by index) to the line that defines them.

    Only runs on text tomllib accepted, so it can be simple: it tracks strings and brackets
    just enough to skip the continuation lines of multi-line values."""
    lines: dict[KeyPath, int] = {}
    array_counts: dict[KeyPath, int] = {}
    table: KeyPath = ()
    open_string: str | None = None
    depth = 0

    def resolve(parts: list[str]) -> KeyPath:
        out: list[str | int] = []
        for part in parts:
            out.append(part)
            count = array_counts.get(tuple(out))
            if count is not None:
                out.append(count)
        return tuple(out)

    for number, line in enumerate(text.splitlines(), start=1):
        if open_string is not None or depth > 0:
            open_string, depth = _scan_value(line, open_string, depth)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[["):
            parts = _split_key(stripped[2 : stripped.index("]]")])
            parent = resolve(parts[:-1])
            array = parent + (parts[-1],)
            array_counts[array] = array_counts.get(array, -1) + 1
            lines.setdefault(array, number)
            table = array + (array_counts[array],)
            lines[table] = number
            continue
        if stripped.startswith("["):
            table = resolve(_split_key(stripped[1 : _header_end(stripped)]))
            lines.setdefault(table, number)
            continue
        equals = _key_end(stripped)
        if equals < 0:
            continue
        lines.setdefault(table + tuple(_split_key(stripped[:equals])), number)
        open_string, depth = _scan_value(stripped[equals + 1 :], None, 0)
    return lines


def _split_key(key: str) -> list[str]:
    """Dotted key → parts, honouring quoted parts."""
    parts: list[str] = []
    current = ""
    quote: str | None = None
    for ch in key.strip():
        if quote:
            if ch == quote:
                quote = None
            else:
                current += ch
        elif ch in "\"'":
            quote = ch
        elif ch == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    parts.append(current.strip())
    return parts


def _header_end(header: str) -> int:
    quote: str | None = None
    for i, ch in enumerate(header):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "]":
            return i
    return len(header)


def _key_end(line: str) -> int:
    quote: str | None = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            return i
    return -1


def _scan_value(text: str, open_string: str | None, depth: int) -> tuple[str | None, int]:
    """Carry string and bracket state across one line of a value."""
    i = 0
    while i < len(text):
        if open_string is not None:
            if open_string in ('"', '"""') and text[i] == "\\":
                i += 2
                continue
            if text.startswith(open_string, i):
                i += len(open_string)
                open_string = None
                continue
            i += 1
            continue
        ch = text[i]
        if ch == "#":
            break
        if text.startswith('"""', i) or text.startswith("'''", i):
            open_string = text[i : i + 3]
            i += 3
            continue
        if ch in "\"'":
            open_string = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        i += 1
    if open_string in ('"', "'"):
        open_string = None  # single-line strings cannot continue
    return open_string, depth


def parse_time(value: Any) -> time | None:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0) if value.tzinfo is None else None
    if isinstance(value, str):
        match = _TIME_RE.match(value.strip())
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            return time(int(match[1]), int(match[2]))
    return None
