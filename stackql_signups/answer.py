"""Answer SHOW and DESCRIBE from the manifest alone: no network, no HTTP library."""

from __future__ import annotations

from typing import Any

from ._errors import BindError, Location
from .manifest import Method, Registry
from .manifest.schema import Document
from .query.columns import row_schema
from .results import ResultSet
from .sql.statements import Describe, Show, Unsupported

VERB_ORDER = ("SELECT", "INSERT", "DELETE", "UPDATE", "REPLACE", "EXEC")
NO_SELECT = (
    "{verb} not supported for this resource, use SHOW METHODS to view available operations for the "
    "resource and then invoke a supported method using the EXEC command"
)


def show(statement: Show, registry: Registry, default_provider: str | None, where: Location) -> ResultSet:
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    if statement.what == "PROVIDERS":
        columns = ("name", "version")
        rows = [(name, registry.provider(name, where).version) for name in registry.provider_names()]
    elif statement.what == "SERVICES":
        (provider_name,) = registry.expand(statement.target, 1, default_provider, "provider", where)
        provider = registry.provider(provider_name, where)
        if statement.extended:
            columns = ("id", "name", "title", "description", "version", "preferred")
            rows = [
                (s.id, s.name, s.title, s.description, s.version, str(s.preferred).lower())
                for s in provider.services
            ]
        else:
            columns = ("id", "name", "title")
            rows = [(s.id, s.name, s.title) for s in provider.services]
    elif statement.what == "RESOURCES":
        provider_name, service_name = registry.expand(statement.target, 2, default_provider, "service", where)
        service = registry.service(registry.provider(provider_name, where), service_name, where)
        columns = ("name", "id", "description") if statement.extended else ("name", "id")
        rows = [(r.name, r.id, r.description)[: len(columns)] for r in service.resources]
    else:
        resource = registry.resource_target(statement.target, default_provider, where).resource
        methods = sorted(resource.methods, key=lambda m: (VERB_ORDER.index(m.sql_verb), m.name))
        if statement.extended:
            columns = ("MethodName", "RequiredParams", "SQLVerb", "description", "OptionalParams")
            rows = [
                (m.name, ", ".join(m.required_params), m.sql_verb, m.description, ", ".join(_optional(m)))
                for m in methods
            ]
        else:
            columns = ("MethodName", "RequiredParams", "SQLVerb")
            rows = [(m.name, ", ".join(m.required_params), m.sql_verb) for m in methods]
    result = ResultSet(columns, tuple(tuple(r) for r in rows), statement.source.number)
    return _filter(result, statement, where)


def _optional(method: Method) -> list[str]:
    plain = sorted(p.name for p in method.parameters if not p.required and p.location != "body")
    body = sorted(p.name for p in method.parameters if not p.required and p.location == "body")
    return [*plain, *body]


def _filter(result: ResultSet, statement: Show, where: Location) -> ResultSet:
    conditions = list(statement.where)
    if statement.like is not None:
        conditions.insert(0, (result.columns[0], "LIKE", statement.like))
    if not conditions:
        return result
    lowered = [c.lower() for c in result.columns]
    tests: list[tuple[int, str, str]] = []
    for column, op, value in conditions:
        if column.lower() not in lowered:
            raise BindError(
                f"no column '{column}' in this result",
                location=where,
                hint="columns: " + ", ".join(result.columns),
            )
        tests.append((lowered.index(column.lower()), op, value))
    rows = tuple(row for row in result.rows if all(_matches(str(row[i]), op, v) for i, op, v in tests))
    return ResultSet(result.columns, rows, result.statement)


def _matches(text: str, op: str, value: str) -> bool:
    if op == "LIKE":
        return like(text, value)
    return (text == value) == (op == "=")


def like(text: str, pattern: str) -> bool:
    """SQL LIKE, case-insensitive (`%` any run, `_` one character), in at most len(text) * len(pattern)
    steps: the pieces between `%` are found leftmost in turn, never by backtracking (a regular expression
    for `%a%a%a...` takes exponential time on a near miss)."""
    text, pattern = text.lower(), pattern.lower()
    first, *rest = pattern.split("%")
    if not rest:
        return len(text) == len(first) and _piece_at(text, 0, first)
    *middle, last = rest
    end = len(text) - len(last)
    if end < len(first) or not _piece_at(text, 0, first) or not _piece_at(text, end, last):
        return False
    position = len(first)
    for piece in middle:
        found = next((i for i in range(position, end - len(piece) + 1) if _piece_at(text, i, piece)), -1)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _piece_at(text: str, start: int, piece: str) -> bool:
    return all(p == "_" or p == text[start + k] for k, p in enumerate(piece))


def describe(
    statement: Describe, registry: Registry, default_provider: str | None, where: Location
) -> ResultSet:
    if statement.method:
        target = registry.method_target(statement.name, default_provider, where)
        assert target.method is not None
        rows = _describe_method(
            target.method, Document(target.service.document, target.service.source), statement.extended
        )
        columns = ("name", "type", "param_type", "shape") + (("description",) if statement.extended else ())
        return ResultSet(columns, tuple(r[: len(columns)] for r in rows), statement.source.number)
    target = registry.resource_target(statement.name, default_provider, where)
    selects = [m for m in target.resource.methods if m.sql_verb == "SELECT"]
    if not selects:
        raise BindError(
            NO_SELECT.format(verb="SELECT"),
            location=where,
            hint=f"DESCRIBE METHOD {target.resource.id}.<method> shows a method's inputs and outputs",
        )
    reader = Document(target.service.document, target.service.source)
    fields = _fields(reader, selects[0].response_schema)
    columns = ("name", "type") + (("description",) if statement.extended else ())
    return ResultSet(columns, tuple(r[: len(columns)] for r in fields), statement.source.number)


def _describe_method(method: Method, reader: Document, extended: bool) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for name in method.required_params:
        param = method.parameter(name)
        if param is not None:
            rows.append((name, param.type_name, "input_required", _shape(param.type_name), param.description))
    for name in _optional(method):
        param = method.parameter(name)
        if param is not None:
            rows.append((name, param.type_name, "input_optional", _shape(param.type_name), param.description))
    for name, kind, description in _fields(reader, row_schema(reader, method)):
        rows.append((name, kind, "output", _shape(kind), description))
    return rows


def _fields(reader: Document, schema: Any) -> list[tuple[str, str, str]]:
    if schema is None:
        return []
    properties, _ = reader.object_shape(schema, "response")
    out = []
    for name, sub in properties.items():
        resolved = reader.resolve(sub, name)
        description = (
            " ".join(str(resolved.get("description", "")).split()) if isinstance(resolved, dict) else ""
        )
        out.append((name, reader.type_of(sub, name), description))
    return out


def _shape(kind: str) -> str:
    return kind if kind in ("object", "array") else "scalar"


def unsupported(
    statement: Unsupported, registry: Registry, default_provider: str | None, where: Location
) -> None:
    """Always raises: SELECT and the DML verbs are answered, not run (StackQL's message where it fits)."""
    if statement.name:
        target = registry.resource_target(
            statement.name[:3] if len(statement.name) > 3 else statement.name, default_provider, where
        )
        verbs = [m.name for m in target.resource.methods if m.sql_verb == statement.verb]
        if verbs:
            raise BindError(
                f"{statement.verb} statements are not run by stackql-signups yet",
                location=where,
                hint=f"EXEC the method directly: EXEC {target.resource.id}.{verbs[0]} ...",
            )
    raise BindError(
        NO_SELECT.format(verb=statement.verb),
        location=where,
        hint="EXEC one of the methods that SHOW METHODS lists",
    )
