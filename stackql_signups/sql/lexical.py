"""Where a SQL text's strings, quoted names and comments begin and end: the one scanner for them.

The statement splitter, the checks for code and the template renderer walk texts with it; sqlglot's
tokenizer reads the same quote and comment facts from `grammar.py`. No sqlglot here (the fast path uses it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Literal, NamedTuple

from .grammar import BLOCK_COMMENT, HINT_OPENING, IDENTIFIER_QUOTES, LINE_COMMENT, STRING_QUOTE

Kind = Literal["string", "identifier", "line comment", "block comment", "stop"]

_QUOTES = (STRING_QUOTE, *IDENTIFIER_QUOTES)
_NOT_SPACE = re.compile(r"\S")  # as str.isspace
_LINE_END = re.compile(r"[\r\n]")


class Span(NamedTuple):
    """A string, quoted name or comment at `text[start:end]` (quotes, `--` and `*/` included).

    `closed` is False when the text ends inside it; a line comment is closed by its newline or the end.
    A NamedTuple: one is made per quote or comment of every statement, and a tuple is made fastest.
    """

    kind: Kind
    start: int
    end: int
    closed: bool = True


@functools.lru_cache(maxsize=4)
def _openers(stops: str) -> re.Pattern[str]:
    openers = (*_QUOTES, LINE_COMMENT, BLOCK_COMMENT[0], *stops)
    return re.compile("|".join(re.escape(o) for o in openers))


def spans(text: str, start: int = 0, end: int | None = None, stops: str = "") -> Iterator[Span]:
    """Each string, quoted name and comment of `text[start:end]` in order, and each character of `stops`
    that stands in code (a `stop` span). The text between two spans is code."""
    n = len(text) if end is None else end
    search = _openers(stops).search  # jump from one opener to the next: no loop over characters
    i = start
    while (found := search(text, i, n)) is not None:
        i = found.start()
        opener = found.group()
        if opener in _QUOTES:
            close = closing_quote(text, i, n)
            kind: Kind = "string" if opener == STRING_QUOTE else "identifier"
            if close < 0:
                yield Span(kind, i, n, closed=False)
                return
            yield Span(kind, i, close + 1)
            i = close + 1
        elif opener == LINE_COMMENT:
            line_end = _LINE_END.search(text, i + len(LINE_COMMENT), n)  # \r alone ends it too, as in sqlglot
            i, start = (n if line_end is None else line_end.end()), i
            yield Span("line comment", start, i)
        elif opener == BLOCK_COMMENT[0]:
            close = text.find(BLOCK_COMMENT[1], i + len(BLOCK_COMMENT[0]), n)
            if close < 0:
                yield Span("block comment", i, n, closed=False)
                return
            yield Span("block comment", i, close + len(BLOCK_COMMENT[1]))
            i = close + len(BLOCK_COMMENT[1])
        else:
            yield Span("stop", i, i + 1)
            i += 1


def closing_quote(text: str, i: int, n: int | None = None) -> int:
    """Index of the quote that closes the one at `i` (a doubled quote stands for itself), or -1."""
    quote = text[i]
    n = len(text) if n is None else n
    j = i + 1
    while True:
        j = text.find(quote, j, n)
        if j < 0:
            return -1
        if j + 1 < n and text[j + 1] == quote:
            j += 2
            continue
        return j


def is_comment(span: Span) -> bool:
    return span.kind in ("line comment", "block comment")


def has_code(text: str, i: int = 0, n: int | None = None) -> bool:
    """Whether `text[i:n]` holds anything but white space and comments."""
    n = len(text) if n is None else n
    found = _NOT_SPACE.search(text, i, n)
    if found is None:
        return False
    if text[found.start()] not in "-/":
        return True  # the usual case: a statement, not a comment
    return _first_code(text, found.start(), n, hints=False) >= 0


def first_code(text: str) -> int:
    """Offset of the first character that is not white space or a comment (a `/*+` hint is code); 0 when
    there is none."""
    return max(0, _first_code(text, 0, len(text), hints=True))


def _first_code(text: str, i: int, n: int, hints: bool) -> int:
    for span in spans(text, i, n):
        found = _NOT_SPACE.search(text, i, span.start)
        if found is not None:
            return found.start()
        if not is_comment(span) or (hints and text.startswith(HINT_OPENING, span.start)):
            return span.start
        i = span.end
    found = _NOT_SPACE.search(text, i, n)
    return -1 if found is None else found.start()
