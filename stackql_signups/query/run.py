"""Run a planned SELECT: fetch each resource's rows, load them into SQLite, run the query there."""

from __future__ import annotations

from dataclasses import dataclass

from ..results import ResultSet
from .fetch import MAX_PAGES, Send, fetch_rows
from .select import SelectPlan
from .sqlite import Database, SqlProblem


@dataclass(frozen=True)
class SelectResult:
    """The rows of a SELECT, the number of requests it sent, and warnings for stderr."""

    result: ResultSet
    requests: int
    warnings: tuple[str, ...] = ()


def run_select(plan: SelectPlan, send: Send) -> SelectResult:
    """Fetch, load and query; `FetchFailed` when a request fails (nothing partial is shown)."""
    warnings: list[str] = []
    requests = 0
    with Database(plan.fetches, plan.opaque) as db:
        for fetch in plan.fetches:
            fetched = fetch_rows(fetch, send)
            requests += fetched.requests
            if fetched.truncated:
                warnings.append(
                    f"statement {plan.statement}: {fetch.resource_id}: stopped after {MAX_PAGES} pages; "
                    "the result is incomplete (name a filter in WHERE to fetch fewer rows)"
                )
            db.load(fetch.table, fetched.rows)
        try:
            names, rows = db.run(plan.sql)
        except SqlProblem as exc:  # checked on empty tables; data can still break it (a bad JSON path)
            from .._errors import BindError

            raise BindError(f"statement {plan.statement}: {exc.message}") from None
        if plan.json_columns:
            rows = db.decode_rows(rows, plan.json_columns)
    result = ResultSet(names or plan.columns, tuple(rows), plan.statement)
    return SelectResult(result, requests, tuple(warnings))
