"""Tab completion: keywords, dotted provider/service/resource/method names, and a method's @parameters."""

from __future__ import annotations

import re

from .._errors import Error
from ..manifest import Registry

KEYWORDS = (
    "EXEC",
    "SHOW",
    "DESCRIBE",
    "USE",
    "METHODS",
    "RESOURCES",
    "SERVICES",
    "PROVIDERS",
    "EXTENDED",
    "IN",
    "LIKE",
    "WHERE",
    "METHOD",
    "SELECT",
    "FROM",
    "INSERT",
    "INTO",
    "VALUES",
    "RETURNING",
    "REGISTRY",
    "LIST",
    "PULL",
    "JOIN",
    "ON",
    "AND",
    "GROUP BY",
    "ORDER BY",
    "LIMIT",
)
_RESOURCE_NAME = re.compile(r"\b(?:FROM|JOIN|INTO)\s+([A-Za-z0-9_.]+)", re.IGNORECASE)
_SQL_START = re.compile(r"^\s*(SELECT|WITH|INSERT)\b", re.IGNORECASE)
_METHOD_NAME = re.compile(r"\bEXEC\s+(?:/\*\+.*?\*/\s*)?([A-Za-z0-9_.]+)", re.IGNORECASE | re.DOTALL)


class Completer:
    """Answers `complete(text, state)` for readline from the registry's names."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.default_provider: str | None = None
        self.buffer = ""  # the statement typed so far, set by the shell before each line
        self._matches: list[str] = []

    def candidates(self, text: str, line: str) -> list[str]:
        if text.startswith("@"):
            return [
                f"@{name}="
                for name in self._parameters(self.buffer + "\n" + line)
                if f"@{name}".startswith(text)
            ]
        if "." in text:
            return self._dotted(text)
        words = [k for k in KEYWORDS if k.startswith(text.upper())]
        # Typed case is kept; the space is added here because Python's readline does not add one.
        words = [(w if text.isupper() or not text else w.lower()) + " " for w in words]
        names = [p for p in self.registry.provider_names() if p.startswith(text)]
        columns = [c for c in self._columns(self.buffer + "\n" + line) if c.startswith(text)]
        return columns + words + names

    def _columns(self, statement: str) -> list[str]:
        """In a SELECT or INSERT: the columns (and WHERE parameters) of the resources it names."""
        if not _SQL_START.match(statement):
            return []
        from ..query.columns import resource_columns

        found: dict[str, None] = {}
        for name in _RESOURCE_NAME.findall(statement):
            try:
                target = self.registry.resource_target(tuple(name.split(".")), self.default_provider)
            except Error:
                continue
            found.update(dict.fromkeys(c.name for c in resource_columns(target)))
            for method in target.resource.methods:
                found.update(dict.fromkeys(p.name for p in method.parameters if p.location != "body"))
        return list(found)

    def complete(self, text: str, state: int) -> str | None:
        if state == 0:
            import readline

            try:
                self._matches = self.candidates(text, readline.get_line_buffer())
            except Error:
                self._matches = []
        return self._matches[state] if state < len(self._matches) else None

    def _dotted(self, text: str) -> list[str]:
        *parents, partial = text.split(".")
        options: list[str] = []
        try:
            if len(parents) == 1:
                provider = self.registry.provider(parents[0])
                options = [s.name for s in provider.services]
            elif len(parents) == 2:
                provider = self.registry.provider(parents[0])
                options = [r.name for r in self.registry.service(provider, parents[1]).resources]
            elif len(parents) == 3:
                target = self.registry.resource_target(tuple(parents), None)
                options = [m.name for m in target.resource.methods]
        except Error:
            return []
        prefix = ".".join(parents)
        return [f"{prefix}.{o}" for o in options if o.startswith(partial)]

    def _parameters(self, statement: str) -> list[str]:
        match = _METHOD_NAME.search(statement)
        if not match:
            return []
        try:
            target = self.registry.method_target(tuple(match.group(1).split(".")), self.default_provider)
        except Error:
            return []
        assert target.method is not None
        return [p.name for p in target.method.parameters] + ["@json"]
