"""Dispatch against a real emulator on 127.0.0.1: the happy path, credentials, faults and secrecy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from stackql_signups.dispatch import DispatchConfig, Outcome, RetryNotice, RunSummary
from stackql_signups.dispatch.runner import arun, run
from stackql_signups.emulator import EmulatorConfig, EmulatorServer
from stackql_signups.emulator.config import DEFAULT_API_KEY, DEFAULT_API_SECRET

from .dispatch_support import (
    CANARY_ENV,
    CANARY_KEY,
    CANARY_SECRET,
    activate,
    assert_no_secrets,
    config,
    link,
    planned,
    shipped_auth,
)

ADMIN = (DEFAULT_API_KEY, DEFAULT_API_SECRET)  # the /_emulator/ routes need the emulator's credentials


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(port=0, state_path=tmp_path / "state.db")) as server:
        yield server


def start(tmp_path: Path, **faults: Any) -> EmulatorServer:
    return EmulatorServer(EmulatorConfig(port=0, state_path=tmp_path / "faulty.db", **faults)).start()


def send(
    requests: list[Any], cfg: DispatchConfig, env: dict[str, str] | None = None, **kwargs: Any
) -> tuple[RunSummary, list[Outcome]]:
    seen: list[Outcome] = []
    summary = run(requests, cfg, seen.append, env={} if env is None else env, **kwargs)
    return summary, seen


def admin(server: EmulatorServer, path: str) -> Any:
    return httpx.get(f"{server.url}/_emulator/{path}", auth=ADMIN, timeout=5).json()


def api_requests(server: EmulatorServer, path: str = "/partner/v2/signup") -> int:
    return sum(1 for r in admin(server, "requests")["requests"] if r["path"] == path)


def link_token(server: EmulatorServer, organization_id: str) -> str:
    answer = httpx.post(
        f"{server.url}/_emulator/link-tokens",
        json={"organization_id": organization_id},
        auth=ADMIN,
        timeout=5,
    )
    return str(answer.json()["token"])


def test_signup_activate_again_and_link(emulator: EmulatorServer) -> None:
    cfg = config(endpoint=emulator.url, on_error="continue")
    summary, seen = send([planned(1, label="s"), activate(2, "s"), activate(3, "s")], cfg)
    signup, activated, again = seen
    assert (signup.status, activated.status, again.status) == ("succeeded", "succeeded", "failed")
    assert signup.row is not None and signup.http_status == 201 and signup.request_id
    organization_id = signup.row["organization_id"]
    assert signup.row["sso_url"].startswith("https://")
    assert activated.row is not None and activated.row["organization_id"] == organization_id
    error = again.error
    assert error is not None and again.http_status == 409
    assert error.message.startswith("409 Conflict: resource_already_exists: ")
    assert error.message.endswith(f"(request id {again.request_id})") and "\n" not in error.message
    assert (error.hint or "").startswith("the signup of that organization is already complete")
    assert summary.describe() == "3 statements: 2 succeeded, 1 failed, 0 unknown, 0 not sent"

    token = link_token(emulator, organization_id)
    _, [linked] = send([link(4, token, "ext-linked")], cfg)
    assert linked.status == "succeeded" and linked.row is not None
    assert linked.row["organization_id"] == organization_id
    state = admin(emulator, "state")
    assert len(state["organizations"]) == 1 and len(state["users"]) == 1 and len(state["entitlements"]) == 2
    assert_no_secrets(linked)
    assert token not in repr(linked)


def test_duplicate_signup_is_refused_with_the_entitlement_hint(emulator: EmulatorServer) -> None:
    cfg = config(endpoint=emulator.url)
    _, [first] = send([planned(1)], cfg)
    _, [second] = send([planned(1)], cfg)
    assert first.status == "succeeded" and second.status == "failed" and second.http_status == 409
    assert "already signed up" in (second.error.hint or "")  # type: ignore[union-attr]


def test_wrong_credentials_are_a_401_without_secrets(emulator: EmulatorServer) -> None:
    cfg = config(endpoint=emulator.url)
    _, [outcome] = send([planned(1)], cfg, env=CANARY_ENV)
    assert outcome.status == "failed" and outcome.http_status == 401
    error = outcome.error
    assert error is not None and error.message.startswith("401 Unauthorized: user_unauthenticated: ")
    assert "\n" not in error.message
    hint = error.hint or ""
    assert "CONFLUENT_CLOUD_API_KEY" in hint and "CONFLUENT_CLOUD_API_SECRET" in hint
    assert "The API Key is invalid" in hint  # from WWW-Authenticate
    assert_no_secrets(outcome, error)
    assert api_requests(emulator) == 1  # a 401 is not retried


def test_oauth2_client_credentials_against_the_emulator(emulator: EmulatorServer) -> None:
    cfg = config(endpoint=emulator.url, auth=shipped_auth("oauth2"))
    summary, _ = send([planned(1, label="s"), activate(2, "s"), planned(3)], cfg)
    assert summary.succeeded == 3
    assert api_requests(emulator, "/oauth2/token") == 1  # cached across statements


def test_oauth2_without_the_partner_scope_is_a_403(emulator: EmulatorServer) -> None:
    cfg = config(endpoint=emulator.url, auth=shipped_auth("oauth2", scopes=["partner:describe"]))
    _, [outcome] = send([planned(1)], cfg)
    assert outcome.status == "failed" and outcome.http_status == 403
    assert "partner:create" in (outcome.error.hint or "")  # type: ignore[union-attr]


def test_oauth2_wrong_client_secret(emulator: EmulatorServer) -> None:
    cfg = config(endpoint=emulator.url, auth=shipped_auth("oauth2"))
    _, [outcome] = send([planned(1)], cfg, env=CANARY_ENV)
    assert outcome.status == "failed" and outcome.http_status is None and not outcome.sent
    error = outcome.error
    assert error is not None and "token request to" in error.message and "invalid_client" in error.message
    assert_no_secrets(outcome, error)
    assert api_requests(emulator) == 0


def test_stopped_server_is_retried_then_failed(tmp_path: Path) -> None:
    server = start(tmp_path)
    url = server.url
    server.stop()
    notices: list[RetryNotice] = []
    summary, [outcome, later] = send(
        [planned(1), planned(2)], config(endpoint=url, retries=2), on_retry=notices.append
    )
    assert outcome.status == "failed" and outcome.attempts == 3 and len(notices) == 2
    assert outcome.error is not None
    assert outcome.error.message.startswith(f"could not connect to {url}: ")
    assert "(3 attempts); nothing was sent" in outcome.error.message
    assert later.status == "not_sent"
    assert summary.describe() == "2 statements: 0 succeeded, 1 failed, 0 unknown, 1 not sent"


def test_429_retry_after_is_honoured(tmp_path: Path) -> None:
    server = start(tmp_path, rate_limit=1.0)
    try:
        notices: list[RetryNotice] = []
        started = time.perf_counter()
        _, seen = send([planned(1), planned(2)], config(endpoint=server.url), on_retry=notices.append)
        elapsed = time.perf_counter() - started
        assert [o.status for o in seen] == ["succeeded", "succeeded"]
        assert seen[1].attempts >= 2 and notices[0].reason == "429 Too Many Requests"
        assert notices[0].delay >= 1.0 and elapsed >= 1.0
        assert len(admin(server, "state")["organizations"]) == 2
    finally:
        server.stop()


def test_read_timeout_is_unknown_and_not_resent(tmp_path: Path) -> None:
    server = start(tmp_path, latency_ms=800)
    try:
        cfg = config(endpoint=server.url, read_timeout=0.2, retries=3)
        summary, [outcome, later] = send([planned(1), planned(2)], cfg)
        assert outcome.status == "unknown" and outcome.attempts == 1 and later.status == "not_sent"
        error = outcome.error
        assert error is not None and getattr(error, "outcome_unknown", False)
        assert error.message.startswith("no answer within 0.2 s (--timeout)")
        assert error.message.endswith("the outcome is unknown")
        assert "GET /_emulator/state" in (error.hint or "")
        time.sleep(1.0)  # let the slow answer go out
        assert api_requests(server) == 1
        # It was in fact processed: exactly why a blind retry would have duplicated it.
        assert len(admin(server, "state")["organizations"]) == 1
        assert summary.unknown == 1
    finally:
        server.stop()


def test_dropped_connection_after_commit_is_unknown(tmp_path: Path) -> None:
    server = start(tmp_path, drop_after_commit=1.0)
    try:
        _, [outcome] = send([planned(1)], config(endpoint=server.url, retries=3))
        assert outcome.status == "unknown" and outcome.attempts == 1
        assert api_requests(server) == 1 and len(admin(server, "state")["organizations"]) == 1
    finally:
        server.stop()


def test_server_error_is_unknown_and_not_resent(tmp_path: Path) -> None:
    server = start(tmp_path, fail_rate=1.0)
    try:
        _, [outcome] = send([planned(1)], config(endpoint=server.url, retries=3))
        assert outcome.status == "unknown" and outcome.http_status == 500
        assert outcome.error is not None and outcome.error.message.startswith("500 Internal Server Error: ")
        assert api_requests(server) == 1
    finally:
        server.stop()


def test_concurrent_run_reports_in_order(emulator: EmulatorServer) -> None:
    requests: list[Any] = []
    for n in range(1, 13, 2):
        requests += [planned(n, label=f"s{n}"), activate(n + 1, f"s{n}")]
    summary, seen = send(requests, config(endpoint=emulator.url, concurrency=4))
    assert [o.statement for o in seen] == list(range(1, 13))
    assert summary.succeeded == 12
    state = admin(emulator, "state")
    assert len(state["organizations"]) == 6 and len(state["users"]) == 6


def test_async_run_against_the_emulator(emulator: EmulatorServer) -> None:
    seen: list[Outcome] = []
    requests = [planned(1, label="s"), activate(2, "s"), activate(3, "s")]
    cfg = config(endpoint=emulator.url, concurrency=2, on_error="continue")
    summary = asyncio.run(arun(requests, cfg, seen.append, env={}))
    # Statements 2 and 3 run at once: whichever reaches the emulator second is the one refused (409).
    assert [o.statement for o in seen] == [1, 2, 3]
    assert seen[0].status == "succeeded"
    assert sorted(o.status for o in seen[1:]) == ["failed", "succeeded"]
    assert summary.describe() == "3 statements: 2 succeeded, 1 failed, 0 unknown, 0 not sent"


def test_keep_alive_one_connection_per_run(emulator: EmulatorServer) -> None:
    from stackql_signups.dispatch.executor import Executor

    cfg = config(endpoint=emulator.url)
    connections: set[int] = set()
    with Executor(cfg, env={}) as ex:
        for n in range(1, 5):
            ex.send(planned(n))
        pool = ex._client._transport._plain._pool  # type: ignore[attr-defined]  # http:// goes there
        connections.update(id(c) for c in pool.connections)
    assert len(connections) == 1


def test_canary_credentials_never_leak_in_any_outcome(emulator: EmulatorServer, tmp_path: Path) -> None:
    everything: list[Any] = []
    for cfg in (
        config(endpoint=emulator.url),
        config(endpoint=emulator.url, auth=shipped_auth("oauth2")),
    ):
        summary, seen = send([planned(1), activate(2, "nobody"), link(3, "x" * 40)], cfg, env=CANARY_ENV)
        everything += [summary, *seen, *(o.error for o in seen)]
    assert_no_secrets(*everything)
    assert CANARY_KEY not in repr(everything) and CANARY_SECRET not in repr(everything)


def test_a_409_hint_names_on_conflict_existing(tmp_path: Path) -> None:
    with EmulatorServer(EmulatorConfig(port=0, state_path=tmp_path / "s.db")) as server:
        request = planned(1)
        first = run([request], config(endpoint=server.url), lambda outcome: None, env={})
        again = run([request], config(endpoint=server.url), lambda outcome: None, env={})
    assert first.succeeded == 1
    error = again.outcomes[0].error
    assert error is not None and error.hint is not None
    assert "--on-conflict existing" in error.hint
    assert "/_emulator/" not in error.hint
