"""One Postgres connection's session: StackQL statements run on its own `AsyncSession` (USE, labels)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pg_mimic import BaseSession, PgError, Statement, messages
from pg_mimic.middleware import resolve

from .._errors import Error
from ..dispatch import Outcome, RunSummary
from ..engine import Step
from ..session import AsyncSession, StatementResult
from .outcomes import OutcomeLog, describe
from .results import (
    NO_ANSWER,
    QUERY_CANCELED,
    Shape,
    answer_shape,
    encodable,
    exec_columns,
    exec_shape,
    notice_fields,
    outcome_error,
    pg_error,
    rows_shape,
    step_columns,
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

    def notify(self, text: str) -> None:
        """A warning for the client, ahead of the rows it is about."""
        self.connection.stream.write(messages.make_notice_response(notice_fields(text)))

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
    """One result per statement, in order, up to the first that failed (then its error)."""
    got: dict[int, list[StatementResult]] = {}
    for result in results:
        got.setdefault(result.number, []).append(result)
    parts: dict[int, list[Step]] = {}  # an INSERT of several rows is several steps of one number
    for step in steps:
        parts.setdefault(step.number, []).append(step)
    shapes: list[Shape] = []
    for number, part in parts.items():
        first, mine = part[0], got.get(number, [])
        if first.request is None and first.query is None:
            shapes.append(answer_shape(first))
            continue
        outcomes = [r.outcome for r in mine if r.outcome is not None]
        failed = next((o for o in outcomes if o.status != "succeeded"), None)
        if failed is not None:
            return ScriptResult(tuple(shapes), _with_later(outcome_error(failed), number, results))
        answers = [r.answer for r in mine if r.answer is not None]
        if first.query is not None and answers:
            shapes.append(rows_shape(answers[0], f"SELECT {len(answers[0].rows)}", _warning(mine)))
        elif first.shaped and len(outcomes) == len(part):
            shapes.append(_inserted(first, outcomes))
        elif first.request is not None and not first.shaped and outcomes:
            shapes.append(exec_shape(exec_columns(first.request), outcomes[0]))
        else:
            return ScriptResult(tuple(shapes), PgError(NO_ANSWER, f"statement {number} was not run"))
    return ScriptResult(tuple(shapes))


def _inserted(step: Step, outcomes: list[Outcome]) -> Shape:
    """An INSERT's result: its RETURNING rows (none without RETURNING) and `INSERT 0 <rows sent>`."""
    tag = f"INSERT 0 {len(outcomes)}"
    if step.returning is None:
        return Shape(None, (), tag)
    # Declared as a Describe declares them (before anything is sent), so both protocols agree.
    columns = step_columns(step) or ()
    rows = [o.row for o in outcomes if o.row is not None]
    return Shape(columns, tuple(encodable(tuple(r.get(c.name) for c in columns), columns) for r in rows), tag)


def _warning(results: list[StatementResult]) -> str | None:
    return next((r.warning for r in results if r.warning), None)


def _with_later(error: PgError, failed: int, results: list[StatementResult]) -> PgError:
    """The error of a failed statement, telling what became of later ones (`--on-error continue`)."""
    later = [describe(r) for r in results if r.outcome is not None and r.number > failed]
    if not later:
        return error
    detail = "\n".join(filter(None, [error.fields.get("D"), "later statements:", *later]))
    return PgError(error.sqlstate, error.message, **{**error.fields, "D": detail})
