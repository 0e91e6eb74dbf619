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
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
_SURROGATE = re.compile("[\ud800-\udfff]")
_MIN_INTEGER, _MAX_INTEGER = -(2**63), 2**63 - 1  # what an SQLite INTEGER holds
_TICK = 100_000  # SQLite virtual-machine steps between two progress callbacks
_CHECK_BUDGET = 50  # progress callbacks a check run on empty tables may take (5 million steps)


class SqlProblem(Exception):
    """SQLite refused the query (an unknown column or function, an ambiguous name, ...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def cell(column: Column, value: Any) -> Any:
    """A field of an API row as SQLite stores it: objects and lists as JSON text, booleans as 0/1.

    What SQLite cannot hold is made into what it can: a lone surrogate (`"\\ud800"` in an answer) into
    U+FFFD, an integer beyond 64 bits into its digits.
    """
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return _SURROGATE.sub("\ufffd", _encode(value))
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value if _MIN_INTEGER <= value <= _MAX_INTEGER else str(value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    return str(value)


class Database:
    """One query's tables; closed (and gone) when the query is done."""

    def __init__(self, fetches: Sequence[Fetch], opaque: frozenset[str] = frozenset()) -> None:
        self._db = sqlite3.connect(":memory:", isolation_level=None)
        self._db.execute("PRAGMA trusted_schema=OFF")
        # Called every _TICK virtual-machine steps: lets Ctrl-C stop a long query (the signal is raised in
        # this Python callback) and bounds the check run before sending (`_budget` ticks, None: no bound).
        self._ticks = 0
        self._budget: int | None = None
        self._db.set_progress_handler(self._tick, _TICK)
        self._columns: dict[str, tuple[Column, ...]] = {}
        # The text stored for each object cell -> the object: JSON text, or a placeholder for the columns
        # the query never reads. A result cell that is such a text is given back as the object; any other
        # text (one SQLite computed, a text column named like an object column) stays text.
        self.decoded: dict[str, Any] = {}
        self._opaque = opaque
        for fetch in fetches:
            self.create(fetch.table, fetch.columns)

    def create(self, table: str, columns: tuple[Column, ...]) -> None:
        definition = ", ".join(f"{_quote(c.name)} {c.sqlite_type}" for c in columns)
        self._db.execute(f"CREATE TABLE {_quote(table)} ({definition})")
        self._columns[table] = columns

    def load(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        columns = self._columns[table]
        names = [c.name for c in columns]
        objects = [(i, c.name in self._opaque) for i, c in enumerate(columns) if c.is_json]
        memo = self.decoded
        rows = list(rows)

        def fast(row: Mapping[str, Any]) -> list[Any]:
            values = list(map(row.get, names))
            for i, opaque in objects:
                value = values[i]
                if value is not None:
                    # A placeholder starts with NUL, which JSON text never does: it cannot meet JSON text.
                    text = values[i] = f"\x00{len(memo)}" if opaque else _encode(value)
                    memo[text] = value
            return values

        def converted(row: Mapping[str, Any]) -> list[Any]:
            stored = []
            for column, value in zip(columns, fast(row), strict=True):
                text = cell(column, value)
                if column.is_json and isinstance(value, str) and text != value:
                    memo[text] = memo.get(value, value)  # a lone surrogate made U+FFFD: the same object
                stored.append(text)
            return stored

        sql = f"INSERT INTO {_quote(table)} VALUES ({', '.join('?' for _ in columns)})"
        self._db.execute("BEGIN")  # one transaction, not one per row (the connection is in autocommit)
        try:
            self._db.executemany(sql, map(fast, rows))
        except (
            sqlite3.ProgrammingError,
            sqlite3.InterfaceError,
            TypeError,
            UnicodeEncodeError,
            OverflowError,
        ):
            # A value SQLite cannot take as it is (an object where the schema says string, a lone
            # surrogate, a huge integer): every cell converted.
            self._db.execute(f"DELETE FROM {_quote(table)}")
            self._db.executemany(sql, map(converted, rows))
        finally:
            self._db.execute("COMMIT")

    def decode_rows(self, rows: list[tuple[Any, ...]], positions: frozenset[int]) -> list[tuple[Any, ...]]:
        """The result's rows with the JSON cells at `positions` as the values they were loaded from."""
        at = sorted(positions)
        decode = self.decode

        def one(row: tuple[Any, ...]) -> tuple[Any, ...]:
            cells = list(row)
            for i in at:
                cells[i] = decode(cells[i])
            return tuple(cells)

        return list(map(one, rows))

    def decode(self, value: Any) -> Any:
        """A JSON cell of a result as the value it was loaded from; other values as they are."""
        return self.decoded.get(value, value) if isinstance(value, str) else value

    def _tick(self) -> int:
        self._ticks += 1
        return 1 if self._budget is not None and self._ticks > self._budget else 0

    def columns_of(self, sql: str) -> tuple[str, ...]:
        """The result's column names, run on the empty tables: unknown names are found before sending.

        A query that computes a lot from no rows at all (a recursive CTE) is stopped after a bounded
        effort; its names then come from the real run.
        """
        try:
            self._db.execute("EXPLAIN " + sql)  # compiles only: unknown columns and functions fail here
        except sqlite3.Error as exc:
            raise SqlProblem(_message(str(exc))) from None
        self._ticks, self._budget = 0, _CHECK_BUDGET
        try:
            return self.run(sql)[0]
        except SqlProblem:
            return ()
        finally:
            self._budget = None

    def run(self, sql: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        try:
            cursor = self._db.execute(sql)
            rows = cursor.fetchall()
        except sqlite3.OperationalError as exc:
            if str(exc) == "interrupted" and self._budget is None:
                # Ctrl-C arrived in the progress callback; SQLite reports it as its own interruption.
                raise KeyboardInterrupt from None
            raise SqlProblem(_message(str(exc))) from None
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
