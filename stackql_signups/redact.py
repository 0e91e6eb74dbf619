"""Mask secrets in the text of an error: the statement line it quotes may carry a link token."""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ._errors import Error, ValidationError

MASK = "********"
# Variable names that hold secrets whatever the manifest says; values shorter than this are not masked.
SECRET_WORDS = ("token", "secret", "password", "passwd", "api_key", "apikey", "credential")
MIN_SECRET_LENGTH = 4


def is_secret_name(name: str, secret_names: Iterable[str]) -> bool:
    lowered = name.lower()
    return lowered in secret_names or any(word in lowered for word in SECRET_WORDS)


def secret_values(variables: Mapping[str, Any], secret_names: frozenset[str]) -> set[str]:
    """String values held under a secret-looking name anywhere in the template variables."""
    found: set[str] = set()

    def walk(value: Any, secret: bool) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                walk(item, secret or is_secret_name(str(key), secret_names))
        elif isinstance(value, list):
            for item in value:
                walk(item, secret)
        elif secret and isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
            found.add(value)

    walk(variables, False)
    return found


_USERINFO = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):([^/\s@]*)@")


def url_userinfo(text: str) -> str:
    """`text` with the password of every `scheme://user:password@host` masked (`--endpoint` may hold one)."""
    return _USERINFO.sub(lambda m: f"{m.group(1)}:{MASK}@", text)


_FIELD = re.compile(r'@(\w+)\s*=\s*|"(\w+)"\s*:\s*')
_FRAGMENT = re.compile(r"[\w\-.~+/=]{4,}")
NEAR_MISS = 0.8
"""A parameter or field name this close to a secret's name (`@tokn=`) is masked as if it were one."""


class Redactor:
    """Masks known secret values, and the values of secret fields, in text."""

    def __init__(self, names: Iterable[str], values: Iterable[str]) -> None:
        self.names = frozenset(n.lower() for n in names)
        self.values = sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    def secretish(self, name: str) -> bool:
        """Whether a parameter or JSON field of this name holds a secret (or was meant to: a typo)."""
        lowered = name.lower()
        if lowered in self.names or any(word in lowered for word in SECRET_WORDS):
            return True
        return any(
            difflib.SequenceMatcher(None, lowered, known).ratio() >= NEAR_MISS
            for known in (*self.names, *SECRET_WORDS)
        )

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where secret values stand in `text`: after `@name=` and `"name":` of secret-like names, in
        whatever shape the value is given (quoted either way, bare, or inside a list or an object)."""
        found: list[tuple[int, int]] = []
        for match in _FIELD.finditer(text):
            name = match.group(1) or match.group(2)
            if self.secretish(name):
                found.extend(_value_spans(text, match.end()))
        return found

    def text(self, text: str, keep_columns: bool = False) -> str:
        """`text` with secrets masked; `keep_columns` masks character for character (a caret stays put)."""

        def mask(secret: str) -> str:
            return "*" * len(secret) if keep_columns else MASK

        for value in self.values:
            text = text.replace(value, mask(value))
        for start, end in sorted(set(self.spans(text)), reverse=True):
            text = text[:start] + mask(text[start:end]) + text[end:]
        return text

    def learn(self, text: str) -> None:
        """Remember the secret values that `text` spells, to mask them wherever else they appear."""
        for start, end in self.spans(text):
            value = text[start:end]
            for form in (value, value.replace("''", "'")):
                if len(form) >= MIN_SECRET_LENGTH and form not in self.values:
                    self.values.append(form)
        self.values.sort(key=len, reverse=True)

    def fragments(self, text: str) -> str:
        """`text` with any piece of a known secret masked: a parser may quote part of a value."""
        if not self.values:
            return text

        def masked(match: re.Match[str]) -> str:
            word = match.group(0)
            return MASK if any(word in value for value in self.values) else word

        return _FRAGMENT.sub(masked, self.text(text))

    def error(self, exc: Error) -> Error:
        """The same error with its message, quoted line and violations masked."""
        if exc.location is not None and exc.location.source_line is not None:
            self.learn(exc.location.source_line)
        exc.message = self.fragments(exc.message)
        exc.args = (exc.message,)
        if exc.hint:
            exc.hint = self.fragments(exc.hint)
        if exc.location is not None and exc.location.source_line is not None:
            masked = self.text(exc.location.source_line, keep_columns=True)
            exc.location = dataclasses.replace(exc.location, source_line=masked)
        if isinstance(exc, ValidationError):
            exc.violations = tuple(self.fragments(v) for v in exc.violations)
        return exc


def _value_spans(text: str, i: int) -> list[tuple[int, int]]:
    """The spans of a value's secret text starting at `i`: a string's content, every string inside a
    list or object, or a bare word. A value cut off by the end of the text runs to the end."""
    n = len(text)
    if i >= n:
        return []
    opener = text[i]
    if opener in "'\"":
        end = _string_end(text, i)
        return [(i + 1, end)] if end > i + 1 else []
    if opener in "[{":
        spans: list[tuple[int, int]] = []
        depth, j = 0, i
        while j < n:
            ch = text[j]
            if ch in "'\"":
                end = _string_end(text, j)
                if end > j + 1:
                    spans.append((j + 1, end))
                j = end + 1
                continue
            depth += 1 if ch in "[{" else -1 if ch in "]}" else 0
            j += 1
            if depth == 0:
                break
        return spans
    bare = re.compile(r"[^\s,;)}\]'\"]+").match(text, i)
    return [(i, bare.end())] if bare else []


def _string_end(text: str, i: int) -> int:
    """Index of the quote that closes the string opened at `i` (`''` and backslash escapes stay inside),
    or the end of the text."""
    quote = text[i]
    j = i + 1
    while j < len(text):
        ch = text[j]
        if ch == "\\" and quote == '"':
            j += 2
            continue
        if ch == quote:
            if quote == "'" and text.startswith("''", j):
                j += 2
                continue
            return j
        j += 1
    return len(text)
