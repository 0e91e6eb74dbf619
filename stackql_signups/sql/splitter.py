"""Split a script into statements at each `;` that stands in code (`lexical` finds it), before tokenizing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from .._errors import Location, ParseError
from .grammar import BLOCK_COMMENT
from .lexical import has_code, spans


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
    start = 0
    number = 1
    line = 1  # the line on which `start` stands
    for span in spans(script, stops=";"):
        if not span.closed:
            opener = script[span.start]
            what = {"string": "string", "identifier": "quoted identifier"}.get(span.kind, "comment")
            raise ParseError(
                f"unterminated {what}",
                location=location(script, span.start, number, (start, line)),
                hint=f"close the {opener} that starts here; write {opener}{opener} for a {opener} inside it"
                if span.kind != "block comment"
                else f"close it with {BLOCK_COMMENT[1]}",
            )
        if span.kind == "stop":  # a `;` in code
            if has_code(script, start, span.start):
                yield Chunk(script[start : span.start], start, line)
                number += 1
            line += script.count("\n", start, span.end)
            start = span.end
    if has_code(script, start, len(script)):
        yield Chunk(script[start:], start, line)
