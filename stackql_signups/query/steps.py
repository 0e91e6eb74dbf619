"""The engine's hook for SQL statements: a SELECT becomes one query step, an INSERT one step per row."""

from __future__ import annotations

from collections.abc import Iterator

from .._errors import Location
from ..engine import Step
from ..manifest import Registry
from ..sql.statements import Query
from .insert import plan_insert
from .select import SelectPlan, plan_select

MAX_PLANS = 256
"""SELECT plans a session keeps (all are forgotten when it is full)."""


def query_steps(
    statement: Query,
    registry: Registry,
    default_provider: str | None,
    where: Location,
    plans: dict[tuple[str, int, str | None], SelectPlan] | None = None,
) -> Iterator[Step]:
    """A SELECT's step (planned once per session for the same text), or an INSERT's step per row."""
    number = statement.source.number
    if statement.verb == "SELECT":
        key = (statement.text, number, default_provider)
        planned = plans.get(key) if plans is not None else None
        if planned is None:
            planned = plan_select(statement, registry, default_provider, where)
            if plans is not None:
                if len(plans) >= MAX_PLANS:
                    plans.clear()
                plans[key] = planned
        yield Step(number, query=planned)
        return
    plan = plan_insert(statement, registry, default_provider, where)
    for request in plan.requests:
        yield Step(number, request=request, returning=plan.returning, shaped=True)
