"""The executors over httpx.MockTransport: what is sent, and retries that never duplicate a signup."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from stackql_signups._errors import UsageError
from stackql_signups.dispatch import RetryNotice
from stackql_signups.dispatch.config import DispatchConfig
from stackql_signups.dispatch.executor import AsyncExecutor, Executor

from .dispatch_support import (
    CANARY_ENV,
    CANARY_TOKEN,
    Recorder,
    assert_no_secrets,
    config,
    created,
    failure,
    link,
    planned,
)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def executor(recorder: Recorder, cfg: DispatchConfig | None = None, **kwargs: Any) -> Executor:
    return Executor(cfg or config(), env=CANARY_ENV, transport=recorder.transport(), **kwargs)


def test_the_request_sent() -> None:
    recorder = Recorder(created())
    with executor(recorder, config(endpoint="http://127.0.0.1:9999", user_agent="stackql-signups/9.9")) as ex:
        outcome = ex.send(planned(1, query=(("dry_run", "true"),)))
    request = recorder.requests[0]
    assert str(request.url) == "http://127.0.0.1:9999/partner/v2/signup?dry_run=true"
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == "stackql-signups/9.9"
    assert request.headers["Authorization"].startswith("Basic ")
    assert recorder.bodies()[0]["entitlement"]["external_id"] == "ext-1"
    assert outcome.status == "succeeded" and outcome.attempts == 1


def test_timeouts_and_tls_settings_reach_the_client() -> None:
    recorder = Recorder(created())
    with executor(recorder, config(connect_timeout=1.25, read_timeout=9.0)) as ex:
        ex.send(planned())
    timeout = recorder.requests[0].extensions["timeout"]
    assert timeout == {"connect": 1.25, "read": 9.0, "write": 9.0, "pool": 1.25}


def test_connect_errors_are_retried_with_backoff_then_succeed() -> None:
    sleeps, notices = Sleeps(), list[RetryNotice]()
    recorder = Recorder(httpx.ConnectError("refused"), httpx.ConnectError("refused"), created())
    with executor(recorder, config(retries=2), sleep=sleeps, on_retry=notices.append) as ex:
        outcome = ex.send(planned(4))
    assert outcome.status == "succeeded" and outcome.attempts == 3
    assert len(recorder.requests) == 3 and len(sleeps.delays) == 2
    assert [n.attempt for n in notices] == [1, 2] and all(isinstance(n, RetryNotice) for n in notices)
    assert notices[0].statement == 4 and "could not connect" in notices[0].reason


def test_connect_errors_exhaust_the_retries() -> None:
    sleeps = Sleeps()
    recorder = Recorder(httpx.ConnectError("[Errno 111] Connection refused"))
    with executor(recorder, config(retries=2), sleep=sleeps) as ex:
        outcome = ex.send(planned())
    assert outcome.status == "failed" and outcome.attempts == 3 and len(recorder.requests) == 3
    assert outcome.error is not None
    assert outcome.error.message == (
        "could not connect to https://api.confluent.cloud: [Errno 111] Connection refused (3 attempts); "
        "nothing was sent"
    )
    assert len(outcome.error.describe().splitlines()) == 2  # the message, then the hint
    assert not outcome.sent


def test_retries_zero_means_one_attempt() -> None:
    recorder = Recorder(httpx.ConnectError("refused"))
    with executor(recorder, config(retries=0), sleep=Sleeps()) as ex:
        assert ex.send(planned()).attempts == 1
    assert len(recorder.requests) == 1


def test_429_honours_retry_after_capped() -> None:
    sleeps = Sleeps()
    limited = httpx.Response(429, headers={"Retry-After": "3"})
    too_long = httpx.Response(429, headers={"Retry-After": "120"})
    recorder = Recorder(limited, too_long, created())
    with executor(recorder, config(retries=2, retry_after_cap=60.0), sleep=sleeps) as ex:
        outcome = ex.send(planned())
    assert outcome.status == "succeeded" and sleeps.delays == [3.0, 60.0]


def test_429_after_the_last_retry_is_failed() -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "1", "X-Request-Id": "r42"}))
    with executor(recorder, config(retries=1), sleep=Sleeps()) as ex:
        outcome = ex.send(planned())
    assert outcome.status == "failed" and outcome.attempts == 2
    assert outcome.error is not None
    assert outcome.error.message == "429 Too Many Requests (2 attempts; request id r42)"


@pytest.mark.parametrize(
    "answer",
    [
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("Connection reset by peer"),
        failure(500, "out_of_gas", "boom"),
        failure(503, "unavailable", "later", headers={"Retry-After": "1"}),
    ],
)
def test_unknown_outcomes_are_never_resent(answer: httpx.Response | Exception) -> None:
    sleeps = Sleeps()
    recorder = Recorder(answer, created())
    with executor(recorder, config(retries=5), sleep=sleeps) as ex:
        outcome = ex.send(planned())
    assert outcome.status == "unknown" and len(recorder.requests) == 1 and sleeps.delays == []
    assert outcome.error is not None and "the outcome is unknown" in outcome.error.message
    assert outcome.sent


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_client_errors_are_failed_and_not_retried(status: int) -> None:
    recorder = Recorder(failure(status, "code", "detail"), created())
    with executor(recorder, config(retries=5), sleep=Sleeps()) as ex:
        outcome = ex.send(planned())
    assert outcome.status == "failed" and outcome.http_status == status and len(recorder.requests) == 1


def test_link_token_never_reaches_a_message() -> None:
    echo = failure(400, "invalid_input", f"token '{CANARY_TOKEN}' is expired", pointer="/token")
    recorder = Recorder(echo)
    with executor(recorder) as ex:
        outcome = ex.send(link(1, CANARY_TOKEN))
    assert recorder.bodies()[0]["token"] == CANARY_TOKEN  # sent as given
    assert outcome.error is not None and "********" in outcome.error.message
    assert_no_secrets(outcome, outcome.error)


def test_credentials_are_checked_before_anything_is_sent() -> None:
    recorder = Recorder(created())
    ex = Executor(config(), env={}, transport=recorder.transport())
    with pytest.raises(UsageError) as caught:
        ex.preflight([planned()])
    assert "CONFLUENT_CLOUD_API_KEY" in caught.value.message and recorder.requests == []
    ex.close()


def test_redirects_are_reported_not_followed() -> None:
    recorder = Recorder(
        httpx.Response(308, headers={"Location": "https://elsewhere.example/partner/v2/signup"})
    )
    with executor(recorder) as ex:
        outcome = ex.send(planned())
    assert outcome.status == "failed" and len(recorder.requests) == 1
    assert "https://elsewhere.example" in (outcome.error.hint or "")  # type: ignore[union-attr]


def test_async_executor_behaves_the_same() -> None:
    async def scenario() -> list[Any]:
        results: list[Any] = []
        delays: list[float] = []

        async def sleep(seconds: float) -> None:
            delays.append(seconds)

        recorder = Recorder(httpx.ConnectError("refused"), created("org-a"))
        async with AsyncExecutor(config(), env=CANARY_ENV, transport=recorder.transport(), sleep=sleep) as ex:
            first = await ex.send(planned(1))
        results.append((first.status, first.attempts, len(delays)))
        recorder = Recorder(httpx.ReadTimeout("slow"), created())
        async with AsyncExecutor(config(), env=CANARY_ENV, transport=recorder.transport(), sleep=sleep) as ex:
            second = await ex.send(planned(2))
        results.append((second.status, len(recorder.requests)))
        recorder = Recorder(failure(409, "resource_already_exists", "exists", request_id="rid"))
        async with AsyncExecutor(config(), env=CANARY_ENV, transport=recorder.transport(), sleep=sleep) as ex:
            third = await ex.send(planned(3, "activate_signup", {"organization_id": "o", "user": {}}))
        results.append(third.error.message if third.error else None)
        results.append(third.error.hint if third.error else None)
        return results

    first, second, message, hint = asyncio.run(scenario())
    assert first == ("succeeded", 2, 1)
    assert second == ("unknown", 1)
    assert message == "409 Conflict: resource_already_exists: exists (request id rid)"
    assert (hint or "").startswith("the signup of that organization is already complete")


def test_body_is_compact_utf8_json() -> None:
    recorder = Recorder(created())
    body = {
        "organization": {"name": "Zürich AG", "sso_config": {"kind": "k", "tenant_id": "t"}},
        "entitlement": {},
    }
    with executor(recorder) as ex:
        ex.send(planned(1, body=body))
    assert (
        recorder.requests[0].content == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    )
