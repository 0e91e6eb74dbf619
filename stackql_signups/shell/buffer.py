"""Decide when the lines typed so far hold a whole statement (a `;` outside strings and comments)."""

from __future__ import annotations


def is_complete(text: str) -> bool:
    """Whether `text` ends with a `;` that is outside quotes and comments (trailing comments allowed)."""
    i, n = 0, len(text)
    last_code = ""
    while i < n:
        ch = text[i]
        if ch in "'\"`":
            close = _close(text, i)
            if close < 0:
                return False
            last_code = ch
            i = close + 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return False
            i = end + 2
        else:
            if not ch.isspace():
                last_code = ch
            i += 1
    return last_code == ";"


def _close(text: str, i: int) -> int:
    quote = text[i]
    j = i + 1
    while True:
        j = text.find(quote, j)
        if j < 0 or not text.startswith(quote * 2, j):
            return j
        j += 2
