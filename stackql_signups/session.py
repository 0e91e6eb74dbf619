"""The Python API: `connect()` returns a session whose `execute(sql, vars)` returns rows or raises."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from ._errors import Error, RequestError
from .connection import LOCAL, dispatch_config, executor_env, local_emulator
from .dispatch import DispatchConfig
from .engine import Preparer, Step
from .manifest import Registry, root_from_option
from .plan import PlannedRequest

Rows = list[dict[str, Any]]


def _options(
    endpoint: str | None,
    auth: str | Mapping[str, Any] | None,
    timeout: float | None,
    retries: int | None,
    concurrency: int | None,
    on_error: str | None,
    on_conflict: str | None = None,
) -> argparse.Namespace:
    # The same checks as the command line's flags, so both refuse the same mistakes the same way.
    return argparse.Namespace(
        endpoint=endpoint,
        auth=json.dumps(auth) if isinstance(auth, Mapping) else auth,
        timeout=None if timeout is None else str(timeout),
        connect_timeout=None,
        insecure=False,
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
    ) -> None:
        self._registry = Registry(root_from_option(None if registry is None else str(registry)))
        self._preparer = Preparer(self._registry)
        self._options = _options(endpoint, auth, timeout, retries, concurrency, on_error, on_conflict)
        self._state = None if state is None else str(state)
        self._rows_by_label: dict[str, dict[str, Any]] = {}
        self._stack = contextlib.ExitStack()
        self._endpoint_url: str | None = None
        self._executor: Any = None

    def plan(self, sql: str, vars: Mapping[str, Any] | None = None) -> Rows:
        """The requests `sql` would send, as `--dryrun` shows them (secrets masked); sends nothing."""
        from .dispatch.endpoint import base_url

        # A copy of the session's state: planning leaves no label or USE behind.
        steps = Preparer(self._registry, self._preparer.state.copy()).prepare(sql, vars or {})
        endpoint = self._endpoint_url or (None if self._options.endpoint == LOCAL else self._options.endpoint)
        plans = []
        for step in steps:
            requests = [step.request] if step.request is not None else []
            requests += list(step.query.first_requests) if step.query is not None else []
            for request in requests:
                config = dispatch_config(self._options, self._registry, request)
                server = base_url(request.server, endpoint)
                plans.append(request.describe(server=server, auth_scheme=config.auth.scheme))
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

    def _collect(self, steps: list[Step], outcomes: Any) -> Rows:
        """Rows in script order; the first failed statement's error is raised."""
        pending = list(outcomes)  # one per request step, in script order
        rows: Rows = []
        for step in steps:
            if step.answer is not None:
                rows.extend(step.answer.records())
                continue
            if step.request is None or not pending:
                continue
            outcome = pending.pop(0)
            if outcome.status == "succeeded":
                if outcome.label and outcome.row is not None:
                    self._rows_by_label[outcome.label] = outcome.row
                if step.shaped:
                    rows.extend(step.shown(outcome.row).records())
                elif outcome.row is not None:
                    rows.append(dict(outcome.row))
            else:
                raise _failure(outcome)
        return rows


def _segments(steps: list[Step]) -> list[list[Step]]:
    """The steps cut at each SELECT: runs of other statements, and each SELECT alone."""
    parts: list[list[Step]] = []
    for step in steps:
        if step.query is not None or not parts or parts[-1][0].query is not None:
            parts.append([step])
        else:
            parts[-1].append(step)
    return parts


def _failure(outcome: Any) -> Error:
    if outcome.error is not None:
        return outcome.error  # type: ignore[no-any-return]
    return RequestError(f"statement {outcome.statement} was {outcome.status.replace('_', ' ')}")


class Session(_Base):
    """A connection for Python programs: statements run with one keep-alive HTTP client."""

    def execute(self, sql: str, vars: Mapping[str, Any] | None = None) -> Rows:
        """Run every statement of `sql`; rows of all statements in order (a SELECT's rows as dicts)."""
        steps, _ = self._prepare(sql, vars)
        rows: Rows = []
        for part in _segments(steps):  # a SELECT runs at its place, after the statements before it
            if part[0].query is not None:
                rows.extend(self._select(part[0]))
            else:
                rows.extend(self._run(part))
        return rows

    def _run(self, steps: list[Step]) -> Rows:
        requests = [s.request for s in steps if s.request is not None]
        if not requests:
            return self._collect(steps, [])
        from .dispatch.runner import run

        config = self._executor_for(requests[0])
        summary = run(
            requests, config, lambda _o: None, executor=self._executor, prior_rows=self._rows_by_label
        )
        return self._collect(steps, summary.outcomes)

    def _executor_for(self, request: PlannedRequest) -> DispatchConfig:
        from .dispatch.executor import Executor

        config, env = self._config(request)
        if self._executor is None:
            self._executor = self._stack.enter_context(contextlib.closing(Executor(config, env=env)))
        return config

    def _select(self, step: Step) -> Rows:
        from .query.fetch import FetchFailed
        from .query.run import run_select

        assert step.query is not None
        self._executor_for(step.query.first_requests[0])
        try:
            return run_select(step.query, self._executor.send).result.records()
        except FetchFailed as failed:
            raise _failure(failed.outcome) from None

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
        steps, _ = self._prepare(sql, vars)
        rows: Rows = []
        for part in _segments(steps):
            if part[0].query is not None:
                rows.extend(await self._select(part[0]))
            else:
                rows.extend(await self._run(part))
        return rows

    async def _run(self, steps: list[Step]) -> Rows:
        requests = [s.request for s in steps if s.request is not None]
        if not requests:
            return self._collect(steps, [])
        from .dispatch.runner import arun

        config = self._executor_for(requests[0])
        summary = await arun(
            requests, config, lambda _o: None, executor=self._executor, prior_rows=self._rows_by_label
        )
        return self._collect(steps, summary.outcomes)

    def _executor_for(self, request: PlannedRequest) -> DispatchConfig:
        from .dispatch.executor import AsyncExecutor

        config, env = self._config(request)
        if self._executor is None:
            self._executor = AsyncExecutor(config, env=env)
        return config

    async def _select(self, step: Step) -> Rows:
        import asyncio

        from .dispatch.executor import Executor
        from .query.fetch import FetchFailed
        from .query.run import run_select

        plan = step.query
        assert plan is not None
        config, env = self._config(plan.first_requests[0])

        def fetch_and_query() -> Rows:
            # The pages are fetched by a sync client on a worker thread: the event loop is not blocked.
            with Executor(config, env=env) as executor:
                return run_select(plan, executor.send).result.records()

        try:
            return await asyncio.to_thread(fetch_and_query)
        except FetchFailed as failed:
            raise _failure(failed.outcome) from None

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


__all__ = ["AsyncSession", "Error", "Session", "connect", "connect_async"]
