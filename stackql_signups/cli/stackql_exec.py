"""`stackql exec`: a thin client of the session core, reporting as StackQL does for its clients.

Results are held back until every statement has succeeded: on any failure stdout stays empty and stderr
starts with what pystackql and stackql-deploy recognise as an error (`http response status code: ...`
for an API answer, `error: ...` otherwise). Several statements give one JSON document.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, TextIO

from .._errors import ApiError, Error, RequestError, UsageError
from ..dispatch import Outcome, RunSummary
from ..present import Presenter
from ..results import ResultSet
from .exec_command import open_session, print_step_notes, read_job

if TYPE_CHECKING:
    from ..session import StatementResult


class Failed(Exception):
    """A run in which a statement did not succeed: its error, then lines for stderr after it."""

    def __init__(self, error: Error, notes: list[str], exit_status: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.notes = notes  # the run's summary, and what succeeded before the failure
        self.exit_status = exit_status


def error_text(error: Error) -> str:
    """StackQL's shape, then ours: the status and body for an API answer, else `error: ...`."""
    if isinstance(error, ApiError):
        body = error.body if error.body is not None else error.message
        return f"http response status code: {error.status}, response body: {body}\n{error.describe()}"
    text = error.describe()
    return text if text.startswith("error:") else f"error: {text}"


def run(args: argparse.Namespace) -> int:
    """Run the script; print its results only when every statement succeeded."""
    job = read_job(args, "stackql")
    results: list[StatementResult] = []
    with open_session(job, args.verbose) as session:
        if args.dryrun:
            from . import dryrun

            return dryrun.run(job.script, job.variables, session, args, _output)
        steps = session.prepare(job.script, job.variables)
        print_step_notes(steps)
        summary = session.send(steps, results.append)
    if summary is not None and not summary.ok:
        raise _failure(summary)
    with _output(args.outfile) as out:
        _write([r.result_set() for r in results if r.answer is not None or r.outcome is not None], out, args)
    for result in results:
        if result.outcome is not None:
            print(_success_line(result), file=sys.stderr)
    return 0


def _failure(summary: RunSummary) -> Failed:
    first = next(o for o in summary.outcomes if o.status != "succeeded")
    error = first.error or RequestError(f"statement {first.statement} was {first.status.replace('_', ' ')}")
    return Failed(error, [summary.describe(), *_done_before(summary.outcomes)], summary.exit_status)


def _done_before(outcomes: Iterable[Outcome]) -> list[str]:
    """What did happen, since stdout stays empty: a customer created before the failure must not be lost."""
    return [
        f"statement {o.statement} succeeded before the failure: {json.dumps(o.row, ensure_ascii=False)}"
        for o in outcomes
        if o.status == "succeeded"
    ]


def _write(results: list[ResultSet], out: TextIO, args: argparse.Namespace) -> None:
    if not results:
        return
    if args.output == "json":
        # One document for the whole call: pystackql parses stdout with a single json.loads.
        records = [record for result in results for record in result.records()]
        out.write(json.dumps(records, ensure_ascii=False, indent=2 if args.pretty else None) + "\n")
        return
    presenter = Presenter(out, args.output, args.hideheaders, args.delimiter)
    for result in results:
        presenter.write(result)


def _success_line(result: StatementResult) -> str:
    outcome = result.outcome
    assert outcome is not None
    request_id = f", request id {outcome.request_id}" if outcome.request_id else ""
    if outcome.existing:
        found = f": {result.id_field} {result.result_id}" if result.id_field else ""
        return (
            f"statement {outcome.statement}: already there, nothing new was created{found} "
            f"({outcome.http_status} Conflict{request_id}; on-conflict existing)"
        )
    return (
        f"The operation was despatched successfully (statement {outcome.statement}: "
        f"{outcome.http_status}{request_id})"
    )


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise UsageError(f"cannot write --outfile {path}: {exc.strerror}") from None
    with handle:
        yield handle
