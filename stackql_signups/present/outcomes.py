"""What the command line shows of each statement's result: rows on stdout, one message on stderr, and
optionally one JSON line per statement in a `--report` file."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import IO

from ..dispatch import Outcome, RetryNotice, RunSummary
from ..engine import Step
from ..results import ResultSet
from ..session import StatementResult
from .formats import Presenter


class OutcomePrinter:
    """A `ResultHook` for the command line and the shell: prints each result as it is handed over."""

    def __init__(self, presenter: Presenter, report: IO[str] | None = None) -> None:
        self.presenter = presenter
        self.report = report

    def __call__(self, result: StatementResult) -> None:
        if result.warning is not None:
            print(f"warning: {result.warning}", file=sys.stderr)
        if result.answer is not None:
            self.presenter.write(result.answer)
            return
        outcome = result.outcome
        assert outcome is not None
        self._record(result, outcome)
        where = f"statement {outcome.statement}"
        if outcome.status == "succeeded":
            rows = [outcome.row] if outcome.row is not None else []
            self.presenter.write(ResultSet.from_records(rows, outcome.statement))
            request_id = f", request id {outcome.request_id}" if outcome.request_id else ""
            if outcome.existing:
                found = f": {result.id_field} {result.result_id}" if result.id_field else ""
                print(
                    f"{where}: already there, nothing new was created{found} "
                    f"({outcome.http_status} Conflict{request_id}; --on-conflict existing)",
                    file=sys.stderr,
                )
                return
            print(
                f"{where}: the operation was despatched successfully ({outcome.http_status}{request_id})",
                file=sys.stderr,
            )
            return
        if self.presenter.fmt == "json":
            # One array per statement keeps stdout aligned with the script: `[]` where nothing came back.
            self.presenter.write(ResultSet((), (), outcome.statement))
        text = outcome.error.describe() if outcome.error is not None else outcome.status.replace("_", " ")
        located = outcome.error is not None and outcome.error.location is not None
        print(text if located else f"{where}: {text}", file=sys.stderr)

    def _record(self, result: StatementResult, outcome: Outcome) -> None:
        """One JSON line per statement in the --report file, written as soon as its outcome is known."""
        if self.report is None:
            return
        record = report_record(result, outcome)
        self.report.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.report.flush()


def summary_worth_printing(steps: Sequence[Step], summary: RunSummary) -> bool:
    """The closing summary counts requests; SELECTs that all succeeded leave stderr quiet, as StackQL."""
    return any(step.request is not None for step in steps) or not summary.ok


def retry_notice(notice: RetryNotice) -> None:
    """A retry about to happen, on stderr."""
    print(
        f"statement {notice.statement}: {notice.reason}; retrying in {notice.delay:.1f}s "
        f"(attempt {notice.attempt + 1})",
        file=sys.stderr,
    )


def verbose_line(line: str) -> None:
    """`--verbose`: one HTTP exchange line on stderr (the executor has masked every credential)."""
    print(line, file=sys.stderr, flush=True)


def report_record(result: StatementResult, outcome: Outcome) -> dict[str, object]:
    """What a report line says about one statement (exec's --report, srv's outcome log)."""
    error = outcome.error
    return {
        "statement": outcome.statement,
        "label": outcome.label,
        "status": outcome.status,
        "existing": outcome.existing,
        "http_status": outcome.http_status,
        "request_id": outcome.request_id,
        "attempts": outcome.attempts,
        # Named as the manifest names the result's id (x-outcome.id): organization_id for signups.
        result.id_field or "id": result.result_id,
        "error": error.message if error is not None else None,
        "hint": error.hint if error is not None else None,
    }
