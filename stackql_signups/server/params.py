"""Query parameters (`$1`, `$2`, ...) written into the statement as SQL literals before it is checked."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pg_mimic import PgError

from .results import INVALID_PARAMETER_VALUE

UNDEFINED_PARAMETER = "42P02"
# Strings, quoted names and comments are skipped whole, so a `$1` inside them stays as written.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\$(\d+)", re.DOTALL)
_TEMPLATE = re.compile(r"\{[{%#]")


def parameter_count(sql: str) -> int:
    """The highest `$n` in `sql` (0 when it has none)."""
    return max((int(m.group(1)) for m in _TOKENS.finditer(sql) if m.group(1) is not None), default=0)


_BOOL, _NUMBERS = 16, frozenset({20, 21, 23, 26, 700, 701, 1700})  # bool; int8/2/4, oid, float4/8, numeric


def typed(value: Any, oid: int | None) -> Any:
    """A text-format parameter as its declared type says (pg-mimic hands text parameters over as text)."""
    if not isinstance(value, str):
        return value
    if oid == _BOOL:
        return value.lower() in ("t", "true", "1", "on", "yes")
    if oid in _NUMBERS and re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", value):
        return Decimal(value) if "." in value or "e" in value.lower() else int(value)
    return value


def substitute(sql: str, values: Sequence[Any]) -> str:
    """`sql` with each `$n` outside strings and comments replaced by the n-th value as a literal."""

    def literal_for(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return match.group(0)
        index = int(match.group(1)) - 1
        if not 0 <= index < len(values):
            raise PgError(UNDEFINED_PARAMETER, f"there is no parameter ${index + 1}")
        return literal(values[index])

    return _TOKENS.sub(literal_for, sql)


def literal(value: Any) -> str:
    """A value as StackQL reads it: a number or boolean bare, anything else a quoted string (JSON for
    documents); template markers in it are kept as text, never rendered."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
    if _TEMPLATE.search(text):
        if "endraw" in text:
            raise PgError(INVALID_PARAMETER_VALUE, "a parameter value may not contain 'endraw'")
        text = "{% raw %}" + text + "{% endraw %}"
    return "'" + text.replace("'", "''") + "'"
