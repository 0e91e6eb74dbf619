"""Client-side pacing from X-RateLimit-* headers: evenly spaced starts once the budget runs low."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from stackql_signups.dispatch.pacing import MARGIN, Pacer
from stackql_signups.dispatch.runner import run
from stackql_signups.emulator import EmulatorConfig, EmulatorServer
from stackql_signups.emulator.config import DEFAULT_API_KEY, DEFAULT_API_SECRET

from .dispatch_support import config, planned

ADMIN = (DEFAULT_API_KEY, DEFAULT_API_SECRET)  # the /_emulator/ routes need the emulator's credentials


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def limits(limit: int, remaining: int, reset: int = 1) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
    }


def test_no_limit_reported_means_no_wait() -> None:
    pacer = Pacer(4, Clock())
    pacer.observe(201, {})
    pacer.observe(201, {"X-RateLimit-Limit": "oops", "X-RateLimit-Remaining": "3"})
    assert not pacer.pacing and pacer.wait() == 0.0


def test_a_low_budget_spaces_requests_just_under_the_limit() -> None:
    clock = Clock()
    pacer = Pacer(4, clock)
    pacer.observe(201, limits(100, 90))
    assert not pacer.pacing
    pacer.observe(201, limits(100, 8))
    interval = 1 / (100 * MARGIN)
    waits = [pacer.wait() for _ in range(3)]
    assert waits == pytest.approx([0.0, interval, 2 * interval])
    clock.now += 10 * interval
    assert pacer.wait() == 0.0  # time went by: no debt carried over


def test_a_429_starts_pacing_and_room_stops_it() -> None:
    pacer = Pacer(1, Clock())
    pacer.observe(429, {"X-RateLimit-Limit": "10", "X-RateLimit-Reset": "1", "Retry-After": "1"})
    assert pacer.pacing
    pacer.observe(201, limits(10, 9))
    assert not pacer.pacing


def test_the_window_is_learned_from_reset() -> None:
    clock = Clock()
    pacer = Pacer(1, clock)
    pacer.observe(201, limits(600, 1, reset=60))  # 600 a minute
    pacer.wait()
    assert pacer.wait() == pytest.approx(60 / (600 * MARGIN))


def test_sixteen_threads_keep_under_a_rate_limit_without_failing(tmp_path: Path) -> None:
    # 20 a second with bursts of 20, 70 signups from 16 threads: without pacing, a statement meets
    # 429 three times in a row and fails; paced, the API is hardly ever refused.
    emulator = EmulatorConfig(port=0, state_path=tmp_path / "state.db", rate_limit=20)
    with EmulatorServer(emulator) as server:
        requests = [planned(n) for n in range(1, 71)]
        summary = run(requests, config(endpoint=server.url, concurrency=16), lambda outcome: None, env={})
        log = httpx.get(f"{server.url}/_emulator/requests", auth=ADMIN, timeout=5).json()["requests"]
    assert summary.succeeded == 70
    refused = sum(1 for entry in log if entry["status"] == 429)
    assert refused <= 16  # at most the requests in flight when the budget ran out
