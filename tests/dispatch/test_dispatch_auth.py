"""Credentials: basic and OAuth2 client credentials, loopback defaults, and secrecy."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import httpx
import pytest

from stackql_signups._errors import UsageError
from stackql_signups.dispatch.auth import BasicEnvAuth, ClientCredentialsAuth, build_auth, credentials
from stackql_signups.dispatch.config import AuthSettings
from stackql_signups.dispatch.endpoint import base_url, is_loopback, resolve
from stackql_signups.dispatch.executor import Executor
from stackql_signups.emulator import DEFAULT_API_KEY, DEFAULT_API_SECRET

from .dispatch_support import (
    CANARY_ENV,
    CANARY_KEY,
    CANARY_SECRET,
    Recorder,
    assert_no_secrets,
    config,
    created,
    planned,
    shipped_auth,
)

OAUTH = shipped_auth("oauth2", client_id_var="CID", client_secret_var="CSECRET")
BASIC = shipped_auth()
OAUTH_ENV = {"CID": CANARY_KEY, "CSECRET": CANARY_SECRET}
REAL = "https://api.confluent.cloud"


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://127.3.2.1", True),
        ("http://[::1]:9000", True),
        ("http://localhost:1", True),
        ("http://LOCALHOST.", True),
        ("https://api.confluent.cloud", False),
        ("http://10.0.0.1", False),
        ("http://127.0.0.1.example.com", False),
    ],
)
def test_is_loopback(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_endpoint_replaces_scheme_and_host() -> None:
    assert base_url(REAL, None) == REAL
    assert base_url(REAL, "http://127.0.0.1:9") == "http://127.0.0.1:9"
    assert base_url("https://api.example.com/base", "http://proxy:1") == "http://proxy:1/base"
    assert base_url(REAL, "http://proxy:1/prefix") == "http://proxy:1/prefix"
    assert resolve("http://127.0.0.1:9/base", "/oauth2/token") == "http://127.0.0.1:9/oauth2/token"
    assert resolve("http://x", "https://login.example.com/t") == "https://login.example.com/t"


def test_missing_credentials_for_the_real_api_name_the_variables() -> None:
    with pytest.raises(UsageError) as caught:
        credentials(BASIC, REAL, {})
    assert "set CONFLUENT_CLOUD_API_KEY and CONFLUENT_CLOUD_API_SECRET" in caught.value.message
    with pytest.raises(UsageError) as caught:
        credentials(
            BASIC, REAL, {"CONFLUENT_CLOUD_API_KEY": CANARY_KEY, "CONFLUENT_CLOUD_API_SECRET": ""}
        )
    assert caught.value.message.endswith("set CONFLUENT_CLOUD_API_SECRET")
    assert_no_secrets(caught.value)
    with pytest.raises(UsageError) as caught:
        credentials(OAUTH, REAL, {})
    assert "set CID and CSECRET" in caught.value.message


def test_loopback_without_credentials_uses_the_emulator_defaults() -> None:
    defaults = (DEFAULT_API_KEY, DEFAULT_API_SECRET)
    creds = credentials(BASIC, "http://127.0.0.1:5000", {}, defaults)
    assert creds is not None and creds.emulator_defaults
    assert (creds.identity, creds.secret) == defaults
    own = credentials(BASIC, "http://localhost:5000", CANARY_ENV, defaults)
    assert own is not None and not own.emulator_defaults and own.secret == CANARY_SECRET
    with pytest.raises(UsageError):  # the defaults are for this machine only
        credentials(BASIC, REAL, {}, defaults)


def test_null_auth_sends_no_credentials() -> None:
    recorder = Recorder(created())
    cfg = config(auth=AuthSettings(type="null_auth"))
    with Executor(cfg, env={}, transport=recorder.transport()) as executor:
        assert executor.send(planned()).status == "succeeded"
    assert "Authorization" not in recorder.requests[0].headers


def test_basic_header_and_repr() -> None:
    auth = build_auth(BASIC, REAL, CANARY_ENV)
    assert isinstance(auth, BasicEnvAuth)
    request = httpx.Request("POST", REAL)
    flow = auth.sync_auth_flow(request)
    sent = next(flow)
    expected = base64.b64encode(f"{CANARY_KEY}:{CANARY_SECRET}".encode()).decode()
    assert sent.headers["Authorization"] == f"Basic {expected}"
    assert (
        repr(auth)
        == "BasicEnvAuth(username_var='CONFLUENT_CLOUD_API_KEY', password_var='CONFLUENT_CLOUD_API_SECRET')"
    )
    assert_no_secrets(auth, credentials(BASIC, REAL, CANARY_ENV), auth.credential_hint())
    assert expected not in repr(sent.headers)  # httpx masks Authorization in reprs too


class TokenServer:
    """A token endpoint plus an API that accepts only the latest token it issued."""

    def __init__(self, *, expires_in: int = 3600, refuse_client: bool = False) -> None:
        self.expires_in = expires_in
        self.refuse_client = refuse_client
        self.issued: list[str] = []
        self.api_calls = 0
        self.token_forms: list[dict[str, list[str]]] = []
        self.revoked: set[str] = set()
        self.refuse_api = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            self.token_forms.append(parse_qs(request.content.decode()))
            expected = base64.b64encode(f"{CANARY_KEY}:{CANARY_SECRET}".encode()).decode()
            if self.refuse_client or request.headers.get("Authorization") != f"Basic {expected}":
                return httpx.Response(
                    401,
                    json={
                        "error": "invalid_client",
                        "error_description": "the client id or secret is invalid",
                    },
                )
            token = f"tok-{len(self.issued)}-{CANARY_SECRET[::-1]}"
            self.issued.append(token)
            return httpx.Response(
                200, json={"access_token": token, "token_type": "Bearer", "expires_in": self.expires_in}
            )
        self.api_calls += 1
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.refuse_api or token not in self.issued or token in self.revoked:
            return httpx.Response(
                401, json={"errors": [{"code": "user_unauthenticated", "detail": "bad token"}]}
            )
        return created()


def oauth_executor(server: TokenServer, clock: list[float]) -> Executor:
    return Executor(
        config(auth=OAUTH), env=OAUTH_ENV, transport=httpx.MockTransport(server), clock=lambda: clock[0]
    )


def test_oauth_token_is_fetched_once_and_cached() -> None:
    server, clock = TokenServer(), [0.0]
    with oauth_executor(server, clock) as executor:
        outcomes = [executor.send(planned(n)) for n in (1, 2, 3)]
    assert [o.status for o in outcomes] == ["succeeded"] * 3
    assert len(server.issued) == 1 and server.api_calls == 3
    assert server.token_forms[0] == {"grant_type": ["client_credentials"], "scope": ["partner:create"]}


def test_oauth_token_is_refreshed_shortly_before_expiry() -> None:
    server, clock = TokenServer(expires_in=600), [0.0]
    with oauth_executor(server, clock) as executor:
        executor.send(planned(1))
        clock[0] = 539.0  # 600 s token, refreshed 60 s early
        executor.send(planned(2))
        assert len(server.issued) == 1
        clock[0] = 541.0
        executor.send(planned(3))
    assert len(server.issued) == 2


def test_oauth_refreshes_once_on_401() -> None:
    server, clock = TokenServer(), [0.0]
    with oauth_executor(server, clock) as executor:
        executor.send(planned(1))
        server.revoked.add(server.issued[0])
        outcome = executor.send(planned(2))
        assert outcome.status == "succeeded" and outcome.attempts == 1
        assert len(server.issued) == 2
        server.refuse_api = True  # every token now refused: one refresh, then the 401 stands
        outcome = executor.send(planned(3))
        assert len(server.issued) == 3
    assert outcome.status == "failed" and outcome.http_status == 401
    assert "check the OAuth client id in CID and its secret in CSECRET" in (outcome.error.hint or "")  # type: ignore[union-attr]
    # The issued tokens carry the secret reversed, not the secret itself, so they may be checked as texts too.
    assert_no_secrets(outcome, outcome.error, *server.issued)


def test_oauth_refused_client_fails_before_sending() -> None:
    server, clock = TokenServer(refuse_client=True), [0.0]
    with oauth_executor(server, clock) as executor:
        outcome = executor.send(planned(1))
    assert outcome.status == "failed" and server.api_calls == 0
    assert outcome.error is not None
    message = outcome.error.message
    assert message.startswith(
        "token request to https://api.confluent.cloud/oauth2/token failed: 401 Unauthorized"
    )
    assert "invalid_client" in message
    assert "partner:create" in (outcome.error.hint or "")
    assert_no_secrets(outcome, outcome.error)


def test_oauth_token_network_failure_is_not_an_unknown_outcome() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/token":
            raise httpx.ReadTimeout("timed out")
        raise AssertionError("the API must not be called without a token")

    with Executor(config(auth=OAUTH), env=OAUTH_ENV, transport=httpx.MockTransport(handler)) as executor:
        outcome = executor.send(planned(1))
    assert outcome.status == "failed"
    assert outcome.error is not None and "the request itself was not sent" in outcome.error.message


def test_tokens_never_show_in_reprs() -> None:
    server, clock = TokenServer(), [0.0]
    executor = oauth_executor(server, clock)
    executor.send(planned(1))
    auth = executor.auth_for(REAL)
    assert isinstance(auth, ClientCredentialsAuth)
    assert server.issued[0] not in repr(auth) and server.issued[0] not in repr(auth.__dict__.get("_token"))
    assert server.issued[0] in auth.secrets()  # known, so it can be scrubbed from messages
    assert_no_secrets(auth)
    executor.close()


def test_async_oauth_flow_matches() -> None:
    import asyncio

    from stackql_signups.dispatch.executor import AsyncExecutor

    server = TokenServer()

    async def main() -> list[str]:
        async with AsyncExecutor(
            config(auth=OAUTH), env=OAUTH_ENV, transport=httpx.MockTransport(server)
        ) as ex:
            first = await ex.send(planned(1))
            server.revoked.add(server.issued[0])
            second = await ex.send(planned(2))
            return [first.status, second.status]

    assert asyncio.run(main()) == ["succeeded", "succeeded"]
    assert len(server.issued) == 2


def test_token_request_carries_timeouts_and_user_agent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/oauth2/token":
            return httpx.Response(200, json={"access_token": "t" * 20, "expires_in": 3600})
        return created()

    with Executor(
        config(auth=OAUTH, read_timeout=4.0), env=OAUTH_ENV, transport=httpx.MockTransport(handler)
    ) as ex:
        ex.send(planned(1))
    token_request = seen[0]
    assert token_request.extensions["timeout"]["read"] == 4.0
    assert token_request.headers["User-Agent"].startswith("stackql-signups/")
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert json.loads(seen[1].content)["entitlement"]["external_id"] == "ext-1"


def test_rate_limited_token_request_is_retried() -> None:
    answers = [
        httpx.Response(429, json={"error": "slow_down"}),
        httpx.Response(200, json={"access_token": "t" * 20, "expires_in": 3600}),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if request.url.path == "/oauth2/token" else created()

    delays: list[float] = []
    with Executor(
        config(auth=OAUTH), env=OAUTH_ENV, transport=httpx.MockTransport(handler), sleep=delays.append
    ) as ex:
        outcome = ex.send(planned(1))
    assert outcome.status == "succeeded" and outcome.attempts == 2 and len(delays) == 1


def test_scheme_for_dry_runs() -> None:
    assert BASIC.scheme == "Basic"
    assert OAUTH.scheme == "Bearer"
    assert AuthSettings(type="null_auth").scheme is None
