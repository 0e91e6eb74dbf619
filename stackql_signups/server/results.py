"""Statements' results as Postgres sees them: typed columns, encodable values, SQLSTATEs for errors."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pg_mimic
from pg_mimic import PgError, ResultColumn

from .._errors import (
    ApiError,
    BindError,
    Error,
    ManifestError,
    ParseError,
    TemplateError,
    UsageError,
    ValidationError,
)
from ..dispatch import Outcome
from ..engine import Step
from ..plan import PlannedRequest
from ..results import ResultSet

# The API's answers have no Postgres class of their own: `PA` (implementation-defined, "provider API")
# followed by the HTTP status, e.g. PA409; PA000 when no HTTP answer came (network, not sent).
API_CLASS = "PA"
NO_ANSWER = API_CLASS + "000"
SYNTAX_ERROR = "42601"
UNDEFINED_OBJECT = "42704"
INVALID_PARAMETER_VALUE = "22023"
CONFIG_FILE_ERROR = "F0000"
QUERY_CANCELED = "57014"
FEATURE_NOT_SUPPORTED = "0A000"

# Postgres type OIDs (typed here: pg-mimic ships no type information).
BOOL: int = pg_mimic.BOOL
INT8: int = pg_mimic.INT8
FLOAT8: int = pg_mimic.FLOAT8
JSON: int = pg_mimic.JSON
TEXT: int = pg_mimic.TEXT

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Shape:
    """One statement's result as Postgres sends it: columns (None: no rows at all), rows, command tag."""

    columns: tuple[ResultColumn, ...] | None
    rows: tuple[tuple[Any, ...], ...]
    tag: str
    notice: str | None = None  # a warning for the client (a SELECT cut at its page bound)


def typed_columns(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> tuple[ResultColumn, ...]:
    """Columns typed by their values: all bool, all whole numbers, all numbers, JSON documents, else text."""
    columns = []
    for index, name in enumerate(names):
        values = [row[index] for row in rows if row[index] is not None]
        columns.append(ResultColumn(name, _oid(values)))
    return tuple(columns)


def _oid(values: list[Any]) -> int:
    if not values:
        return TEXT
    if all(isinstance(v, bool) for v in values):
        return BOOL
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return INT8
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return FLOAT8
    if all(isinstance(v, (dict, list)) for v in values):
        return JSON
    return TEXT


def encodable(row: Sequence[Any], columns: Sequence[ResultColumn]) -> tuple[Any, ...]:
    """Values the wire encoder writes as their column's type: JSON as text, text columns as str.

    Idempotent: a JSON column's value that is already text is JSON text, and stays as it is.
    """
    values: list[Any] = []
    for value, column in zip(row, columns, strict=True):
        if value is None or (column.oid == JSON and isinstance(value, str)):
            values.append(_utf8(value))
        elif column.oid == JSON or (column.oid == TEXT and isinstance(value, (dict, list))):
            text = json.dumps(value, ensure_ascii=False)
            values.append(text if _utf8(text) is text else json.dumps(value))  # \\uXXXX: still JSON
        elif column.oid == TEXT and not isinstance(value, str):
            values.append(json.dumps(value) if isinstance(value, bool) else str(value))
        else:
            values.append(_utf8(value))
    return tuple(values)


def _utf8(value: Any) -> Any:
    """Text UTF-8 can carry: a lone surrogate (an API may send `\\ud800`) as its escape; else `value`."""
    if not isinstance(value, str) or value.isascii() or _SURROGATE.search(value) is None:
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def sqlstate(error: Error) -> str:
    """The SQLSTATE a Postgres client sees for one of our errors."""
    if isinstance(error, ApiError):
        return f"{API_CLASS}{error.status:03d}" if 0 < error.status < 1000 else NO_ANSWER
    if isinstance(error, (ParseError, TemplateError)):
        return SYNTAX_ERROR
    if isinstance(error, BindError):
        return _bind_state(error.message)
    if isinstance(error, (ValidationError, UsageError)):
        return INVALID_PARAMETER_VALUE
    if isinstance(error, ManifestError):
        return CONFIG_FILE_ERROR
    return NO_ANSWER


def _bind_state(message: str) -> str:
    # BindError covers names and parameters alike; its message says which (the registry's own words).
    if message.startswith("unknown parameter"):
        return INVALID_PARAMETER_VALUE
    if message.startswith("unknown ") or " is not a " in message:
        return UNDEFINED_OBJECT
    if " not supported " in message or " not run by " in message:
        return FEATURE_NOT_SUPPORTED
    return INVALID_PARAMETER_VALUE


def pg_error(error: Error) -> PgError:
    """An ErrorResponse: the first line of our message, the rest (caret, violations) as DETAIL, the hint."""
    text = error.describe()
    if error.hint:
        text = text.rsplit("\nhint: ", 1)[0]
    first, _, rest = text.partition("\n")
    fields = {}
    if rest.strip():
        fields["D"] = rest
    if error.hint:
        fields["H"] = error.hint
    return PgError(sqlstate(error), first, **fields)


def outcome_error(outcome: Outcome) -> PgError:
    """The ErrorResponse for a request that did not succeed."""
    if outcome.error is not None:
        return pg_error(outcome.error)
    return PgError(NO_ANSWER, f"statement {outcome.statement} {outcome.status.replace('_', ' ')}")


RESPONSE_COLUMN = "response"
"""The one JSON column of an EXEC whose method declares no response fields."""


def exec_columns(request: PlannedRequest) -> tuple[ResultColumn, ...]:
    """An EXEC's columns, from its method's declared response: known before anything is sent."""
    if not request.columns:
        return (ResultColumn(RESPONSE_COLUMN, JSON),)
    return tuple(ResultColumn(name, TEXT) for name in request.columns)


def exec_row(columns: Sequence[ResultColumn], row: Mapping[str, Any]) -> tuple[Any, ...]:
    """The response row in the declared columns' order (a field the manifest does not declare is left out)."""
    if len(columns) == 1 and columns[0].name == RESPONSE_COLUMN and columns[0].oid == JSON:
        return encodable((dict(row),), columns)
    return encodable(tuple(row.get(c.name) for c in columns), columns)


def step_columns(step: Step) -> tuple[ResultColumn, ...] | None:
    """The columns a step will return, without running it (a Describe must never send a request).

    A SELECT's and an INSERT ... RETURNING's are named by their plans; their types are only known from
    rows, so they are text (JSON for objects and arrays), as the Execute then encodes them.
    """
    if step.query is not None:
        json_at = step.query.json_columns
        return tuple(
            ResultColumn(name, JSON if at in json_at else TEXT) for at, name in enumerate(step.query.columns)
        )
    if step.shaped:
        if step.returning is None:
            return None
        names = step.returning.names or step.returning.present(None, step.number).columns
        json_names = step.returning.json_names
        return tuple(ResultColumn(name, JSON if name in json_names else TEXT) for name in names)
    if step.request is not None:
        return exec_columns(step.request)
    if step.answer is not None:
        return typed_columns(step.answer.columns, step.answer.rows)
    return None


def rows_shape(result: ResultSet, tag: str, notice: str | None = None) -> Shape:
    """Rows that came back from running a statement (a SELECT's, an INSERT's RETURNING), typed by value."""
    columns = typed_columns(result.columns, result.rows)
    return Shape(columns, tuple(encodable(r, columns) for r in result.rows), tag, notice)


def answer_shape(step: Step) -> Shape:
    """The result of a statement answered without sending (SHOW, DESCRIBE, USE)."""
    if step.answer is None:
        return Shape(None, (), step.verb)
    columns = typed_columns(step.answer.columns, step.answer.rows)
    rows = tuple(encodable(r, columns) for r in step.answer.rows)
    return Shape(columns, rows, step.verb)


def exec_shape(columns: tuple[ResultColumn, ...], outcome: Outcome) -> Shape:
    """A succeeded EXEC's result: its response row (none when the API answered with no body)."""
    rows = (exec_row(columns, outcome.row),) if outcome.row is not None else ()
    return Shape(columns, rows, "EXEC")


def notice_fields(text: str) -> dict[str, str]:
    """A NoticeResponse's fields: a warning the client shows (psql prints `WARNING:  ...`)."""
    return {"S": "WARNING", "V": "WARNING", "C": "01000", "M": text}
