"""Running scripts: order, chaining, --on-error, --concurrency, and the summary (MockTransport)."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest

from stackql_signups._errors import UsageError
from stackql_signups.dispatch import Outcome, RunSummary
from stackql_signups.dispatch.executor import Executor
from stackql_signups.dispatch.runner import arun, run
from stackql_signups.dispatch.schedule import Schedule
from stackql_signups.sql.statements import Reference

from .dispatch_support import CANARY_ENV, activate, config, created, failure, planned


class Api:
    """A fake API: signups get ids from their external_id; `fail` lists statements answered 409/500."""

    def __init__(
        self, fail: dict[str, int] | None = None, delay: float = 0.0, slow: dict[str, float] | None = None
    ) -> None:
        self.fail = fail or {}
        self.delay = delay
        self.slow = slow or {}  # extra seconds for some keys, so that the order of answers is certain
        self.lock = threading.Lock()
        self.seen: list[str] = []
        self.active = 0
        self.peak = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        import json

        body = json.loads(request.content)
        key = body.get("entitlement", {}).get("external_id") or f"activate:{body.get('organization_id')}"
        with self.lock:
            self.seen.append(key)
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(self.delay + self.slow.get(key, 0.0))
            if key in self.fail:
                return failure(self.fail[key], "boom", f"{key} refused")
            return created(f"org-{key}")
        finally:
            with self.lock:
                self.active -= 1


def go(requests: list[Any], api: Api, **overrides: Any) -> tuple[RunSummary, list[Outcome]]:
    seen: list[Outcome] = []
    cfg = config(**overrides)
    ex = Executor(cfg, env=CANARY_ENV, transport=httpx.MockTransport(api))
    with ex:
        summary = run(requests, cfg, seen.append, executor=ex)
    return summary, seen


def test_statements_run_in_order_and_chain() -> None:
    api = Api()
    summary, seen = go([planned(1, label="s"), activate(2, "s"), planned(3)], api)
    assert [o.statement for o in seen] == [1, 2, 3]
    assert api.seen == ["ext-1", "activate:org-ext-1", "ext-3"]
    assert summary.describe() == "3 statements: 3 succeeded, 0 failed, 0 unknown, 0 not sent"
    assert summary.ok and summary.exit_status == 0 and summary.sent == 3
    assert summary.labelled_rows()["s"]["organization_id"] == "org-ext-1"


def test_first_failure_stops_the_script() -> None:
    api = Api(fail={"ext-2": 409})
    summary, seen = go([planned(1), planned(2), planned(3), planned(4)], api)
    assert [o.status for o in seen] == ["succeeded", "failed", "not_sent", "not_sent"]
    assert api.seen == ["ext-1", "ext-2"]
    assert (
        seen[2].error is not None
        and seen[2].error.message == "not sent: statement 2 failed and --on-error is stop"
    )
    assert summary.describe() == "4 statements: 1 succeeded, 1 failed, 0 unknown, 2 not sent"
    assert summary.exit_status == 1 and not summary.ok


def test_unknown_outcome_also_stops() -> None:
    api = Api(fail={"ext-1": 500})
    _, seen = go([planned(1), planned(2)], api)
    assert [o.status for o in seen] == ["unknown", "not_sent"]
    assert "has an unknown outcome" in seen[1].error.message  # type: ignore[union-attr]


def test_continue_skips_only_dependents() -> None:
    api = Api(fail={"ext-1": 409})
    summary, seen = go([planned(1, label="s"), activate(2, "s"), planned(3)], api, on_error="continue")
    assert [o.status for o in seen] == ["failed", "not_sent", "succeeded"]
    assert seen[1].error is not None
    assert seen[1].error.message == "not sent: it needs ${s.organization_id} from statement 1, which failed"
    assert api.seen == ["ext-1", "ext-3"]
    assert summary.describe() == "3 statements: 1 succeeded, 1 failed, 0 unknown, 1 not sent"


def test_missing_field_in_the_earlier_row_fails_without_sending() -> None:
    api = Api()
    _, seen = go([planned(1, label="s"), activate(2, "s", field="nope")], api, on_error="continue")
    assert seen[1].status == "failed" and seen[1].attempts == 0
    assert seen[1].error is not None and "answered without 'nope'" in seen[1].error.message
    assert len(api.seen) == 1


def test_references_from_an_earlier_run() -> None:
    api = Api()
    seen: list[Outcome] = []
    cfg = config()
    with Executor(cfg, env=CANARY_ENV, transport=httpx.MockTransport(api)) as ex:
        run(
            [activate(1, "old")],
            cfg,
            seen.append,
            executor=ex,
            prior_rows={"old": {"organization_id": "org-old"}},
        )
        run([activate(2, "gone")], cfg, seen.append, executor=ex)
    assert api.seen == ["activate:org-old"]
    assert seen[1].status == "not_sent"


def test_reference_in_nested_path_and_query() -> None:
    first = planned(1, label="s")
    nested = planned(
        2,
        body={"organization": {"name": "${s.display_message}"}, "list": ["x", "${s.organization_id}"]},
        references=(
            (("organization", "name"), Reference("s", "display_message")),
            (("list", 1), Reference("s", "organization_id")),
            (("dry_run",), Reference("s", "organization_id")),
        ),
        query=(("dry_run", "${s.organization_id}"),),
    )
    schedule = Schedule([first, nested])
    [(index, _)] = schedule.take(1)
    schedule.complete(
        index, Outcome(1, "s", "succeeded", row={"organization_id": "o1", "display_message": "hi"})
    )
    [(_, filled)] = schedule.take(1)
    assert filled.body == {"organization": {"name": "hi"}, "list": ["x", "o1"]}
    assert filled.query == (("dry_run", "o1"),) and filled.references == ()
    assert nested.body["list"][1] == "${s.organization_id}"  # the plan itself is untouched


def test_concurrency_overlaps_but_reports_in_order() -> None:
    api = Api(delay=0.05)
    requests = [planned(n) for n in range(1, 9)]
    summary, seen = go(requests, api, concurrency=4)
    assert [o.statement for o in seen] == list(range(1, 9))
    assert summary.succeeded == 8 and api.peak == 4  # four were on the wire at once


def test_concurrency_waits_for_dependencies() -> None:
    api = Api(delay=0.02)
    requests = [planned(1, label="a"), planned(2, label="b"), activate(3, "a"), activate(4, "b"), planned(5)]
    _, seen = go(requests, api, concurrency=3)
    assert [o.status for o in seen] == ["succeeded"] * 5
    order = api.seen
    assert order.index("activate:org-ext-1") > order.index("ext-1")
    assert order.index("activate:org-ext-2") > order.index("ext-2")
    assert [o.statement for o in seen] == [1, 2, 3, 4, 5]


def test_concurrency_stop_sends_nothing_new_after_a_failure() -> None:
    # Statement 2 answers well after statement 1's failure, however busy the machine: nothing is free to go.
    api = Api(fail={"ext-1": 409}, delay=0.05, slow={"ext-2": 0.5})
    requests = [planned(n) for n in range(1, 7)]
    summary, seen = go(requests, api, concurrency=2)
    assert seen[0].status == "failed"
    # Statement 2 was already in flight with statement 1; nothing after them is sent.
    assert set(api.seen) <= {"ext-1", "ext-2"}
    assert [o.status for o in seen[2:]] == ["not_sent"] * 4
    assert summary.not_sent == 4


def test_missing_credentials_stop_the_run_before_sending() -> None:
    api = Api()
    cfg = config()
    with pytest.raises(UsageError):
        run(
            [planned(1)],
            cfg,
            lambda o: None,
            executor=Executor(cfg, env={}, transport=httpx.MockTransport(api)),
        )
    assert api.seen == []


def test_outcome_hook_runs_on_the_calling_thread() -> None:
    threads: set[int] = set()
    api = Api(delay=0.01)
    cfg = config(concurrency=3)
    with Executor(cfg, env=CANARY_ENV, transport=httpx.MockTransport(api)) as ex:
        run([planned(n) for n in range(1, 6)], cfg, lambda o: threads.add(threading.get_ident()), executor=ex)
    assert threads == {threading.get_ident()}


def test_arun_matches_run() -> None:
    class AsyncApi(Api):
        async def handle(self, request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(0.02)
            return self(request)

    api = AsyncApi(fail={"ext-3": 409})
    cfg = config(concurrency=2, on_error="continue")
    seen: list[Outcome] = []
    requests = [planned(1, label="s"), activate(2, "s"), planned(3, label="t"), activate(4, "t"), planned(5)]

    async def main() -> RunSummary:
        from stackql_signups.dispatch.executor import AsyncExecutor

        async with AsyncExecutor(cfg, env=CANARY_ENV, transport=httpx.MockTransport(api.handle)) as ex:
            return await arun(requests, cfg, seen.append, executor=ex)

    summary = asyncio.run(main())
    assert [o.status for o in seen] == ["succeeded", "succeeded", "failed", "not_sent", "succeeded"]
    assert summary.describe() == "5 statements: 3 succeeded, 1 failed, 0 unknown, 1 not sent"


def test_summary_of_nothing() -> None:
    assert RunSummary.of([]).describe() == "0 statements: 0 succeeded, 0 failed, 0 unknown, 0 not sent"
    assert RunSummary.of([Outcome(1, None, "succeeded")]).describe().startswith("1 statement:")
