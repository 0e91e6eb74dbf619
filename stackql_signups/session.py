"""The Python API: `connect()` returns a session whose `execute(sql, vars)` returns rows or raises."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from ._errors import Error, RequestError
from .connection import LOCAL, dispatch_config, executor_env, local_emulator
from .dispatch import DispatchConfig, Outcome
from .engine import Preparer, Step
from .manifest import Registry, root_from_option
from .plan import PlannedRequest

Rows = list[dict[str, Any]]
OutcomeHook = Callable[[Outcome], None]


@dataclass(frozen=True)
class Ran:
    """What one script did: its steps in order and the outcome of each request, by statement number."""

    steps: tuple[Step, ...]
    outcomes: Mapping[int, Outcome]


def _options(
    endpoint: str | None,
    auth: str | Mapping[str, Any] | None,
    timeout: float | None,
    retries: int | None,
    concurrency: int | None,
    on_error: str | None,
    on_conflict: str | None = None,
    connect_timeout: float | None = None,
    insecure: bool = False,
) -> argparse.Namespace:
    # The same checks as the command line's flags, so both refuse the same mistakes the same way.
    return argparse.Namespace(
        endpoint=endpoint,
        auth=json.dumps(auth) if isinstance(auth, Mapping) else auth,
        timeout=None if timeout is None else str(timeout),
        connect_timeout=None if connect_timeout is None else str(connect_timeout),
        insecure=insecure,
        retries=None if retries is None else str(retries),
        concurrency=None if concurrency is None else str(concurrency),
        on_error=on_error,
        on_conflict=on_conflict,
    )


class _Base:
    """What the sync and async sessions share: preparing statements and keeping chaining state."""

    def __init__(
        self,
        *,
        endpoint: str | None,
        auth: str | Mapping[str, Any] | None,
        registry: str | Path | None,
        state: str | Path | None,
        timeout: float | None,
        retries: int | None,
        concurrency: int | None,
        on_error: str | None,
        on_conflict: str | None = None,
        connect_timeout: float | None = None,
        insecure: bool = False,
        local_url: str | None = None,
        http_log: Callable[[str], None] | None = None,
    ) -> None:
        self._registry = Registry(root_from_option(None if registry is None else str(registry)))
        self._preparer = Preparer(self._registry)
        self._options = _options(
            endpoint, auth, timeout, retries, concurrency, on_error, on_conflict, connect_timeout, insecure
        )
        self._state = None if state is None else str(state)
        self._rows_by_label: dict[str, dict[str, Any]] = {}
        self._stack = contextlib.ExitStack()
        # An emulator already serving endpoint "local" (a server shares one among its sessions).
        self._endpoint_url: str | None = local_url
        self._executor: Any = None
        self._http_log = http_log

    @property
    def registry(self) -> Registry:
        return self._registry

    def check(self, sql: str, vars: Mapping[str, Any] | None = None) -> list[Step]:
        """The steps `sql` would take, checked on a copy of the session's state: nothing is sent or kept."""
        return Preparer(self._registry, self._preparer.state.copy()).prepare(sql, vars or {})

    def plan(self, sql: str, vars: Mapping[str, Any] | None = None) -> Rows:
        """The requests `sql` would send, as `--dryrun` shows them (secrets masked); sends nothing."""
        from .dispatch.endpoint import base_url

        steps = self.check(sql, vars)
        endpoint = self._endpoint_url or (None if self._options.endpoint == LOCAL else self._options.endpoint)
        plans = []
        for step in steps:
            if step.request is not None:
                config = dispatch_config(self._options, self._registry, step.request)
                server = base_url(step.request.server, endpoint)
                plans.append(step.request.describe(server=server, auth_scheme=config.auth.scheme))
        return plans

    def _prepare(self, sql: str, vars: Mapping[str, Any] | None) -> tuple[list[Step], list[PlannedRequest]]:
        from .dispatch.limits import check_body_sizes

        steps = self._preparer.prepare(sql, vars or {})
        requests = [s.request for s in steps if s.request is not None]
        check_body_sizes(requests)
        return steps, requests

    def _config(self, request: PlannedRequest) -> tuple[DispatchConfig, Mapping[str, str] | None]:
        config = dispatch_config(self._options, self._registry, request)
        env = executor_env(config)
        if config.endpoint == LOCAL:
            if self._endpoint_url is None:
                self._endpoint_url = self._stack.enter_context(local_emulator(self._state))
            config = dataclasses.replace(config, endpoint=self._endpoint_url)
        return config, env

    def _remember(self, outcomes: Any) -> None:
        """Labelled rows of succeeded statements, for later scripts to chain from."""
        for outcome in outcomes:
            if outcome.status == "succeeded" and outcome.label and outcome.row is not None:
                self._rows_by_label[outcome.label] = outcome.row

    def _collect(self, steps: list[Step], outcomes: Any) -> Rows:
        """Rows in script order; the first failed statement's error is raised."""
        by_statement = {o.statement: o for o in outcomes}
        rows: Rows = []
        for step in steps:
            if step.answer is not None:
                rows.extend(step.answer.records())
                continue
            outcome = by_statement.get(step.number)
            if outcome is None:
                continue
            if outcome.status == "succeeded":
                if outcome.row is not None:
                    rows.append(dict(outcome.row))
            elif outcome.error is not None:
                raise outcome.error
            else:
                raise RequestError(f"statement {outcome.statement} was {outcome.status.replace('_', ' ')}")
        return rows


class Session(_Base):
    """A connection for Python programs: statements run with one keep-alive HTTP client."""

    def execute(self, sql: str, vars: Mapping[str, Any] | None = None) -> Rows:
        """Run every statement of `sql`; rows of all statements in order; raises `stackql_signups.Error`."""
        steps, requests = self._prepare(sql, vars)
        if not requests:
            return self._collect(steps, [])
        from .dispatch.executor import Executor
        from .dispatch.runner import run

        config, env = self._config(requests[0])
        if self._executor is None:
            self._executor = self._stack.enter_context(
                contextlib.closing(Executor(config, env=env, log=self._http_log))
            )
        summary = run(
            requests, config, lambda _o: None, executor=self._executor, prior_rows=self._rows_by_label
        )
        self._remember(summary.outcomes)
        return self._collect(steps, summary.outcomes)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncSession(_Base):
    """The asyncio form of `Session`: `await session.execute(sql)`."""

    async def execute(self, sql: str, vars: Mapping[str, Any] | None = None) -> Rows:
        """Run every statement of `sql` without blocking the event loop; raises `stackql_signups.Error`."""
        ran = await self.run(sql, vars)
        return self._collect(list(ran.steps), ran.outcomes.values())

    async def run(
        self, sql: str, vars: Mapping[str, Any] | None = None, on_outcome: OutcomeHook | None = None
    ) -> Ran:
        """Run every statement of `sql`; each request's outcome goes to `on_outcome` as it is known.

        Raises `stackql_signups.Error` only when the script is refused before anything is sent; a failed
        request is an outcome, not an exception.
        """
        steps, requests = self._prepare(sql, vars)
        if not requests:
            return Ran(tuple(steps), {})
        from .dispatch.executor import AsyncExecutor
        from .dispatch.runner import arun

        config, env = self._config(requests[0])
        if self._executor is None:
            self._executor = AsyncExecutor(config, env=env, log=self._http_log)
        summary = await arun(
            requests,
            config,
            on_outcome or (lambda _o: None),
            executor=self._executor,
            prior_rows=self._rows_by_label,
        )
        self._remember(summary.outcomes)
        return Ran(tuple(steps), {o.statement: o for o in summary.outcomes})

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

    `on_conflict="existing"` makes a 409 that says the customer is already there (a duplicate entitlement
    external_id, an activation already done) return the existing organization as the row, so a re-run of
    a script that stopped halfway finishes the job without creating anyone twice; "fail" (the default)
    raises `ApiError`.
    """
    return Session(
        endpoint=endpoint,
        auth=auth,
        registry=registry,
        state=state,
        timeout=timeout,
        retries=retries,
        concurrency=concurrency,
        on_error=on_error,
        on_conflict=on_conflict,
    )


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
    return AsyncSession(
        endpoint=endpoint,
        auth=auth,
        registry=registry,
        state=state,
        timeout=timeout,
        retries=retries,
        concurrency=concurrency,
        on_error=on_error,
        on_conflict=on_conflict,
    )


__all__ = ["AsyncSession", "Error", "Ran", "Session", "connect", "connect_async"]
