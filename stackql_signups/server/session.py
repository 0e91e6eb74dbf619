"""One Postgres connection's session: StackQL statements run on its own `AsyncSession` (USE, labels)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pg_mimic import BaseSession, PgError, Statement
from pg_mimic.middleware import resolve

from .._errors import Error
from ..dispatch import RunSummary
from ..engine import Step
from ..session import AsyncSession, StatementResult
from .outcomes import OutcomeLog, describe
from .results import (
    NO_ANSWER,
    QUERY_CANCELED,
    Shape,
    answer_shape,
    exec_columns,
    exec_shape,
    outcome_error,
    pg_error,
)
from .routing import POSTGRES_CHATTER, engine_first


@dataclass
class Inflight:
    """Statements still running, including those whose client stopped waiting: shutdown waits for them."""

    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    def start(self, work: Awaitable[RunSummary | None]) -> asyncio.Task[RunSummary | None]:
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved here: a client that cancelled no longer awaits it

    async def wait(self) -> None:
        while self.tasks:
            await asyncio.wait(set(self.tasks))


@dataclass(frozen=True)
class ServerContext:
    """What every connection's session shares: how to make the engine session, the log, the in-flight set."""

    new_core: Callable[[], AsyncSession]
    log: OutcomeLog
    inflight: Inflight


@dataclass(frozen=True)
class ScriptResult:
    """The results of a script's statements up to the first that failed, and that failure."""

    shapes: tuple[Shape, ...]
    error: PgError | None = None


class EngineSession(BaseSession):
    """pg-mimic's per-connection session: Postgres chatter answered here, the rest run by the engine."""

    def __init__(self, context: ServerContext) -> None:
        self.context = context
        self.core = context.new_core()
        self.connection: Any = None
        self.number = 0
        self._queries = 0
        self._running: set[asyncio.Task[RunSummary | None]] = set()

    async def init(self, connection: Any) -> None:
        self.connection = connection
        self.number = int(connection.pid)
        peer = connection.stream.writer.get_extra_info("peername")
        where = f" from {peer[0]}" if isinstance(peer, tuple) else ""
        self.context.log.note(f"connection {self.number} opened{where}, user {connection.username}")

    async def close(self) -> None:
        # Statements whose client cancelled or went away still finish on this session's HTTP client.
        while self._running:
            await asyncio.wait(set(self._running))
        await self.core.close()
        if self.connection is not None:
            self.context.log.note(f"connection {self.number} closed")

    async def prepare(self, sql: str, param_oids: list[int | None]) -> Statement:
        """A statement of the extended protocol (or one Postgres statement of a simple query)."""
        answered = await self.chatter(sql, param_oids)
        if answered is not None:
            return answered
        from .statement import EngineStatement

        return EngineStatement(self, sql, param_oids)

    async def chatter(self, sql: str, param_oids: list[int | None]) -> Statement | None:
        """The Postgres answer to a driver's SET/SHOW/catalog query, or None for a StackQL statement."""
        if engine_first(sql) or self.connection is None:
            return None
        return await resolve(self.connection, sql, param_oids, POSTGRES_CHATTER)

    def check(self, sql: str) -> list[Step]:
        """The steps of `sql`, checked without sending or remembering anything; errors as ErrorResponse."""
        try:
            return self.core.check(sql)
        except Error as exc:
            raise pg_error(exc) from None

    async def run_script(self, sql: str) -> ScriptResult:
        """Run `sql` once; results in order up to the first failed statement, whose error ends the list."""
        self._queries += 1
        results: list[StatementResult] = []
        hook = self.context.log.hook(self.number, self._queries)

        def record(result: StatementResult) -> None:
            results.append(result)
            hook(result)

        try:
            steps = self.core.prepare(sql)
        except Error as exc:
            return ScriptResult((), pg_error(exc))
        task = self.context.inflight.start(self.core.send(steps, on_result=record))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            # A cancel request: stop waiting, never resend; the outcomes still reach the server log.
            return ScriptResult((), self._cancelled(sum(1 for r in results if r.outcome is not None)))
        except Error as exc:
            return ScriptResult((), pg_error(exc))
        return _results(steps, results)

    def _cancelled(self, done: int) -> PgError:
        where = f"the server log (connection {self.number}, query {self._queries})"
        return PgError(
            QUERY_CANCELED,
            "canceling statement due to user request: stopped waiting for it",
            D=f"{done} request(s) had finished; any still in flight go on and are never sent again: "
            f"{where} has every outcome",
        )


def _results(steps: list[Step], results: list[StatementResult]) -> ScriptResult:
    by_number = {r.number: r for r in results}
    shapes: list[Shape] = []
    for step in steps:
        if step.request is None:
            shapes.append(answer_shape(step))
            continue
        result = by_number.get(step.number)
        outcome = result.outcome if result is not None else None
        if outcome is None:
            return ScriptResult(tuple(shapes), PgError(NO_ANSWER, f"statement {step.number} was not run"))
        if outcome.status != "succeeded":
            return ScriptResult(tuple(shapes), _with_later(outcome_error(outcome), step.number, results))
        shapes.append(exec_shape(exec_columns(step.request), outcome))
    return ScriptResult(tuple(shapes))


def _with_later(error: PgError, failed: int, results: list[StatementResult]) -> PgError:
    """The error of a failed statement, telling what became of later ones (`--on-error continue`)."""
    later = [describe(r) for r in results if r.outcome is not None and r.number > failed]
    if not later:
        return error
    detail = "\n".join(filter(None, [error.fields.get("D"), "later statements:", *later]))
    return PgError(error.sqlstate, error.message, **{**error.fields, "D": detail})
