"""An in-memory SQLite database with one table per resource of a query: rows in, the query's rows out."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .columns import Column
    from .select import Fetch

_NAMED = re.compile(r"^no such (column|function): (.+)$")


class SqlProblem(Exception):
    """SQLite refused the query (an unknown column or function, an ambiguous name, ...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def cell(column: Column, value: Any) -> Any:
    """A field of an API row as SQLite stores it: objects and lists as JSON text, booleans as 0/1."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


class Database:
    """One query's tables; closed (and gone) when the query is done."""

    def __init__(self, fetches: Sequence[Fetch]) -> None:
        self._db = sqlite3.connect(":memory:", isolation_level=None)
        self._db.execute("PRAGMA trusted_schema=OFF")
        self._columns: dict[str, tuple[Column, ...]] = {}
        for fetch in fetches:
            self.create(fetch.table, fetch.columns)

    def create(self, table: str, columns: tuple[Column, ...]) -> None:
        definition = ", ".join(f"{_quote(c.name)} {c.sqlite_type}" for c in columns)
        self._db.execute(f"CREATE TABLE {_quote(table)} ({definition})")
        self._columns[table] = columns

    def load(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        columns = self._columns[table]
        marks = ", ".join("?" for _ in columns)
        self._db.executemany(
            f"INSERT INTO {_quote(table)} VALUES ({marks})",
            ([cell(c, row.get(c.name)) for c in columns] for row in rows),
        )

    def columns_of(self, sql: str) -> tuple[str, ...]:
        """The result's column names (the tables may be empty: this checks names before anything is sent)."""
        return self.run(sql)[0]

    def run(self, sql: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        try:
            cursor = self._db.execute(sql)
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise SqlProblem(_message(str(exc))) from None
        names = tuple(d[0] for d in cursor.description or ())
        return names, rows

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _message(text: str) -> str:
    found = _NAMED.match(text)
    if found:
        return f"unknown {found.group(1)} '{found.group(2)}'"
    return text
