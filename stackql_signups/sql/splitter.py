"""Split a script into statements at `;`, respecting quotes and comments, before any tokenizing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from .._errors import Location, ParseError

_SPECIAL = re.compile(r"['\"`;]|--|/\*")
_NOT_SPACE = re.compile(r"\S")  # as str.isspace


class Chunk(NamedTuple):
    """One statement's text, where it starts in the script (0-based offset) and on which line.

    A NamedTuple rather than a frozen dataclass: one is made per statement, and a tuple is made fastest.
    """

    text: str
    offset: int
    line: int = 1


def line_and_column(text: str, offset: int, anchor: tuple[int, int] = (0, 1)) -> tuple[int, int, str]:
    """1-based line and column of `offset` in `text`, and that line's text.

    `anchor` is a known (offset, line) at or before `offset`: counting starts there, so that finding
    positions in a long script costs the distance from the statement, not from the top.
    """
    anchor_offset, anchor_line = anchor if anchor[0] <= offset else (0, 1)
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end == -1 else line_end
    line = anchor_line + text.count("\n", anchor_offset, offset)
    return line, offset - line_start + 1, text[line_start:line_end].rstrip("\r")


def location(
    script: str, offset: int, statement: int | None = None, anchor: tuple[int, int] = (0, 1)
) -> Location:
    line, column, source_line = line_and_column(script, offset, anchor)
    return Location(statement=statement, line=line, column=column, source_line=source_line)


def split(script: str) -> Iterator[Chunk]:
    """Yield each statement that holds more than comments and white space."""
    i, start, n = 0, 0, len(script)
    number = 1
    line = 1  # the line on which `start` stands
    search = _SPECIAL.search  # jump from one quote, comment or `;` to the next: no loop over characters
    while (found := search(script, i)) is not None:
        i = found.start()
        ch = script[i]
        if ch in "'\"`":
            close = _string_end(script, i)
            if close < 0:
                kind = {"'": "string", '"': "quoted identifier", "`": "quoted identifier"}[ch]
                raise ParseError(
                    f"unterminated {kind}",
                    location=location(script, i, number, (start, line)),
                    hint=f"close the {ch} that starts here; write {ch}{ch} for a {ch} inside it",
                )
            i = close + 1
        elif ch == "-":
            end = script.find("\n", i)
            i = n if end < 0 else end + 1
        elif ch == "/":
            end = script.find("*/", i + 2)
            if end < 0:
                raise ParseError(
                    "unterminated comment",
                    location=location(script, i, number, (start, line)),
                    hint="close it with */",
                )
            i = end + 2
        else:  # ";"
            if has_code(script, start, i):
                yield Chunk(script[start:i], start, line)
                number += 1
            line += script.count("\n", start, i + 1)
            i += 1
            start = i
    if has_code(script, start, n):
        yield Chunk(script[start:], start, line)


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


def has_code(text: str, i: int = 0, n: int | None = None) -> bool:
    """Whether `text[i:n]` holds anything but white space and comments."""
    n = len(text) if n is None else n
    found = _NOT_SPACE.search(text, i, n)
    if found is None:
        return False
    i = found.start()
    if text[i] not in "-/":
        return True  # the usual case: a statement, not a comment
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


def first_code(text: str) -> int:
    """Offset of the first character that is not white space or a comment (a `/*+` hint is code)."""
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end + 1
        elif text.startswith("/*", i) and not text.startswith("/*+", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
        else:
            return i
    return 0
