"""A result set: the columns and rows that one statement produces, handed to the presenters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ResultSet:
    """Rows of one statement; `statement` is its number in the script."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    statement: int = 0

    def records(self) -> list[dict[str, Any]]:
        columns = self.columns
        return [dict(zip(columns, row, strict=False)) for row in self.rows]  # rows are as wide as columns

    @staticmethod
    def from_records(records: list[dict[str, Any]], statement: int = 0) -> ResultSet:
        columns: dict[str, None] = {}
        for record in records:
            columns.update(dict.fromkeys(record))
        names = tuple(columns)
        return ResultSet(names, tuple(tuple(r.get(c) for c in names) for r in records), statement)
