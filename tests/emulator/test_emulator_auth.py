"""Authentication: HTTP Basic with the API key, OAuth2 client credentials, scopes, and secrecy."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest

from stackql_signups.emulator import DEFAULT_API_KEY, DEFAULT_API_SECRET, EmulatorConfig, EmulatorServer
from stackql_signups.emulator.auth import PARTNER_SCOPES, Authenticator, Denied, Principal, TokenGrant
from stackql_signups.emulator.config import credentials_from
from stackql_signups.emulator.guard import partner_label

from .emulator_support import AUTH, SIGNUP, errors, logged, signup_body, state

CHALLENGE = 'Basic error="invalid_key", error_description="The API Key is invalid"'


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        basic(DEFAULT_API_KEY, "wrong"),
        basic("wrong", DEFAULT_API_SECRET),
        basic(DEFAULT_API_KEY, DEFAULT_API_SECRET + "x"),
        "Basic not-base64!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Digest abc",
        "",
    ],
)
def test_bad_credentials_are_401_with_challenge(server: EmulatorServer, authorization: str | None) -> None:
    headers = {"authorization": authorization} if authorization is not None else {}
    answer = httpx.post(f"{server.url}{SIGNUP}", json=signup_body(), headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == CHALLENGE
    [problem] = errors(answer)
    assert problem["code"] == "user_unauthenticated"
    assert state(server)["organizations"] == []
    assert [r["status"] for r in logged(server)["requests"]] == [401]


def test_basic_scheme_name_is_case_insensitive(server: EmulatorServer) -> None:
    header = basic(DEFAULT_API_KEY, DEFAULT_API_SECRET).replace("Basic", "basic")
    answer = httpx.post(f"{server.url}{SIGNUP}", json=signup_body(), headers={"authorization": header})
    assert answer.status_code == 201


def test_configured_credentials_replace_the_defaults(tmp_path: Path) -> None:
    config = EmulatorConfig(state_path=tmp_path / "s.db", api_key="PARTNERKEY", api_secret="s3cr3t-value")
    with EmulatorServer(config) as server:
        url = f"{server.url}{SIGNUP}"
        assert httpx.post(url, json=signup_body("a"), auth=("PARTNERKEY", "s3cr3t-value")).status_code == 201
        assert httpx.post(url, json=signup_body("b"), auth=AUTH).status_code == 401
        assert state(server)["entitlements"][0]["partner"] == partner_label("PARTNERKEY")


def test_credentials_come_from_flags_then_environment_then_defaults() -> None:
    env = {"CONFLUENT_CLOUD_API_KEY": "env-key", "CONFLUENT_CLOUD_API_SECRET": "env-secret"}
    assert (
        credentials_from({}) == (DEFAULT_API_KEY, DEFAULT_API_SECRET) == ("emulator-key", "emulator-secret")
    )
    assert credentials_from(env) == ("env-key", "env-secret")
    assert credentials_from(env, "flag-key", "flag-secret") == ("flag-key", "flag-secret")


# --- OAuth2 -------------------------------------------------------------------------------------


def token(server: EmulatorServer, **form: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/oauth2/token", data={"grant_type": "client_credentials", **form}, auth=AUTH
    )


def test_client_credentials_token_authorizes_the_operations(server: EmulatorServer) -> None:
    answer = token(server)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    grant = answer.json()
    assert (
        grant["token_type"] == "Bearer" and isinstance(grant["expires_in"], int) and grant["expires_in"] > 0
    )
    assert "partner:create" in grant["scope"].split()
    bearer = {"authorization": f"Bearer {grant['access_token']}"}
    created = httpx.post(f"{server.url}{SIGNUP}", json=signup_body("oauth"), headers=bearer)
    assert created.status_code == 201
    assert state(server)["entitlements"][0]["partner"] == partner_label(DEFAULT_API_KEY)  # the client id


def test_client_id_and_secret_may_be_form_fields(server: EmulatorServer) -> None:
    answer = httpx.post(
        f"{server.url}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": DEFAULT_API_KEY,
            "client_secret": DEFAULT_API_SECRET,
            "scope": "partner:create partner:describe",
        },
    )
    assert answer.status_code == 200
    assert answer.json()["scope"] == "partner:create partner:describe"


def test_token_without_partner_create_is_403_but_may_describe(server: EmulatorServer) -> None:
    good = httpx.post(f"{server.url}{SIGNUP}", json=signup_body("s-1"), auth=AUTH)
    location = httpx.post(f"{server.url}{SIGNUP}", json=signup_body("s-1"), auth=AUTH).headers["location"]
    grant = token(server, scope="partner:describe").json()
    bearer = {"authorization": f"Bearer {grant['access_token']}"}
    refused = httpx.post(f"{server.url}{SIGNUP}", json=signup_body("s-2"), headers=bearer)
    assert refused.status_code == 403
    [problem] = errors(refused)
    assert problem["code"] == "user_unauthorized" and "partner:create" in problem["detail"]
    assert httpx.get(location, headers=bearer).status_code == 200
    assert good.status_code == 201 and len(state(server)["organizations"]) == 1


@pytest.mark.parametrize(
    ("form", "auth", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, (DEFAULT_API_KEY, "wrong"), 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        ({"grant_type": "password"}, AUTH, 400, "unsupported_grant_type"),
        ({}, AUTH, 400, "invalid_request"),
        ({"grant_type": "client_credentials", "scope": "admin"}, AUTH, 400, "invalid_scope"),
    ],
)
def test_token_endpoint_errors(
    server: EmulatorServer, form: dict[str, str], auth: tuple[str, str] | None, status: int, error: str
) -> None:
    answer = httpx.post(f"{server.url}/oauth2/token", data=form, auth=auth)
    assert answer.status_code == status
    assert answer.json()["error"] == error
    assert "access_token" not in answer.text


def test_token_endpoint_needs_a_form_body(server: EmulatorServer) -> None:
    answer = httpx.post(f"{server.url}/oauth2/token", json={"grant_type": "client_credentials"}, auth=AUTH)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_unknown_bearer_token_is_401(server: EmulatorServer) -> None:
    answer = httpx.post(
        f"{server.url}{SIGNUP}", json=signup_body(), headers={"authorization": "Bearer made-up"}
    )
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer ")
    assert errors(answer)[0]["code"] == "user_unauthenticated"


def test_tokens_expire() -> None:
    now = [1000.0]
    auth = Authenticator("k", "s", clock=lambda: now[0])
    grant = auth.issue({"grant_type": ["client_credentials"]}, basic("k", "s"))
    assert isinstance(grant, TokenGrant)
    header = f"Bearer {grant.access_token}"
    assert auth.authenticate(header) == Principal("k", frozenset(PARTNER_SCOPES))
    now[0] += 3601
    assert isinstance(auth.authenticate(header), Denied)


def test_no_secret_or_token_is_ever_shown(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    secret = "very-secret-value-123"
    config = EmulatorConfig(state_path=tmp_path / "s.db", api_key="key-1", api_secret=secret)
    with EmulatorServer(config) as server:
        grant = httpx.post(
            f"{server.url}/oauth2/token", data={"grant_type": "client_credentials"}, auth=("key-1", secret)
        ).json()
        access = grant["access_token"]
        httpx.post(
            f"{server.url}{SIGNUP}", json=signup_body("x"), headers={"authorization": f"Bearer {access}"}
        )
        httpx.post(f"{server.url}{SIGNUP}", json=signup_body("y"), auth=("key-1", "wrong-" + secret))
        org = state(server)["organizations"][0]["id"]
        link = httpx.post(
            f"{server.url}/_emulator/link-tokens", json={"organization_id": org}, auth=("key-1", secret)
        ).json()["token"]
        shown = json.dumps(state(server)) + json.dumps(logged(server))
    out, err = capfd.readouterr()
    for value in (secret, access, link):
        assert value not in shown and value not in out and value not in err
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())  # the database and its WAL
    assert link.encode() not in stored and secret.encode() not in stored and access.encode() not in stored
