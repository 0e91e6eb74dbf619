"""Whether loaded YAML is plain JSON data: no loops, no alias expansion bomb, no non-JSON scalars."""

from __future__ import annotations

from typing import Any

JSON_SCALARS = (str, int, float, bool, type(None))


def data_problem(data: Any, max_values: int, json_only: bool = False) -> str | None:
    """What makes `data` unusable, or None. Linear in the distinct values: YAML aliases share values,
    and each shared one is measured once, so a file of a few hundred bytes cannot cost hours."""
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()

    def size(value: Any, path: str, depth: int) -> int:
        if not isinstance(value, (dict, list)):
            if json_only and not isinstance(value, JSON_SCALARS):
                raise _Problem(f"{path or 'the document'} is a {type(value).__name__}, not a JSON value")
            return 1
        key = id(value)
        if key in sizes:
            return sizes[key]
        if key in open_ids:
            raise _Problem(f"{path or 'the document'} contains itself (a YAML alias loop)")
        if depth > 500:
            raise _Problem(f"{path or 'the document'} is nested too deeply")
        open_ids.add(key)
        if isinstance(value, dict):
            total = 1
            for name, item in value.items():
                if json_only and not isinstance(name, str):
                    raise _Problem(f"{path or 'the document'} has a key {name!r} that is not a string")
                total += size(item, f"{path}.{name}" if path else str(name), depth + 1)
        else:
            total = 1 + sum(size(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value))
        open_ids.discard(key)
        if total > max_values:
            raise _Problem(f"it expands to more than {max_values:,} values (YAML aliases)")
        sizes[key] = total
        return total

    try:
        size(data, "", 0)
    except _Problem as problem:
        return str(problem)
    return None


class _Problem(Exception):
    pass
