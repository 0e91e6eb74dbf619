"""The session core every front end drives: prepare scripts, send their requests, report each statement.

A session owns what a run needs: the registry, what `USE` and labels left behind, the keep-alive executor,
the in-process emulator for `endpoint="local"`, and the limits checked before sending. Front ends (the
command line, the shell, the Python API) turn their input into scripts and each `StatementResult` into
their own output.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._errors import Error, RequestError
from .connection import local_emulator, loopback_credentials
from .dispatch import DispatchConfig, Outcome, RetryNotice, RunSummary
from .dispatch.endpoint import is_loopback
from .engine import Preparer, Step
from .manifest import Registry, root_from_option
from .options import LOCAL, Options
from .plan import PlannedRequest
from .results import ResultSet

if TYPE_CHECKING:
    from .dispatch.executor import AsyncExecutor, Executor

Rows = list[dict[str, Any]]
LogHook = Callable[[str], None]
RetryHook = Callable[[RetryNotice], None]


@dataclass(frozen=True)
class StatementResult:
    """One statement's result, handed over in script order as soon as it is known.

    `answer` is a SHOW/DESCRIBE result set; `outcome` what became of a request; `columns` the method's
    response columns, for a front end that must name them when no row came back.
    """

    number: int
    answer: ResultSet | None = None
    outcome: Outcome | None = None
    columns: tuple[str, ...] = ()
    id_field: str | None = None  # the column holding the result's id, as the manifest's x-outcome names it
    warning: str | None = None  # e.g. a SELECT cut at its page bound: the front end shows it on stderr

    @property
    def result_id(self) -> Any:
        """The id of what the statement created or found (None when it has none or failed)."""
        row = self.outcome.row if self.outcome is not None else None
        return row.get(self.id_field) if row is not None and self.id_field else None

    def result_set(self) -> ResultSet:
        """The statement's rows with their column names: the answer, or the succeeded request's row."""
        if self.answer is not None:
            return self.answer
        row = self.outcome.row if self.outcome is not None and self.outcome.status == "succeeded" else None
        if row is None:
            return ResultSet(self.columns, (), self.number)
        names = tuple(dict.fromkeys((*self.columns, *row)))
        return ResultSet(names, (tuple(row.get(c) for c in names),), self.number)


ResultHook = Callable[[StatementResult], None]


class _InOrder:
    """Hands answers and outcomes to the front end in script order while requests complete."""

    def __init__(self, steps: Sequence[Step], on_result: ResultHook | None) -> None:
        self._answers = [s for s in steps if s.answer is not None]
        self._sent = [s for s in steps if s.request is not None]  # outcomes come back in this order
        self._on_result = on_result

    def flush(self, before: int | None = None) -> None:
        while self._answers and (before is None or self._answers[0].number < before):
            step = self._answers.pop(0)
            if self._on_result is not None:
                self._on_result(StatementResult(step.number, answer=step.answer))

    def outcome(self, outcome: Outcome) -> None:
        self.flush(outcome.statement)
        step = self._sent.pop(0) if self._sent else None
        if step is not None and step.shaped and outcome.status == "succeeded":
            # An INSERT row: what it shows is its RETURNING row (nothing without RETURNING).
            outcome = replace(outcome, row=step.shaped_row(outcome.row))
        if self._on_result is not None:
            columns = step.request.columns if step is not None and step.request is not None else ()
            id_field = step.request.outcome.id if step is not None and step.request is not None else None
            self._on_result(
                StatementResult(outcome.statement, outcome=outcome, columns=columns, id_field=id_field)
            )


class _Core:
    """What the sync and async sessions share: options, registry, preparation state, the emulator."""

    def __init__(
        self,
        options: Options | None = None,
        *,
        registry: Registry | None = None,
        log: LogHook | None = None,
        on_retry: RetryHook | None = None,
        local_url: str | None = None,
    ) -> None:
        self.options = options if options is not None else Options()
        self.registry = (
            registry if registry is not None else Registry(root_from_option(self.options.registry))
        )
        self.preparer = Preparer(self.registry)
        self._log = log
        self._on_retry = on_retry
        self._rows_by_label: dict[str, dict[str, Any]] = {}
        self._stack = contextlib.ExitStack()
        # An emulator already serving endpoint "local" (a server shares one among its sessions).
        self._local_url: str | None = local_url
        self._config: DispatchConfig | None = None

    @property
    def default_provider(self) -> str | None:
        """The provider `USE` chose, if any."""
        return self.preparer.state.default_provider

    def prepare(self, sql: str, vars: Mapping[str, Any] | None = None) -> list[Step]:
        """Render, parse, bind, validate and plan all of `sql`; `USE` and labels are kept for later
        scripts, unless it fails (then the session is as it was)."""
        return self.preparer.prepare(sql, vars or {})

    def check(self, sql: str, vars: Mapping[str, Any] | None = None) -> list[Step]:
        """The steps `sql` would take, checked on a copy of the session's state: nothing is sent or kept."""
        return Preparer(self.registry, self.preparer.state.copy()).prepare(sql, vars or {})

    def plan(self, sql: str, vars: Mapping[str, Any] | None = None) -> Rows:
        """The requests `sql` would send, as `--dryrun` shows them (secrets masked); sends nothing."""
        from .dispatch.endpoint import base_url

        steps = self.check(sql, vars)
        endpoint = self._local_url or self.options.url
        plans = []
        for step in steps:
            requests = [step.request] if step.request is not None else []
            requests += list(step.query.first_requests) if step.query is not None else []  # a SELECT's
            for request in requests:
                server = base_url(request.server, endpoint)
                plans.append(request.describe(server=server, auth_scheme=self.auth_scheme(request)))
        return plans

    def auth_scheme(self, request: PlannedRequest) -> str | None:
        """The `Authorization` scheme `request` will carry (for plans), or None without credentials."""
        provider = self.registry.provider(request.method_key.split(".", 1)[0])
        return self.options.auth_for(provider.name, provider.auth).scheme

    def _requests(self, steps: Sequence[Step]) -> list[PlannedRequest]:
        from .dispatch.limits import check_body_sizes

        requests = [s.request for s in steps if s.request is not None]
        check_body_sizes(requests)
        return requests

    def _dispatch_config(self, request: PlannedRequest) -> DispatchConfig:
        """Settings for this session's sends, fixed by its first request (its provider's auth)."""
        if self._config is None:
            provider = self.registry.provider(request.method_key.split(".", 1)[0])
            endpoint = self.options.url
            if self.options.endpoint == LOCAL:
                if self._local_url is None:
                    self._local_url = self._stack.enter_context(local_emulator(self.options.state))
                endpoint = self._local_url
            auth = self.options.auth_for(provider.name, provider.auth)
            # Only for this machine: a local emulator's documented defaults stand in for unset variables.
            local = is_loopback(endpoint or request.server)
            self._config = self.options.dispatch_config(
                auth, endpoint, loopback_credentials() if local else None
            )
        return self._config

    def _env(self) -> Mapping[str, str] | None:
        # The built-in emulator must never see the user's real secrets: it gets its documented defaults.
        if self.options.endpoint == LOCAL:
            return {}
        return None

    def _executor_options(self) -> dict[str, Any]:
        return {
            "env": self._env(),
            "on_retry": self._on_retry,
            "log": self._log,
        }

    def _finish(self, summary: RunSummary, order: _InOrder) -> RunSummary:
        self._rows_by_label.update(summary.labelled_rows())
        if summary.failed + summary.unknown == 0 or self.options.on_error == "continue":
            order.flush()
        return summary

    def _rows(self, sql: str, vars: Mapping[str, Any] | None) -> tuple[list[Step], Rows, list[Error]]:
        """Prepare `sql` for `execute`: its steps, a list its rows are collected in, and the errors."""
        return self.prepare(sql, vars), [], []


def _collector(rows: Rows, errors: list[Error]) -> ResultHook:
    """A `ResultHook` for `execute`: rows in script order, and the error of every failed statement."""

    def collect(result: StatementResult) -> None:
        if result.answer is not None:
            rows.extend(result.answer.records())
            return
        outcome = result.outcome
        assert outcome is not None
        if outcome.status == "succeeded":
            if outcome.row is not None:
                rows.append(dict(outcome.row))
        elif outcome.error is not None:
            errors.append(outcome.error)
        else:
            errors.append(
                RequestError(f"statement {outcome.statement} was {outcome.status.replace('_', ' ')}")
            )

    return collect


def _parts(steps: Sequence[Step]) -> list[list[Step]]:
    """The steps cut at each SELECT: runs of other statements, and each SELECT alone."""
    parts: list[list[Step]] = []
    for step in steps:
        if step.query is not None or not parts or parts[-1][0].query is not None:
            parts.append([step])
        else:
            parts[-1].append(step)
    return parts


def _stopped(outcomes: Sequence[Outcome], on_error: str) -> bool:
    return on_error != "continue" and any(o.status != "succeeded" for o in outcomes)


def _not_sent(
    part: Sequence[Step], outcomes: Sequence[Outcome], on_result: ResultHook | None
) -> list[Outcome]:
    """`--on-error stop`: the statements after a failure are not sent; each is reported as such."""
    failed = next(o for o in outcomes if o.status != "succeeded")
    skipped = []
    for step in part:
        if step.request is None and step.query is None:
            continue
        label = step.request.label if step.request is not None else None
        error = RequestError(
            f"not sent: statement {failed.statement} failed before it (--on-error stop)",
            hint="fix that statement and run again, or use --on-error continue",
        )
        outcome = Outcome(step.number, label, "not_sent", error=error)
        if on_result is not None:
            on_result(StatementResult(step.number, outcome=outcome))
        skipped.append(outcome)
    return skipped


def _select_failed(outcome: Outcome, on_result: ResultHook | None) -> Outcome:
    if on_result is not None:
        on_result(StatementResult(outcome.statement, outcome=outcome))
    return outcome


def _select_done(done: Any, on_result: ResultHook | None, log: LogHook | None) -> Outcome:
    """A SELECT's rows are handed over as its answer; its outcome counts it in the run's summary."""
    result = done.result
    if log is not None:
        count = len(result.rows)
        log(
            f"statement {result.statement}: {count} row{'s' if count != 1 else ''} from {done.requests} "
            f"request{'s' if done.requests != 1 else ''}"
        )
    if on_result is not None:
        warning = "; ".join(done.warnings) or None
        on_result(StatementResult(result.statement, answer=result, warning=warning))
    return Outcome(result.statement, None, "succeeded", http_status=200, attempts=done.requests)


class Session(_Core):
    """A session whose statements are sent with one keep-alive HTTP client (threads for concurrency)."""

    _executor: Executor | None = None

    def send(self, steps: Sequence[Step], on_result: ResultHook | None = None) -> RunSummary | None:
        """Send the requests of prepared `steps`, calling `on_result` per statement in script order.

        None when there was nothing to send (the answers have been handed over). Raises before sending
        anything when a request cannot be sent (a body over the limit, missing credentials). A SELECT
        runs at its place in the script, after the statements before it.
        """
        if not any(s.query is not None for s in steps):
            return self._send(steps, on_result)
        outcomes: list[Outcome] = []
        for part in _parts(steps):
            if _stopped(outcomes, self.options.on_error):
                outcomes += _not_sent(part, outcomes, on_result)
            elif part[0].query is not None:
                outcomes.append(self._select(part[0], on_result))
            elif (summary := self._send(part, on_result)) is not None:
                outcomes += summary.outcomes
        return RunSummary.of(outcomes)

    def _shared_executor(self, config: DispatchConfig) -> Executor:
        """The session's keep-alive executor, made on first use and closed with the session."""
        if self._executor is None:
            from .dispatch.executor import Executor

            executor = Executor(config, **self._executor_options())
            self._executor = self._stack.enter_context(contextlib.closing(executor))
        return self._executor

    def _select(self, step: Step, on_result: ResultHook | None) -> Outcome:
        from .query.fetch import FetchFailed
        from .query.run import run_select

        plan = step.query
        assert plan is not None
        executor = self._shared_executor(self._dispatch_config(plan.first_requests[0]))
        try:
            done = run_select(plan, executor.send)
        except FetchFailed as failed:
            return _select_failed(failed.outcome, on_result)
        return _select_done(done, on_result, self._log)

    def _send(self, steps: Sequence[Step], on_result: ResultHook | None = None) -> RunSummary | None:
        order = _InOrder(steps, on_result)
        requests = self._requests(steps)
        if not requests:
            order.flush()
            return None
        from .dispatch.runner import run

        config = self._dispatch_config(requests[0])
        summary = run(
            requests,
            config,
            order.outcome,
            executor=self._shared_executor(config),
            prior_rows=self._rows_by_label,
        )
        return self._finish(summary, order)

    def run(
        self, sql: str, vars: Mapping[str, Any] | None = None, on_result: ResultHook | None = None
    ) -> RunSummary | None:
        """Prepare all of `sql`, then send it: `send(prepare(sql, vars), on_result)`."""
        return self.send(self.prepare(sql, vars), on_result)

    def execute(self, sql: str, vars: Mapping[str, Any] | None = None) -> Rows:
        """Run every statement of `sql`; rows of all statements in order; raises `stackql_signups.Error`."""
        steps, rows, errors = self._rows(sql, vars)
        self.send(steps, _collector(rows, errors))
        if errors:
            raise errors[0]
        return rows

    def close(self) -> None:
        self._stack.close()
        self._executor = None

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncSession(_Core):
    """The asyncio form of `Session`: `await session.execute(sql)`."""

    _executor: AsyncExecutor | None = None

    async def send(self, steps: Sequence[Step], on_result: ResultHook | None = None) -> RunSummary | None:
        """The asyncio form of `Session.send`."""
        if not any(s.query is not None for s in steps):
            return await self._send(steps, on_result)
        outcomes: list[Outcome] = []
        for part in _parts(steps):
            if _stopped(outcomes, self.options.on_error):
                outcomes += _not_sent(part, outcomes, on_result)
            elif part[0].query is not None:
                outcomes.append(await self._select(part[0], on_result))
            elif (summary := await self._send(part, on_result)) is not None:
                outcomes += summary.outcomes
        return RunSummary.of(outcomes)

    async def _select(self, step: Step, on_result: ResultHook | None) -> Outcome:
        import asyncio

        from .dispatch.executor import Executor
        from .query.fetch import FetchFailed
        from .query.run import SelectResult, run_select

        plan = step.query
        assert plan is not None
        config = self._dispatch_config(plan.first_requests[0])
        options = self._executor_options()

        def fetch_and_query() -> SelectResult:
            # The pages are fetched by a sync client on a worker thread: the event loop is not blocked.
            with Executor(config, **options) as executor:
                return run_select(plan, executor.send)

        try:
            done = await asyncio.to_thread(fetch_and_query)
        except FetchFailed as failed:
            return _select_failed(failed.outcome, on_result)
        return _select_done(done, on_result, self._log)

    async def _send(self, steps: Sequence[Step], on_result: ResultHook | None = None) -> RunSummary | None:
        order = _InOrder(steps, on_result)
        requests = self._requests(steps)
        if not requests:
            order.flush()
            return None
        from .dispatch.executor import AsyncExecutor
        from .dispatch.runner import arun

        config = self._dispatch_config(requests[0])
        if self._executor is None:
            self._executor = AsyncExecutor(config, **self._executor_options())
        summary = await arun(
            requests,
            config,
            order.outcome,
            executor=self._executor,
            prior_rows=self._rows_by_label,
        )
        return self._finish(summary, order)

    async def run(
        self, sql: str, vars: Mapping[str, Any] | None = None, on_result: ResultHook | None = None
    ) -> RunSummary | None:
        """Prepare all of `sql`, then send it."""
        return await self.send(self.prepare(sql, vars), on_result)

    async def execute(self, sql: str, vars: Mapping[str, Any] | None = None) -> Rows:
        """Run every statement of `sql` without blocking the event loop; raises `stackql_signups.Error`."""
        steps, rows, errors = self._rows(sql, vars)
        await self.send(steps, _collector(rows, errors))
        if errors:
            raise errors[0]
        return rows

    async def close(self) -> None:
        if self._executor is not None:
            await self._executor.aclose()
            self._executor = None
        self._stack.close()

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _options(
    endpoint: str | None,
    auth: str | Mapping[str, Any] | None,
    registry: str | Path | None,
    state: str | Path | None,
    timeout: float | None,
    retries: int | None,
    concurrency: int | None,
    on_error: str | None,
    on_conflict: str | None,
) -> Options:
    """`Options` from `connect()`'s keywords: None keeps a default; mistakes raise `UsageError` now."""
    given: dict[str, Any] = {
        "endpoint": endpoint,
        "auth": json.dumps(auth) if isinstance(auth, Mapping) else auth,
        "registry": None if registry is None else str(registry),
        "state": None if state is None else str(state),
        "timeout": timeout,
        "retries": retries,
        "concurrency": concurrency,
        "on_error": on_error,
        "on_conflict": on_conflict,
    }
    return Options(**{name: value for name, value in given.items() if value is not None})


def connect(
    endpoint: str | None = None,
    auth: str | Mapping[str, Any] | None = None,
    *,
    registry: str | Path | None = None,
    state: str | Path | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    concurrency: int | None = None,
    on_error: str | None = None,
    on_conflict: str | None = None,
) -> Session:
    """A session; `endpoint` is a base URL, "local" (the built-in emulator) or None (the manifest's).

    `on_conflict="existing"` makes a 409 that says the object is already there (as the manifest declares
    for each method) return the existing object as the row, so a re-run of a script that stopped halfway
    finishes the job without creating anything twice; "fail" (the default) raises `ApiError`.
    """
    options = _options(endpoint, auth, registry, state, timeout, retries, concurrency, on_error, on_conflict)
    return Session(options)


def connect_async(
    endpoint: str | None = None,
    auth: str | Mapping[str, Any] | None = None,
    *,
    registry: str | Path | None = None,
    state: str | Path | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    concurrency: int | None = None,
    on_error: str | None = None,
    on_conflict: str | None = None,
) -> AsyncSession:
    """The asyncio form of `connect`."""
    options = _options(endpoint, auth, registry, state, timeout, retries, concurrency, on_error, on_conflict)
    return AsyncSession(options)


__all__ = [
    "AsyncSession",
    "Error",
    "Options",
    "Session",
    "StatementResult",
    "connect",
    "connect_async",
]
