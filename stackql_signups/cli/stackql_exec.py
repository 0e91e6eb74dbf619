"""`stackql exec`: the exec pipeline, reporting as StackQL does so that its clients see what happened.

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
from ..dispatch import DispatchConfig, Outcome, RunSummary
from ..engine import Step, prepare
from ..manifest import Registry, root_from_option
from ..plan import PlannedRequest
from ..present import Presenter
from ..results import ResultSet
from ..sql.splitter import has_code
from . import inputs

if TYPE_CHECKING:
    from ..dispatch.executor import Executor


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


def run(options: argparse.Namespace) -> int:
    """Run the script; print its results only when every statement succeeded."""
    if len(options.delimiter) != 1:
        raise UsageError("--delimiter must be one character")
    script = inputs.query_text(options.query, options.infile)
    if not has_code(script.replace(";", " ")):
        raise UsageError(
            "there is no statement to run (the query is empty or only comments)",
            hint='for example: stackql exec "SHOW METHODS IN confluent.partner.signups"',
        )
    variables = inputs.variables(options.iqldata, options.var)
    registry = Registry(root_from_option(options.registry))
    if options.dryrun:
        from . import dryrun

        return dryrun.run(script, variables, registry, options, _output)
    steps = prepare(script, variables, registry)
    for step in steps:
        if step.warning:
            print(f"warning: statement {step.number}: {step.warning}", file=sys.stderr)
        if step.notice:
            print(step.notice, file=sys.stderr)
    with _Connection(options, registry) as connection:
        results, outcomes = _run_steps(steps, connection)
    with _output(options.outfile) as out:
        _write(results, out, options)
    for outcome in outcomes:
        print(_success_line(outcome), file=sys.stderr)
    return 0


class _Connection:
    """The dispatch settings and one keep-alive executor, made for the first request that needs them."""

    def __init__(self, options: argparse.Namespace, registry: Registry) -> None:
        self.options = options
        self.registry = registry
        self._stack = contextlib.ExitStack()
        self._active: tuple[DispatchConfig, Executor] | None = None

    def executor(self, request: PlannedRequest) -> tuple[DispatchConfig, Executor]:
        if self._active is None:
            from ..connection import dispatch_config, endpoint_for, executor_env
            from ..dispatch.executor import Executor

            config = dispatch_config(self.options, self.registry, request)
            active = self._stack.enter_context(endpoint_for(config, self.options.state))
            log = _log if self.options.verbose else None
            executor = Executor(active, env=executor_env(config), log=log)
            self._stack.enter_context(contextlib.closing(executor))
            self._active = (active, executor)
        return self._active

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()


def _run_steps(steps: list[Step], connection: _Connection) -> tuple[list[ResultSet], list[Outcome]]:
    """Every step in script order: its result set, and the outcomes of the requests sent; raises `Failed`."""
    if any(getattr(s, "query", None) is not None for s in steps):
        # Steps of a kind this front end does not run yet must fail loudly, never vanish from the output.
        raise UsageError("stackql exec does not run SELECT or INSERT statements yet")
    by_number: dict[int, ResultSet] = {s.number: s.answer for s in steps if s.answer is not None}
    outcomes = _send([s for s in steps if s.request is not None], connection)
    for step in steps:
        if step.request is not None:
            row = outcomes[step.number].row
            by_number[step.number] = ResultSet.from_records([row] if row is not None else [], step.number)
    return [by_number[n] for n in sorted(by_number)], list(outcomes.values())


def _send(steps: list[Step], connection: _Connection) -> dict[int, Outcome]:
    """Each request's outcome by statement number; raises `Failed` unless all succeeded."""
    requests = [s.request for s in steps if s.request is not None]
    if not requests:
        return {}
    from ..dispatch.limits import check_body_sizes
    from ..dispatch.runner import run as run_requests

    check_body_sizes(requests)
    config, executor = connection.executor(requests[0])
    outcomes: dict[int, Outcome] = {}
    summary = run_requests(
        requests, config, lambda o: outcomes.__setitem__(o.statement, o), executor=executor
    )
    if not summary.ok:
        raise _failure(summary)
    return outcomes


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


def _write(results: list[ResultSet], out: TextIO, options: argparse.Namespace) -> None:
    if not results:
        return
    if options.output == "json":
        # One document for the whole call: pystackql parses stdout with a single json.loads.
        records = [record for result in results for record in result.records()]
        out.write(json.dumps(records, ensure_ascii=False, indent=2 if options.pretty else None) + "\n")
        return
    presenter = Presenter(out, options.output, options.hideheaders, options.delimiter)
    for result in results:
        presenter.write(result)


def _success_line(outcome: Outcome) -> str:
    request_id = f", request id {outcome.request_id}" if outcome.request_id else ""
    if outcome.existing:
        organization = (outcome.row or {}).get("organization_id")
        return (
            f"statement {outcome.statement}: already there, nothing new was created: organization "
            f"{organization} ({outcome.http_status} Conflict{request_id}; on-conflict existing)"
        )
    return (
        f"The operation was despatched successfully (statement {outcome.statement}: "
        f"{outcome.http_status}{request_id})"
    )


def _log(line: str) -> None:
    """`--http.log.enabled`: one HTTP exchange line on stderr (the executor has masked every credential)."""
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise UsageError(f"cannot write --outfile {path}: {exc.strerror}") from None
    with handle:
        yield handle
