"""Response and error interpretation, and retry decisions, as pure functions."""

from __future__ import annotations

import random
from email.utils import formatdate

import httpx
import pytest

from stackql_signups._errors import ApiError, NetworkError
from stackql_signups.dispatch.interpret import Context, judge_exception, judge_response, scrub
from stackql_signups.dispatch.retry import RetryPolicy, parse_retry_after

from .dispatch_support import CANARY_SECRET, CANARY_TOKEN, assert_no_secrets, created, failure, rules


def ctx(method: str = "signup", base: str = "https://api.confluent.cloud", **extra: object) -> Context:
    return Context(
        statement=3,
        label="s",
        rules=rules(method),
        url=f"{base}/partner/v2/signup",
        base=base,
        read_timeout=30.0,
        credential_hint="check the Cloud API key in K and its secret in S",
        secrets=(CANARY_SECRET, CANARY_TOKEN),
        **extra,  # type: ignore[arg-type]
    )


def with_request(response: httpx.Response) -> httpx.Response:
    response.request = httpx.Request("POST", "https://api.confluent.cloud/partner/v2/signup")
    return response


def test_201_is_a_row() -> None:
    verdict = judge_response(with_request(created("org-9", "rid-1")), ctx(), 1)
    outcome = verdict.outcome
    assert outcome.status == "succeeded" and outcome.error is None and verdict.retry_reason is None
    assert outcome.row is not None and outcome.row["organization_id"] == "org-9"
    assert (outcome.statement, outcome.label, outcome.http_status, outcome.request_id) == (
        3,
        "s",
        201,
        "rid-1",
    )


def test_2xx_without_json_still_succeeded() -> None:
    # The API did the work: calling it failed would invite a duplicating re-run.
    outcome = judge_response(with_request(httpx.Response(204)), ctx(), 1).outcome
    assert outcome.status == "succeeded" and outcome.row is None


def test_409_is_one_line_in_the_documented_form() -> None:
    response = failure(409, "resource_already_exists", "Entitlement ext-1 already exists", request_id="rid-7")
    outcome = judge_response(with_request(response), ctx(), 1).outcome
    error = outcome.error
    assert isinstance(error, ApiError) and outcome.status == "failed"
    assert (
        error.message
        == "409 Conflict: resource_already_exists: Entitlement ext-1 already exists (request id rid-7)"
    )
    assert (error.status, error.code, error.request_id) == (409, "resource_already_exists", "rid-7")
    assert "already signed up" in (error.hint or "")
    assert error.describe().splitlines()[0].endswith("(statement 3)")


def test_409_on_activate_says_the_signup_is_complete() -> None:
    response = failure(409, "resource_already_exists", "already complete")
    error = judge_response(with_request(response), ctx("activate_signup"), 1).outcome.error
    assert error is not None
    assert (error.hint or "").startswith("the signup of that organization is already complete")


def test_title_is_used_without_detail() -> None:
    response = httpx.Response(409, json={"errors": [{"code": "conflict", "title": "Already There"}]})
    error = judge_response(with_request(response), ctx(), 1).outcome.error
    assert error is not None and error.message == "409 Conflict: conflict: Already There"


def test_400_lists_the_fields_the_api_named() -> None:
    body = {
        "errors": [
            {"code": "invalid_input", "detail": "name too long", "source": {"pointer": "/organization/name"}},
            {
                "code": "invalid_input",
                "detail": "unknown plan",
                "source": {"pointer": "/entitlement/plan_id"},
            },
            {"code": "invalid_input", "detail": "bad flag", "source": {"parameter": "dry_run"}},
        ]
    }
    error = judge_response(with_request(httpx.Response(400, json=body)), ctx(), 1).outcome.error
    assert error is not None
    assert error.message == "400 Bad Request: invalid_input: name too long; unknown plan; bad flag"
    assert (
        error.hint == "the API rejected organization.name, entitlement.plan_id, @dry_run: "
        "correct the statement and re-run"
    )


def test_401_and_403_point_at_credentials_and_scope() -> None:
    challenge = {"WWW-Authenticate": 'Basic error="invalid_key", error_description="The API Key is invalid"'}
    unauthorized = failure(401, "user_unauthenticated", "Bad key", headers=challenge)
    error = judge_response(with_request(unauthorized), ctx(), 1).outcome.error
    assert error is not None and error.message.startswith("401 Unauthorized: user_unauthenticated: Bad key")
    assert (
        error.hint
        == "check the Cloud API key in K and its secret in S (the server says: The API Key is invalid)"
    )
    forbidden = failure(403, "user_unauthorized", "nope")
    error = judge_response(with_request(forbidden), ctx(), 1).outcome.error
    assert error is not None and "partner:create" in (error.hint or "")


def test_429_may_be_retried_with_its_retry_after() -> None:
    response = httpx.Response(429, headers={"Retry-After": "7", "X-Request-Id": "r"})
    verdict = judge_response(with_request(response), ctx(), 1)
    assert verdict.retry_reason == "429 Too Many Requests" and verdict.retry_after == 7.0
    assert verdict.outcome.status == "failed"  # if no retry is left: certainly not processed
    assert verdict.outcome.error is not None and "wait 7 s" in (verdict.outcome.error.hint or "")


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_unknown_and_never_retried(status: int) -> None:
    verdict = judge_response(with_request(failure(status, "out_of_gas", "boom")), ctx(), 1)
    assert verdict.retry_reason is None and verdict.outcome.status == "unknown"
    error = verdict.outcome.error
    assert error is not None and error.message.endswith("; the outcome is unknown")
    hint = error.hint or ""
    assert "look the organization up in Confluent Cloud" in hint and "external_id" in hint


def test_unknown_hint_on_loopback_names_the_emulator_state() -> None:
    verdict = judge_response(with_request(failure(500, "x", "y")), ctx(base="http://127.0.0.1:4000"), 1)
    assert "GET /_emulator/state" in (verdict.outcome.error.hint or "")  # type: ignore[union-attr]


def test_non_json_error_body_is_shown_briefly() -> None:
    page = "<html><body>" + "Bad gateway " * 50 + "</body></html>"
    response = httpx.Response(502, text=page, headers={"Content-Type": "text/html"})
    error = judge_response(with_request(response), ctx(), 1).outcome.error
    assert error is not None and error.message.startswith("502 Bad Gateway: <html><body>Bad gateway")
    assert "..." in error.message and len(error.message) < 300 and "\n" not in error.message


def test_secrets_in_error_bodies_are_masked() -> None:
    response = failure(400, "invalid_input", f"token {CANARY_TOKEN} is not valid for {CANARY_SECRET}")
    outcome = judge_response(with_request(response), ctx(), 1).outcome
    assert "********" in outcome.error.message  # type: ignore[union-attr]
    assert_no_secrets(outcome, outcome.error)


def test_scrub_ignores_tiny_values() -> None:
    assert scrub("a b abc secretvalue", ("a", "secretvalue")) == "a b abc ********"


MAIN = httpx.Request("POST", "https://api.confluent.cloud/partner/v2/signup")


def raised(exc: httpx.HTTPError, request: httpx.Request = MAIN) -> httpx.HTTPError:
    exc.request = request
    return exc


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ConnectTimeout("timed out"),
        httpx.PoolTimeout("x"),
    ],
)
def test_connection_failures_are_retryable_and_failed(exc: httpx.HTTPError) -> None:
    verdict = judge_exception(raised(exc), ctx(), 1, MAIN)
    assert verdict.retry_reason is not None and verdict.outcome.status == "failed"
    error = verdict.outcome.error
    assert isinstance(error, NetworkError) and not error.outcome_unknown
    assert error.message.startswith("could not connect to https://api.confluent.cloud: ")
    assert error.message.endswith("nothing was sent")


def test_tls_verification_failure_is_not_retried() -> None:
    exc = raised(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"))
    verdict = judge_exception(exc, ctx(), 1, MAIN)
    assert verdict.retry_reason is None and "--insecure" in (verdict.outcome.error.hint or "")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (httpx.ReadTimeout("timed out"), "no answer within 30 s (--timeout)"),
        (httpx.WriteTimeout("timed out"), "timed out while sending the request"),
        (
            httpx.RemoteProtocolError("Server disconnected"),
            "the server closed the connection without a complete answer",
        ),
        (httpx.ReadError("reset by peer"), "the connection was lost"),
        (httpx.WriteError("broken pipe"), "the connection was lost"),
    ],
)
def test_lost_answers_are_unknown_and_never_retried(exc: httpx.HTTPError, reason: str) -> None:
    verdict = judge_exception(raised(exc), ctx(), 2, MAIN)
    assert verdict.retry_reason is None and verdict.outcome.status == "unknown"
    error = verdict.outcome.error
    assert isinstance(error, NetworkError) and error.outcome_unknown
    assert (
        error.message
        == f"{reason} (https://api.confluent.cloud/partner/v2/signup) (2 attempts): the outcome is unknown"
    )
    assert "it may have been processed" in (error.hint or "")


def test_misconfiguration_is_failed_not_unknown() -> None:
    verdict = judge_exception(
        raised(httpx.UnsupportedProtocol("Request URL has an unsupported protocol")), ctx(), 1, MAIN
    )
    assert verdict.outcome.status == "failed" and verdict.retry_reason is None


def test_retry_policy_backoff_is_bounded_with_jitter() -> None:
    policy = RetryPolicy(retries=5, base=0.5, cap=4.0)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 4.0), (9, 4.0)]:
        delays = [policy.delay(attempt, None, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1
    assert policy.allows(5) and not policy.allows(6)


def test_retry_after_is_honoured_up_to_its_cap() -> None:
    policy = RetryPolicy(retry_after_cap=60.0)
    rng = random.Random(0)
    assert policy.delay(1, 3.0, rng) == 3.0
    assert policy.delay(1, 3600.0, rng) == 60.0
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now=lambda: now) == 30.0
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now=lambda: now) == 0.0


def test_a_row_made_from_the_request_on_a_409_is_masked_too() -> None:
    # `existing: at: request` builds the row from the request body: a secret there must not come back.
    response = failure(409, "conflict", "already complete")
    body = {"organization_id": CANARY_TOKEN, "user": {"email": "a@b.example"}}
    outcome = judge_response(
        with_request(response), ctx("activate_signup", on_conflict="existing", body=body), 1
    )
    assert outcome.outcome.status == "succeeded" and outcome.outcome.existing
    assert outcome.outcome.row is not None and outcome.outcome.row["organization_id"] == "********"
    assert_no_secrets(outcome.outcome)
