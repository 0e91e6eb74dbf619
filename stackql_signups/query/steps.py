"""The engine's hook for SQL statements: a SELECT becomes one query step, an INSERT one step per row."""

from __future__ import annotations

from collections.abc import Iterator

from .._errors import Location
from ..engine import Step
from ..manifest import Registry
from ..sql.statements import Query
from .insert import plan_insert
from .select import plan_select


def query_steps(
    statement: Query, registry: Registry, default_provider: str | None, where: Location
) -> Iterator[Step]:
    number = statement.source.number
    if statement.verb == "SELECT":
        yield Step(number, query=plan_select(statement, registry, default_provider, where))
        return
    plan = plan_insert(statement, registry, default_provider, where)
    for request in plan.requests:
        yield Step(number, request=request, returning=plan.returning, shaped=True)
