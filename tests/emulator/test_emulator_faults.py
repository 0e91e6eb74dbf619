"""Injected faults, one flag at a time: latency, rate limit, fail rate, drop after commit, stop after N."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stackql_signups.emulator import EmulatorConfig, EmulatorServer
from stackql_signups.emulator.config import STOP_AFTER_EXIT_STATUS
from stackql_signups.emulator.faults import Admission, AnswerGate, TokenBucket

from .emulator_support import AUTH, SIGNUP, errors, logged, signup_body, start_process, state


def emulator(tmp_path: Path, **faults: Any) -> EmulatorServer:
    return EmulatorServer(EmulatorConfig(state_path=tmp_path / "faults.sqlite3", **faults))


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(auth=AUTH, timeout=10) as client:
        yield client


def test_latency_delays_api_answers_only(tmp_path: Path, http: httpx.Client) -> None:
    with emulator(tmp_path, latency_ms=150) as server:
        start = time.perf_counter()
        assert http.post(f"{server.url}{SIGNUP}", json=signup_body()).status_code == 201
        assert time.perf_counter() - start >= 0.15
        start = time.perf_counter()
        http.get(f"{server.url}/_emulator/state")
        assert time.perf_counter() - start < 0.15


def test_rate_limit_answers_429_with_headers_and_no_body(tmp_path: Path, http: httpx.Client) -> None:
    with emulator(tmp_path, rate_limit=2) as server:
        answers = [http.post(f"{server.url}{SIGNUP}", json=signup_body(f"r-{i}")) for i in range(6)]
        assert [a.status_code for a in answers[:2]] == [201, 201]  # a burst of up to R
        assert answers[0].headers["x-ratelimit-limit"] == "2"
        limited = next(a for a in answers if a.status_code != 201)
        assert limited.status_code == 429
        assert limited.content == b"" and "content-type" not in limited.headers
        assert limited.headers["x-request-id"]
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["x-ratelimit-limit"] == "2"
        assert limited.headers["x-ratelimit-remaining"] == "0"
        assert int(limited.headers["x-ratelimit-reset"]) >= 1
        created = sum(1 for a in answers if a.status_code == 201)
        assert len(state(server)["organizations"]) == created  # a 429 processed nothing
        time.sleep(float(limited.headers["retry-after"]))
        assert http.post(f"{server.url}{SIGNUP}", json=signup_body("later")).status_code == 201


def test_token_bucket_refills_at_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(10, clock=lambda: now[0])
    assert all(bucket.take().allowed for _ in range(10))
    refused = bucket.take()
    assert not refused.allowed and refused.retry_after_s == 1 and refused.remaining == 0
    now[0] += 0.1
    assert bucket.take().allowed and not bucket.take().allowed


def test_fail_rate_one_answers_500_and_processes_nothing(tmp_path: Path, http: httpx.Client) -> None:
    with emulator(tmp_path, fail_rate=1.0) as server:
        answer = http.post(f"{server.url}{SIGNUP}", json=signup_body())
        assert answer.status_code == 500
        assert errors(answer)[0]["code"] == "internal_error"
        assert state(server)["organizations"] == []


def statuses(tmp_path: Path, name: str, http: httpx.Client, **faults: Any) -> list[int]:
    config = EmulatorConfig(state_path=tmp_path / name, **faults)
    with EmulatorServer(config) as server:
        return [http.post(f"{server.url}{SIGNUP}", json=signup_body(f"f-{i}")).status_code for i in range(40)]


def test_a_seed_makes_faults_reproducible(tmp_path: Path, http: httpx.Client) -> None:
    first = statuses(tmp_path, "a.db", http, fail_rate=0.5, seed=7)
    assert first == statuses(tmp_path, "b.db", http, fail_rate=0.5, seed=7)
    assert set(first) == {201, 500}
    assert first != statuses(tmp_path, "c.db", http, fail_rate=0.5, seed=8)


def test_drop_after_commit_closes_without_an_answer(tmp_path: Path, http: httpx.Client) -> None:
    with emulator(tmp_path, drop_after_commit=1.0) as server:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post(f"{server.url}{SIGNUP}", json=signup_body("dropped"))
        [org] = state(server)["organizations"]  # committed before the connection was closed
        assert state(server)["entitlements"][0]["external_id"] == "dropped"
        assert logged(server)["requests"][0]["status"] is None
        # What is not committed is answered: a dry run, a conflict, a validation error.
        assert http.post(f"{server.url}{SIGNUP}?dry_run=true", json=signup_body("dry")).status_code == 201
        assert http.post(f"{server.url}{SIGNUP}", json=signup_body("dropped")).status_code == 409
        assert http.post(f"{server.url}{SIGNUP}", json={}).status_code == 400
        assert [o["id"] for o in state(server)["organizations"]] == [org["id"]]


def test_stop_after_answers_exactly_n_then_stops(tmp_path: Path, http: httpx.Client) -> None:
    server = emulator(tmp_path, stop_after=3).start()
    try:
        answered = [
            http.post(f"{server.url}{SIGNUP}", json=signup_body(f"s-{i}")).status_code for i in range(3)
        ]
        assert answered == [201, 201, 201]
        assert server.wait(timeout=5)
        with pytest.raises(httpx.TransportError):
            http.post(f"{server.url}{SIGNUP}", json=signup_body("s-4"))
    finally:
        server.stop()


def test_answer_gate_holds_everything_past_n() -> None:
    gate = AnswerGate(2)
    assert [gate.admit() for _ in range(4)] == [
        Admission.ANSWER,
        Admission.ANSWER_AND_STOP,
        Admission.HOLD,
        Admission.HOLD,
    ]
    assert AnswerGate(None).admit() is Admission.ANSWER


def test_stop_after_exits_the_process_as_if_killed(tmp_path: Path) -> None:
    path = tmp_path / "stop.sqlite3"
    process, url = start_process("--state", str(path), "--stop-after", "5")
    answered: list[str] = []
    with httpx.Client(base_url=url, auth=AUTH, timeout=10) as client:
        for i in range(10):
            try:
                answer = client.post(SIGNUP, json=signup_body(f"p-{i}"))
            except httpx.TransportError:
                break
            answered.append(answer.json()["organization_id"])
    assert process.wait(timeout=10) == STOP_AFTER_EXIT_STATUS
    assert len(answered) == 5
    with EmulatorServer(EmulatorConfig(state_path=path)) as restarted:
        assert set(answered) <= {o["id"] for o in state(restarted)["organizations"]}


@pytest.mark.parametrize(
    "settings",
    [
        {"fail_rate": 1.5},
        {"drop_after_commit": -0.1},
        {"latency_ms": -1},
        {"rate_limit": 0},
        {"stop_after": 0},
        {"port": 70000},
        {"api_secret": ""},
    ],
)
def test_settings_out_of_range_are_refused(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="--"):
        EmulatorConfig(**settings)


def test_stop_after_is_exact_under_concurrency(tmp_path: Path) -> None:
    server = emulator(tmp_path, stop_after=20).start()
    answered: list[int] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        with httpx.Client(base_url=server.url, auth=AUTH, timeout=10) as http:
            for n in range(10):
                try:
                    status = http.post(SIGNUP, json=signup_body(f"c-{index}-{n}")).status_code
                except httpx.TransportError:
                    return
                with lock:
                    answered.append(status)

    try:
        threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answered == [201] * 20
        assert server.wait(timeout=5)
    finally:
        server.stop()
