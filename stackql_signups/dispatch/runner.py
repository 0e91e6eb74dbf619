"""Run a script's planned requests: in order, or `--concurrency N` at once, reporting in script order."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..plan import PlannedRequest
from .config import DispatchConfig
from .executor import AsyncExecutor, Executor, RetryHook
from .outcome import Outcome, RunSummary
from .schedule import Schedule

if TYPE_CHECKING:
    import asyncio
    from concurrent.futures import Future

OutcomeHook = Callable[[Outcome], None]


def run(
    requests: Sequence[PlannedRequest],
    config: DispatchConfig,
    on_outcome: OutcomeHook,
    *,
    executor: Executor | None = None,
    env: Mapping[str, str] | None = None,
    on_retry: RetryHook | None = None,
    prior_rows: Mapping[str, Mapping[str, Any]] | None = None,
) -> RunSummary:
    """Send `requests`, calling `on_outcome` per statement in script order; `UsageError` before sending."""
    own = executor is None
    active = executor if executor is not None else Executor(config, env=env, on_retry=on_retry)
    try:
        active.preflight(requests)
        schedule = Schedule(requests, config.on_error, prior_rows)
        if config.concurrency <= 1:
            _sequential(schedule, active, on_outcome)
        else:
            _threaded(schedule, active, on_outcome, config.concurrency)
        return RunSummary.of(schedule.outcomes())
    finally:
        if own:
            active.close()


def _sequential(schedule: Schedule, executor: Executor, on_outcome: OutcomeHook) -> None:
    while not schedule.done:
        for index, request in schedule.take(1):
            schedule.complete(index, executor.send(request))
        for outcome in schedule.drain():
            on_outcome(outcome)


def _threaded(schedule: Schedule, executor: Executor, on_outcome: OutcomeHook, concurrency: int) -> None:
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait  # ~10 ms: only when used

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="dispatch")
    running: dict[Future[Outcome], int] = {}
    try:
        while True:
            for index, request in schedule.take(concurrency - len(running)):
                running[pool.submit(executor.send, request)] = index
            # Hooks run on this thread only, so callers need no locking.
            for outcome in schedule.drain():
                on_outcome(outcome)
            if schedule.done:
                return
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                schedule.complete(running.pop(future), future.result())
    finally:
        # On Ctrl-C, requests already on the wire finish (their outcome would otherwise be unknown).
        pool.shutdown(wait=True, cancel_futures=True)


async def arun(
    requests: Sequence[PlannedRequest],
    config: DispatchConfig,
    on_outcome: OutcomeHook,
    *,
    executor: AsyncExecutor | None = None,
    env: Mapping[str, str] | None = None,
    on_retry: RetryHook | None = None,
    prior_rows: Mapping[str, Mapping[str, Any]] | None = None,
) -> RunSummary:
    """The asyncio form of `run`: the same order, chaining, `--on-error` and `--concurrency`."""
    import asyncio  # ~15 ms to import: the command line never needs it

    own = executor is None
    active = executor if executor is not None else AsyncExecutor(config, env=env, on_retry=on_retry)
    try:
        active.preflight(requests)
        schedule = Schedule(requests, config.on_error, prior_rows)
        limit = max(config.concurrency, 1)
        running: dict[asyncio.Task[Outcome], int] = {}
        try:
            while True:
                for index, request in schedule.take(limit - len(running)):
                    running[asyncio.ensure_future(active.send(request))] = index
                for outcome in schedule.drain():
                    on_outcome(outcome)
                if schedule.done:
                    break
                finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    schedule.complete(running.pop(task), task.result())
        finally:
            for task in running:
                task.cancel()
        return RunSummary.of(schedule.outcomes())
    finally:
        if own:
            await active.aclose()
