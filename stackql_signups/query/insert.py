"""Plan an INSERT: each row of its VALUES or SELECT becomes one request body, validated before sending."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from .._errors import BindError, Location, ValidationError
from ..answer import NO_SELECT
from ..manifest import Method, Registry
from ..manifest.registry import Target
from ..plan import PlannedRequest, request_for
from ..results import ResultSet
from ..sql.statements import Query
from .columns import Column, resource_columns
from .select import parse_sql
from .sqlite import Database, SqlProblem

if TYPE_CHECKING:
    from ..validate import BodyValidator

_ROW_TABLE = "created"


@dataclass(frozen=True)
class Returning:
    """`RETURNING ...`: the SQL that turns the created row (the API's answer) into the shown row."""

    sql: str
    columns: tuple[Column, ...]
    json_names: frozenset[str]
    names: tuple[str, ...] = ()  # the result's column names

    def present(self, row: Mapping[str, Any] | None, statement: int) -> ResultSet:
        """The RETURNING row(s) computed over the API's answer, in SQLite like a SELECT."""
        with Database(()) as db:
            db.create(_ROW_TABLE, self.columns)
            if row is not None:
                db.load(_ROW_TABLE, [row])
            names, rows = db.run(self.sql)
            shown = tuple(
                tuple(db.decode(v) if n in self.json_names else v for n, v in zip(names, r, strict=True))
                for r in rows
            )
        return ResultSet(names, shown, statement)


@dataclass(frozen=True)
class InsertPlan:
    """One request per row, and how to show each answer (None: show nothing, as StackQL)."""

    requests: tuple[PlannedRequest, ...]
    returning: Returning | None


def plan_insert(
    query: Query, registry: Registry, default_provider: str | None, where: Location
) -> InsertPlan:
    tree = parse_sql(query, where)
    if not isinstance(tree, exp.Insert):
        raise BindError("expected INSERT INTO <resource> (columns) VALUES (...) | SELECT ...", location=where)
    schema = tree.this
    table = schema.this if isinstance(schema, exp.Schema) else schema
    if not isinstance(table, exp.Table):
        raise BindError("INSERT needs a resource name after INTO", location=where)
    parts = tuple(p for p in (table.catalog, table.db, table.name) if p)
    target = registry.resource_target(parts, default_provider, where)
    method = next((m for m in target.resource.methods if m.sql_verb == "INSERT"), None)
    if method is None:
        raise BindError(
            NO_SELECT.format(verb="INSERT"),
            location=where,
            hint=f"SHOW METHODS IN {target.resource.id} lists what it offers",
        )
    names = [i.name for i in schema.expressions] if isinstance(schema, exp.Schema) else []
    if not names:
        raise BindError(
            "INSERT needs its column list: INSERT INTO <resource> (col, ...) SELECT ...",
            location=where,
            hint=f"SHOW INSERT INTO {target.resource.id} prints one to fill in",
        )
    _check_columns(method, names, where)
    rows = _source_rows(tree, len(names), where)
    returning = _returning(tree, target, where)
    shown = returning.names if returning is not None else ()
    from ..validate import BodyValidator

    assert method.body_schema is not None
    validator = BodyValidator(target.service.document, method.body_schema)  # compiled once, for every row
    requests = []
    for number, row in enumerate(rows, start=1):
        body = _body(method, names, row, where, number if len(rows) > 1 else None)
        _validate(validator, method, body, where)
        requests.append(_request(query.source.number, method, body, shown))
    return InsertPlan(tuple(requests), returning)


def _check_columns(method: Method, names: list[str], where: Location) -> None:
    fields = [p.name for p in method.parameters if p.location == "body"]
    for name in names:
        if name not in fields:
            raise BindError(
                f"unknown column '{name}' for INSERT into {method.resource_id}",
                location=where,
                hint="columns: " + ", ".join(fields),
            )
    if len(set(names)) != len(names):
        raise BindError("a column is named twice in the INSERT column list", location=where)


def _source_rows(tree: exp.Insert, width: int, where: Location) -> list[tuple[Any, ...]]:
    """The rows to insert, computed by SQLite from the VALUES or the SELECT (which may use no resource)."""
    source = tree.expression
    if source is None:
        raise BindError("INSERT needs VALUES (...) or SELECT ...", location=where)
    if any(True for _ in source.find_all(exp.Table)):
        raise BindError(
            "INSERT ... SELECT reads no resource here: give the values (SELECT 'a', 'b' or VALUES (...))",
            location=where,
            hint="run the SELECT first, then INSERT its values (a template loop can repeat the INSERT)",
        )
    with Database(()) as db:
        try:
            names, rows = db.run(source.sql(dialect="sqlite"))
        except SqlProblem as exc:
            raise BindError(exc.message, location=where) from None
    if len(names) != width:
        raise BindError(
            f"the INSERT names {width} column{'s' if width != 1 else ''} but gives {len(names)} values a row",
            location=where,
        )
    return rows


def _body(
    method: Method, names: list[str], row: tuple[Any, ...], where: Location, number: int | None
) -> dict[str, Any]:
    """Columns become body fields; an object or array column given as JSON text becomes the value."""
    body: dict[str, Any] = {}
    for name, value in zip(names, row, strict=True):
        if value is None:
            continue  # NULL: the field is left out
        parameter = method.parameter(name)
        kind = parameter.type_name if parameter is not None else "string"
        if kind in ("object", "array") and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                at = f" (row {number})" if number else ""
                raise ValidationError(
                    f"column {name}{at} must be JSON text for an {kind}: {exc}",
                    location=where,
                    hint="""write it as '{"id": "..."}'""" if kind == "object" else None,
                ) from None
        elif kind == "boolean" and isinstance(value, int):
            value = bool(value)
        body[name] = value
    return body


def _validate(validator: BodyValidator, method: Method, body: dict[str, Any], where: Location) -> None:
    violations = validator.violations(body)
    if violations:
        count = len(violations)
        raise ValidationError(
            f"the request body of {method.name} is invalid ({count} problem{'s' if count > 1 else ''})",
            violations=tuple(str(v) for v in violations),
            location=where,
            hint=f"DESCRIBE METHOD {method.key} lists the inputs; fix the columns above",
        )


def _request(
    statement: int, method: Method, body: dict[str, Any], columns: tuple[str, ...]
) -> PlannedRequest:
    # Columns: what RETURNING shows (nothing without it).
    return request_for(method, statement, body=body, columns=columns)


def _returning(tree: exp.Insert, target: Target, where: Location) -> Returning | None:
    clause = tree.args.get("returning")
    if clause is None:
        return None
    columns = resource_columns(target)
    select = exp.select(*clause.expressions).from_(_ROW_TABLE)
    sql = select.sql(dialect="sqlite", normalize_functions="lower")
    computed = {
        p.alias_or_name
        for p in clause.expressions
        if not isinstance(p.this if isinstance(p, exp.Alias) else p, (exp.Column, exp.Star))
    }
    json_names = frozenset(c.name for c in columns if c.is_json and c.name not in computed)
    returning = Returning(sql, columns, json_names)
    try:
        names = returning.present(None, 0).columns  # names and functions checked now, before sending
    except SqlProblem as exc:
        raise BindError(
            f"RETURNING: {exc.message}", location=where, hint="columns: " + ", ".join(c.name for c in columns)
        ) from None
    return Returning(sql, columns, json_names, names)
