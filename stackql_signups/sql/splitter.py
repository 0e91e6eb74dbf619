"""Split a script into statements at `;`, respecting quotes and comments, before any tokenizing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .._errors import Location, ParseError


@dataclass(frozen=True)
class Chunk:
    """One statement's text and where it starts in the script (0-based offset)."""

    text: str
    offset: int


def line_and_column(text: str, offset: int) -> tuple[int, int, str]:
    """1-based line and column of `offset` in `text`, and that line's text."""
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    return text.count("\n", 0, offset) + 1, offset - line_start + 1, text[line_start:line_end]


def location(script: str, offset: int, statement: int | None = None) -> Location:
    line, column, source_line = line_and_column(script, offset)
    return Location(statement=statement, line=line, column=column, source_line=source_line)


def split(script: str) -> Iterator[Chunk]:
    """Yield each statement that holds more than comments and white space."""
    i, start, n = 0, 0, len(script)
    number = 1
    while i < n:
        ch = script[i]
        if ch in "'\"`":
            close = _string_end(script, i)
            if close < 0:
                kind = {"'": "string", '"': "quoted identifier", "`": "quoted identifier"}[ch]
                raise ParseError(
                    f"unterminated {kind}",
                    location=location(script, i, number),
                    hint=f"close the {ch} that starts here; write '' for a quote inside a string",
                )
            i = close + 1
        elif script.startswith("--", i):
            end = script.find("\n", i)
            i = n if end < 0 else end + 1
        elif script.startswith("/*", i):
            end = script.find("*/", i + 2)
            if end < 0:
                raise ParseError(
                    "unterminated comment", location=location(script, i, number), hint="close it with */"
                )
            i = end + 2
        elif ch == ";":
            if has_code(script[start:i]):
                yield Chunk(script[start:i], start)
                number += 1
            i += 1
            start = i
        else:
            i += 1
    if has_code(script[start:]):
        yield Chunk(script[start:], start)


def _string_end(text: str, i: int) -> int:
    """Index of the quote that closes the one at `i` (a doubled quote is an escaped one), or -1."""
    quote = text[i]
    j = i + 1
    while True:
        j = text.find(quote, j)
        if j < 0:
            return -1
        if text.startswith(quote * 2, j):
            j += 2
            continue
        return j


def has_code(text: str) -> bool:
    """Whether `text` holds anything but white space and comments."""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            return True
    return False
