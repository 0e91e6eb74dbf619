"""Scripts with SELECTs: each SELECT runs at its place, between the runs of the statements around it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ..dispatch import RetryNotice
from ..engine import Step
from ..present import Presenter
from ..results import ResultSet

if TYPE_CHECKING:
    from .send import Sender


def send_with_queries(sender: Sender, steps: list[Step], presenter: Presenter) -> int:
    """Run the steps in script order; a SELECT sees what the statements before it did."""
    status = 0
    stop = getattr(sender.args, "on_error", None) != "continue"
    pending: list[Step] = []
    for step in [*steps, None]:
        if step is not None and step.query is None:
            pending.append(step)
            continue
        if pending:
            status = max(status, sender.send_requests(pending, presenter))
            pending = []
        if step is None or (status and stop):
            break
        status = max(status, run_query(sender, step, presenter))
    return status


def run_query(sender: Sender, step: Step, presenter: Presenter) -> int:
    """One SELECT: its rows on stdout, or its failure on stderr (exit 1, as for a failed request)."""
    from ..query.fetch import FetchFailed
    from ..query.run import run_select

    plan = step.query
    assert plan is not None
    _, executor = sender.executor(plan.first_requests[0], _retry_line)
    try:
        done = run_select(plan, executor.send)
    except FetchFailed as failed:
        outcome = failed.outcome
        error = outcome.error
        text = error.describe() if error is not None else outcome.status.replace("_", " ")
        if presenter.fmt == "json":
            presenter.write(ResultSet((), (), plan.statement))  # `[]`: stdout stays aligned with the script
        located = error is not None and error.location is not None
        print(text if located else f"statement {plan.statement}: {text}", file=sys.stderr)
        return 1
    for warning in done.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    presenter.write(done.result)
    if getattr(sender.args, "verbose", False):
        count = len(done.result.rows)
        print(
            f"statement {plan.statement}: {count} row{'s' if count != 1 else ''} from {done.requests} "
            f"request{'s' if done.requests != 1 else ''}",
            file=sys.stderr,
        )
    return 0


def _retry_line(notice: RetryNotice) -> None:
    print(
        f"statement {notice.statement}: {notice.reason}; retrying in {notice.delay:.1f}s "
        f"(attempt {notice.attempt + 1})",
        file=sys.stderr,
    )
