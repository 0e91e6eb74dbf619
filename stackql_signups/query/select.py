"""Plan a SELECT: which method serves each resource, which WHERE equalities go into its requests, and the
SQL that SQLite runs over the fetched rows (sqlglot reads and writes the sqlite dialect; nothing is sent)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError as SqlglotParseError
from sqlglot.errors import TokenError

from .._errors import BindError, Location, ParseError
from ..answer import NO_SELECT
from ..manifest import Method, Registry
from ..manifest.registry import Target
from ..plan import PlannedRequest
from ..sql.statements import Query, Scalar
from .columns import Column, resource_columns
from .output import json_positions, name_as_written, opaque
from .requests import select_request
from .sqlite import Database, SqlProblem

PAGE_SIZE = "page_size"


@dataclass(frozen=True)
class Fetch:
    """One resource named in a query: the method that serves it, its request parameters, its table."""

    table: str
    resource_id: str
    method: Method
    params: tuple[tuple[str, Scalar], ...]
    columns: tuple[Column, ...]
    request: PlannedRequest  # the first request; later pages add `page_token`


@dataclass(frozen=True)
class SelectPlan:
    """A SELECT ready to run: fetch every resource's rows, load them into SQLite, run `sql`."""

    statement: int
    sql: str
    fetches: tuple[Fetch, ...]
    columns: tuple[str, ...]
    json_columns: frozenset[int]  # positions of result columns that hold JSON text (objects, arrays)
    opaque: frozenset[str] = frozenset()  # object columns the SQL only passes through (see _opaque)

    @property
    def first_requests(self) -> tuple[PlannedRequest, ...]:
        return tuple(f.request for f in self.fetches)


@dataclass
class _Occurrence:
    """A resource table as it stands in the tree, with the parameters found for it so far."""

    node: exp.Table
    target: Target
    columns: tuple[Column, ...]
    alias: str
    table: str
    pushed: dict[str, Scalar]


def parse_sql(query: Query, where: Location) -> exp.Expr:
    """The statement as a sqlglot tree (sqlite dialect); a syntax error is a ParseError (exit 2)."""
    try:
        tree = sqlglot.parse_one(query.text, read="sqlite")
    except SqlglotParseError as exc:
        problem = exc.errors[0]["description"] if exc.errors else str(exc).splitlines()[0]
        raise ParseError(f"cannot read the {query.verb}: {problem}", location=where) from None
    except TokenError as exc:  # an unterminated string, identifier or bracket
        problem = str(exc).splitlines()[0]
        raise ParseError(f"cannot read the {query.verb}: {problem}", location=where) from None
    except RecursionError:
        raise ParseError(f"the {query.verb} is nested too deeply", location=where) from None
    if tree is None:
        raise ParseError(f"cannot read the {query.verb}", location=where)
    return tree


def plan_select(
    query: Query, registry: Registry, default_provider: str | None, where: Location
) -> SelectPlan:
    """Everything about a SELECT that can be known before sending: errors here are exit 2, nothing sent."""
    tree = parse_sql(query, where)
    if not isinstance(tree, exp.Query):
        raise ParseError("expected a SELECT query", location=where)
    occurrences = _resources(tree, registry, default_provider, where)
    for select in tree.find_all(exp.Select):
        _push_down(select, [o for o in occurrences if o.node.find_ancestor(exp.Select) is select])
    _rewrite_paths(tree, occurrences)
    fetches = []
    for occurrence in occurrences:
        method = choose_method(occurrence.target, occurrence.pushed, where)
        params = _request_params(method, occurrence.pushed)
        occurrence.node.replace(
            exp.Table(
                this=exp.to_identifier(occurrence.table),
                alias=exp.TableAlias(this=exp.to_identifier(occurrence.alias)),
            )
        )
        fetches.append(
            Fetch(
                table=occurrence.table,
                resource_id=occurrence.target.resource.id,
                method=method,
                params=params,
                columns=occurrence.columns,
                request=select_request(query.source.number, method, params),
            )
        )
    name_as_written(tree, query.text)
    sql = tree.sql(dialect="sqlite", normalize_functions="lower")
    with Database(fetches) as db:
        try:
            names = db.columns_of(sql)
        except SqlProblem as exc:
            raise _unknown_name(exc, occurrences, where) from None
    objects = {c.name for o in occurrences for c in o.columns if c.is_json}
    positions = json_positions(tree, names, objects)
    return SelectPlan(query.source.number, sql, tuple(fetches), names, positions, opaque(tree, objects))


def _resources(
    tree: exp.Expr, registry: Registry, default_provider: str | None, where: Location
) -> list[_Occurrence]:
    """Every table of the query that names a resource (CTE names are the query's own)."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    found: list[_Occurrence] = []
    for node in list(tree.find_all(exp.Table)):
        parts = tuple(p for p in (node.catalog, node.db, node.name) if p)
        if len(parts) == 1 and parts[0].lower() in ctes:
            continue
        if not parts or isinstance(node.this, exp.Func):
            continue
        target = registry.resource_target(parts, default_provider, where)
        if not any(m.sql_verb == "SELECT" for m in target.resource.methods):
            raise BindError(
                NO_SELECT.format(verb="SELECT"),
                location=where,
                hint=f"SHOW METHODS IN {target.resource.id} lists what it offers",
            )
        found.append(
            _Occurrence(
                node=node,
                target=target,
                columns=resource_columns(target),
                alias=node.alias or target.resource.name,
                table=f"r{len(found) + 1}_{target.resource.name}",
                pushed={},
            )
        )
    return found


def _parameter_names(target: Target) -> set[str]:
    return {
        p.name
        for m in target.resource.methods
        if m.sql_verb == "SELECT"
        for p in m.parameters
        if p.location in ("path", "query")
    }


def _reference(column: exp.Column, aliases: set[str]) -> tuple[str | None, str]:
    """(qualifier, dotted name) of a column reference: `e.organization.id` is ('e', 'organization.id')."""
    parts = [p.name for p in column.parts]
    if len(parts) >= 2 and parts[0].lower() in aliases:
        return parts[0].lower(), ".".join(parts[1:])
    return None, ".".join(parts)


def _push_down(select: exp.Select, occurrences: list[_Occurrence]) -> None:
    """Move `param = literal` conjuncts of the WHERE clause into the requests of the resource they name."""
    where = select.args.get("where")
    if where is None or not occurrences:
        return
    aliases = {o.alias.lower() for o in occurrences}
    aliases |= {t.alias_or_name.lower() for t in select.find_all(exp.Table)}
    conjuncts = list(where.this.flatten()) if isinstance(where.this, exp.And) else [where.this]
    for conjunct in conjuncts:
        pair = _equality(conjunct)
        if pair is None:
            continue
        column, value = pair
        qualifier, name = _reference(column, aliases)
        owners = [
            o
            for o in occurrences
            if (qualifier is None or qualifier == o.alias.lower()) and name in _parameter_names(o.target)
        ]
        if qualifier is None and len(owners) > 1:
            owners = [o for o in owners if name not in {c.name for c in o.columns}] or owners
        if not owners:
            continue
        for owner in owners:
            owner.pushed[name] = value
        if not any(name in {c.name for c in o.columns} for o in owners):
            # Not a column (page_size, organization.id): the API applied it; locally it is always true.
            conjunct.replace(exp.true())


def _equality(node: exp.Expr) -> tuple[exp.Column, Scalar] | None:
    if not isinstance(node, exp.EQ):
        return None
    left, right = node.this, node.expression
    if isinstance(right, exp.Column) and isinstance(left, exp.Literal):
        left, right = right, left
    if not isinstance(left, exp.Column) or not isinstance(right, exp.Literal):
        return None
    if right.is_string:
        return left, right.this
    number = right.this
    try:
        return left, int(number)
    except ValueError:
        return left, float(number)


def _rewrite_paths(tree: exp.Expr, occurrences: list[_Occurrence]) -> None:
    """`organization.id` (a field inside an object column) becomes `json_extract(organization, '$.id')`."""
    objects = {c.name for o in occurrences for c in o.columns if c.is_json}
    aliases = {o.alias.lower() for o in occurrences} | {
        t.alias_or_name.lower() for t in tree.find_all(exp.Table)
    }
    for column in list(tree.find_all(exp.Column)):
        qualifier, name = _reference(column, aliases)
        path = name.split(".")
        if len(path) < 2 or path[0] not in objects:
            continue
        head = exp.column(path[0], table=qualifier) if qualifier else exp.column(path[0])
        json_path = exp.Literal.string("$." + ".".join(path[1:]))
        column.replace(exp.Anonymous(this="json_extract", expressions=[head, json_path]))


def choose_method(target: Target, pushed: dict[str, Scalar], where: Location) -> Method:
    """As StackQL: the select method whose required parameters are all given, the most specific first."""
    selects = [m for m in target.resource.methods if m.sql_verb == "SELECT"]
    usable = [m for m in selects if all(name in pushed for name in m.required_params)]
    if not usable:
        needed = min(selects, key=lambda m: len(m.required_params))
        missing = [n for n in needed.required_params if n not in pushed]
        raise BindError(
            f"required param not supplied for select: could not find variable '{missing[0]}'",
            location=where,
            hint=f"add WHERE {missing[0]} = '...' (DESCRIBE METHOD {needed.key} lists its parameters)",
        )
    return max(usable, key=lambda m: len(m.required_params))


def _request_params(method: Method, pushed: dict[str, Scalar]) -> tuple[tuple[str, Scalar], ...]:
    """The pushed values this method takes; a list asks for its largest page unless the query names one."""
    params = [
        (p.name, pushed[p.name]) for p in method.parameters if p.location != "body" and p.name in pushed
    ]
    size = method.parameter(PAGE_SIZE)
    if size is not None and PAGE_SIZE not in pushed:
        largest = size.schema.get("maximum")
        if isinstance(largest, int):
            params.append((PAGE_SIZE, largest))
    return tuple(params)


def _unknown_name(problem: SqlProblem, occurrences: list[_Occurrence], where: Location) -> BindError:
    """`no such column: x` and `no such function: f` from SQLite, said with the resources' columns."""
    listing = "; ".join(
        f"{o.target.resource.id}: {', '.join(c.name for c in o.columns)}" for o in occurrences
    )
    hint = f"columns: {listing}" if listing else None
    return BindError(problem.message, location=where, hint=hint)
