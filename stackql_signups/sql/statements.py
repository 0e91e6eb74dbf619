"""The parsed statements: plain, immutable dataclasses handed from the parser to binding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

Scalar = str | int | float | bool | None


class Source(NamedTuple):
    """Where a statement stands in the rendered script (a NamedTuple: one is made per statement)."""

    number: int
    offset: int
    line: int
    column: int
    text: str
    offset_line: int = 1  # the line on which `offset` stands, an anchor for finding later positions

    @property
    def anchor(self) -> tuple[int, int]:
        return (self.offset, self.offset_line)


@dataclass(frozen=True)
class Reference:
    """A value that only an earlier statement's response can supply: `label.field`."""

    label: str
    field: str

    def __str__(self) -> str:
        return f"{self.label}.{self.field}"


@dataclass(frozen=True)
class Param:
    """One `@name=value` (or `@@json='...'`) item; `offset` is its value's position in the statement,
    `at` its `@`'s (-1 when unknown)."""

    name: str
    value: Scalar | Reference
    offset: int = 0
    at: int = field(default=-1, compare=False)


@dataclass(frozen=True)
class Exec:
    """`EXEC [hint] name [@p=v ...] [@@json='...']`."""

    name: tuple[str, ...]
    params: tuple[Param, ...]
    json_body: Param | None
    hints: tuple[str, ...]
    label: str | None
    source: Source = field(compare=False)


@dataclass(frozen=True)
class Show:
    """`SHOW [EXTENDED] PROVIDERS|SERVICES|RESOURCES|METHODS [IN name] [LIKE|WHERE ...]`."""

    what: str
    extended: bool
    target: tuple[str, ...]
    like: str | None
    where: tuple[tuple[str, str, str], ...]
    source: Source = field(compare=False)


@dataclass(frozen=True)
class ShowExecTemplate:
    """`SHOW EXEC [/*+ REQUIRED */] name`: prints a ready-to-fill EXEC for a method."""

    name: tuple[str, ...]
    required_only: bool
    source: Source = field(compare=False)


@dataclass(frozen=True)
class Describe:
    """`DESCRIBE [EXTENDED] resource` or `DESCRIBE METHOD [EXTENDED] resource.method`."""

    name: tuple[str, ...]
    extended: bool
    method: bool
    source: Source = field(compare=False)


@dataclass(frozen=True)
class Use:
    """`USE provider`: later names may leave the provider out."""

    provider: str
    source: Source = field(compare=False)


@dataclass(frozen=True)
class Unsupported:
    """SELECT / INSERT / UPDATE / DELETE / REPLACE on a resource, answered with StackQL's message."""

    verb: str
    name: tuple[str, ...]
    source: Source = field(compare=False)


@dataclass(frozen=True)
class RegistryCommand:
    """`REGISTRY LIST [provider]` or `REGISTRY PULL provider [version]`, answered from the local registry."""

    action: str  # "LIST" or "PULL"
    provider: str | None
    version: str | None
    source: Source = field(compare=False)


@dataclass(frozen=True)
class Query:
    """`SELECT ...`, `WITH ... SELECT ...` or `INSERT INTO ...`: SQL that `query/` reads with sqlglot."""

    verb: str  # "SELECT" (WITH included) or "INSERT"
    text: str  # the statement as rendered, comments included
    source: Source = field(compare=False)


@dataclass(frozen=True)
class ShowInsertTemplate:
    """`SHOW [EXTENDED] INSERT [/*+ REQUIRED */] INTO resource`: a ready-to-fill INSERT."""

    name: tuple[str, ...]
    required_only: bool
    source: Source = field(compare=False)


Statement = (
    Exec
    | Show
    | ShowExecTemplate
    | ShowInsertTemplate
    | Describe
    | Use
    | Unsupported
    | Query
    | RegistryCommand
)
