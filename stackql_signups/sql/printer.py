"""Print a parsed EXEC back as SQL that parses to the same statement: `to_sql(parse(text)[0])`.

Used to show a statement in a canonical form (one line, hints in one comment, `@@json` last) and tested
by round trip: `parse(to_sql(e))` equals `e` in name, parameters and their values (types included), the
`@@json` text, hints and label.
"""

from __future__ import annotations

import math
import re

from .statements import Exec, Param, Reference, Scalar

_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_VALUE_WORDS = frozenset({"TRUE", "FALSE", "NULL"})


def to_sql(statement: Exec) -> str:
    """The statement as one line of SQL, without the closing `;`."""
    parts = ["EXEC"]
    hint_words = ([f"AS {statement.label}"] if statement.label is not None else []) + list(statement.hints)
    if hint_words:
        # The parser reads one hint comment after EXEC: every hint goes into it.
        parts.append(f"/*+ {' '.join(hint_words)} */")
    parts.append(".".join(identifier(part) for part in statement.name))
    parts.extend(param(p) for p in statement.params)
    if statement.json_body is not None:
        parts.append(f"@@json={string(str(statement.json_body.value))}")
    return " ".join(parts)


def param(item: Param) -> str:
    """`@name=value`."""
    return f"@{identifier(item.name)}={value(item.value)}"


def value(item: Scalar | Reference) -> str:
    """A parameter value as the parser reads it back: the same type and the same value."""
    if isinstance(item, Reference):
        return f"{identifier(item.label)}.{identifier(item.field)}"
    if item is None:
        return "NULL"
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        return number(item)
    return string(item)


def number(item: float) -> str:
    """A float that reads back as a float: `1.0`, `1e+20`, and `1e999` for infinity."""
    if math.isnan(item):
        raise ValueError("NaN has no SQL literal")
    if math.isinf(item):
        return "1e999" if item > 0 else "-1e999"
    text = repr(item)
    return text if any(c in text for c in ".eE") else text + ".0"


def string(text: str) -> str:
    """A single-quoted SQL string; a quote inside is doubled, backslashes stay as they are."""
    return "'" + text.replace("'", "''") + "'"


def identifier(name: str) -> str:
    """A name part bare when it is a plain word, else double-quoted (a `"` inside doubled)."""
    if _BARE.match(name) and name.upper() not in _VALUE_WORDS:
        return name
    return '"' + name.replace('"', '""') + '"'
