"""Decide when the lines typed so far hold a whole statement (a `;` outside strings and comments)."""

from __future__ import annotations

from ..sql.lexical import is_comment, spans


def is_complete(text: str) -> bool:
    """Whether `text` ends with a `;` that is outside quotes and comments (trailing comments allowed)."""
    last_code = ""
    i = 0
    for span in spans(text, stops=";"):
        if not span.closed:
            return False  # a string, quoted name or block comment still open: more lines to come
        code = text[i : span.start].rstrip()
        if code.strip():
            last_code = code[-1]
        if not is_comment(span):
            last_code = text[span.start]  # a `;`, or the quote of a string or name
        i = span.end
    if text[i:].strip():
        last_code = text[i:].rstrip()[-1]
    return last_code == ";"
