"""The server's record of every request's outcome: a client that has gone away or cancelled loses nothing."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import IO, TextIO

from ..session import StatementResult


class OutcomeLog:
    """One line per outcome on stderr and, with `--report FILE`, one JSON object per line in FILE."""

    def __init__(self, err: TextIO | None = None, report: IO[str] | None = None) -> None:
        self._err = err if err is not None else sys.stderr
        self._report = report

    def note(self, text: str) -> None:
        print(f"srv: {text}", file=self._err, flush=True)

    def hook(self, connection: int, query: int) -> Callable[[StatementResult], None]:
        """The callback for the requests' results of one query (numbered per connection)."""

        def record(result: StatementResult) -> None:
            if result.outcome is None:
                return
            self.note(f"connection {connection}, query {query}, {describe(result)}")
            if self._report is not None:
                line = json.dumps(_record(connection, query, result), ensure_ascii=False)
                self._report.write(line + "\n")
                self._report.flush()

        return record


def describe(result: StatementResult) -> str:
    """`statement 2 (label a): succeeded, 201, organization_id 1234, request id r-9` and the like."""
    outcome = result.outcome
    assert outcome is not None
    label = f" (label {outcome.label})" if outcome.label else ""
    parts = [f"statement {outcome.statement}{label}: {outcome.status.replace('_', ' ')}"]
    if outcome.existing:
        parts.append("already there, nothing new created")
    if outcome.http_status is not None:
        parts.append(str(outcome.http_status))
    if result.id_field and result.result_id is not None:  # named as the manifest names the result's id
        parts.append(f"{result.id_field} {result.result_id}")
    if outcome.request_id:
        parts.append(f"request id {outcome.request_id}")
    if outcome.error is not None:
        parts.append(outcome.error.message)
    return ", ".join(parts)


def _record(connection: int, query: int, result: StatementResult) -> dict[str, object]:
    from ..present.outcomes import report_record

    outcome = result.outcome
    assert outcome is not None
    return {"connection": connection, "query": query, **report_record(result, outcome)}
