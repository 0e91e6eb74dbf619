"""Placeholders left in data (`PASTE-LINK-TOKEN-HERE`, `<token>`, `CHANGEME`) are refused before sending."""

from __future__ import annotations

import re
from typing import Any

_PLACEHOLDER = re.compile(
    r"(?:paste|your|replace|insert|enter|put|fill)[-_ .](?:[a-z0-9]+[-_ .])*?(?:here|me|in)"
    r"|<[^<>]{1,40}>|\{\{[^{}]*\}\}|changeme|change[-_ ]me",
    re.IGNORECASE,
)


def placeholder_in(value: Any, path: str = "") -> tuple[str, str] | None:
    """The first (field path, text) whose whole text is a placeholder, anywhere in `value`."""
    if isinstance(value, str):
        return (path, value) if _PLACEHOLDER.fullmatch(value.strip()) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = placeholder_in(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = placeholder_in(item, f"{path}[{i}]")
            if found:
                return found
    return None
