"""Read a method's `x-outcome` extension: the facts about an API that dispatch applies generically.

StackQL's own keys say how to call a method; `x-outcome` says how to read what comes back: which response
field is the result's id, what a 409 means and where the existing object is, what a 403 needs, and how to
check an outcome that is unknown. docs/MANIFEST.md documents every key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._errors import ManifestError
from .model import Existing, OutcomeRules

KEY = "x-outcome"
_KEYS = ("id", "conflict", "existing", "forbidden", "unknown")
_EXISTING_KEYS = ("at", "row", "what", "scope", "incomplete")
_UNKNOWN_KEYS = ("check", "rerun")


def read_rules(method: Mapping[str, Any], where: str) -> OutcomeRules:
    """The `x-outcome` of one method entry of `x-stackQL-resources`; defaults when it has none."""
    node = method.get(KEY)
    if node is None:
        return OutcomeRules()
    path = f"{where}.{KEY}"
    node = _mapping(node, path, _KEYS)
    unknown = _mapping(node.get("unknown") or {}, f"{path}.unknown", _UNKNOWN_KEYS)
    existing = node.get("existing")
    return OutcomeRules(
        id=_text(node, "id", path),
        conflict=_text(node, "conflict", path),
        existing=None if existing is None else _existing(existing, f"{path}.existing"),
        forbidden=_text(node, "forbidden", path),
        check=_text(unknown, "check", f"{path}.unknown"),
        rerun=_text(unknown, "rerun", f"{path}.unknown"),
    )


def _existing(node: Any, path: str) -> Existing:
    node = _mapping(node, path, _EXISTING_KEYS)
    at = node.get("at")
    if at not in ("location", "request"):
        raise ManifestError(f"{path}.at: must be location or request, found {at!r}")
    row = _mapping(node.get("row"), f"{path}.row", None)
    if not row:
        raise ManifestError(f"{path}.row: must name at least one result column")
    return Existing(
        at=at,
        row=tuple((str(column), value) for column, value in row.items()),
        what=_text(node, "what", path) or "object",
        scope=_text(node, "scope", path),
        incomplete=_text(node, "incomplete", path),
    )


def _mapping(node: Any, path: str, keys: tuple[str, ...] | None) -> Mapping[str, Any]:
    if not isinstance(node, Mapping):
        raise ManifestError(f"{path}: must be a mapping, found {type(node).__name__}")
    unknown = sorted(str(k) for k in node if keys is not None and k not in keys)
    if unknown:
        raise ManifestError(f"{path}: unknown key {', '.join(unknown)}; allowed: {', '.join(keys or ())}")
    return node


def _text(node: Mapping[str, Any], key: str, path: str) -> str | None:
    value = node.get(key)
    if value is not None and not isinstance(value, str):
        raise ManifestError(f"{path}.{key}: must be a string, found {type(value).__name__}")
    return value
