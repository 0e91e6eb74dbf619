"""Mask secrets in the text of an error: the statement line it quotes may carry a link token."""

from __future__ import annotations

import dataclasses
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


class Redactor:
    """Masks known secret values, and the values of secret fields, in text."""

    def __init__(self, names: Iterable[str], values: Iterable[str]) -> None:
        self.values = sorted({v for v in values if len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        words = sorted({re.escape(n) for n in names} | {rf"\w*{w}\w*" for w in SECRET_WORDS})
        alternatives = "|".join(words)
        # "token": "..." in JSON (the line may end inside the value), and @token='...' in SQL.
        self._json = re.compile(rf'("(?:{alternatives})"\s*:\s*")((?:[^"\\]|\\.)*)', re.IGNORECASE)
        self._sql = re.compile(rf"(@(?:{alternatives})\s*=\s*')((?:[^']|'')*)", re.IGNORECASE)
        self._bare = re.compile(
            rf"(@(?:{alternatives})\s*=\s*)([^\s',;']{{{MIN_SECRET_LENGTH},}})", re.IGNORECASE
        )

    def text(self, text: str, keep_columns: bool = False) -> str:
        """`text` with secrets masked; `keep_columns` masks character for character (a caret stays put)."""

        def mask(secret: str) -> str:
            return "*" * len(secret) if keep_columns else MASK

        for value in self.values:
            text = text.replace(value, mask(value))
        text = self._json.sub(lambda m: m.group(1) + (mask(m.group(2)) if m.group(2) else ""), text)
        return self._sql.sub(lambda m: m.group(1) + (mask(m.group(2)) if m.group(2) else ""), text)

    def error(self, exc: Error) -> Error:
        """The same error with its message, quoted line and violations masked."""
        if exc.location is not None and exc.location.source_line is not None:
            # An unquoted secret (`@token=eyJ...`) is a parse error whose message repeats the value.
            self.values.extend(m.group(2) for m in self._bare.finditer(exc.location.source_line))
            self.values.sort(key=len, reverse=True)
        exc.message = self.text(exc.message)
        exc.args = (exc.message,)
        if exc.hint:
            exc.hint = self.text(exc.hint)
        if exc.location is not None and exc.location.source_line is not None:
            masked = self.text(exc.location.source_line, keep_columns=True)
            exc.location = dataclasses.replace(exc.location, source_line=masked)
        if isinstance(exc, ValidationError):
            exc.violations = tuple(self.text(v) for v in exc.violations)
        return exc
