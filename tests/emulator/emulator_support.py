"""Helpers shared by the emulator tests: request bodies, admin calls, a subprocess emulator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from stackql_signups.emulator import DEFAULT_API_KEY, DEFAULT_API_SECRET, EmulatorServer

AUTH = (DEFAULT_API_KEY, DEFAULT_API_SECRET)
SIGNUP = "/partner/v2/signup"
ACTIVATE = "/partner/v2/signup/activate"
LINK = "/partner/v2/signup/link"
REPO = Path(__file__).resolve().parents[2]


def organization(name: str = "Acme Organization") -> dict[str, Any]:
    return {
        "name": name,
        "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "b3a17773-05cc-4431-9560-433fb4613da8"},
    }


def user(n: int | str = 1) -> dict[str, Any]:
    return {"email": f"jane{n}@acme.example", "given_name": "Jane", "family_name": f"Doe {n}"}


def entitlement(external_id: str = "1111-2222-3333-4444") -> dict[str, Any]:
    return {
        "external_id": external_id,
        "name": "Acme Prod Entitlement",
        "plan_id": "confluent-cloud-payg-prod",
        "product_id": "confluent-cloud-kafka-service-azure",
    }


def signup_body(
    external_id: str = "1111-2222-3333-4444", with_user: bool = True, name: str = "Acme"
) -> dict[str, Any]:
    body: dict[str, Any] = {"organization": organization(name), "entitlement": entitlement(external_id)}
    if with_user:
        body["user"] = user(external_id)
    return body


def admin_auth(server: EmulatorServer | str) -> tuple[str, str]:
    """The credentials the /_emulator/ routes need: the server's own API key and secret."""
    return AUTH if isinstance(server, str) else (server.config.api_key, server.config.api_secret)


def state(server: EmulatorServer | str) -> dict[str, list[dict[str, Any]]]:
    url = server if isinstance(server, str) else server.url
    answer = httpx.get(f"{url}/_emulator/state", auth=admin_auth(server), timeout=10)
    assert answer.status_code == 200
    result: dict[str, list[dict[str, Any]]] = answer.json()
    return result


def logged(server: EmulatorServer) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(
        f"{server.url}/_emulator/requests", auth=admin_auth(server), timeout=10
    ).json()
    return result


def link_token(server: EmulatorServer | str, organization_id: str) -> str:
    url = server if isinstance(server, str) else server.url
    answer = httpx.post(
        f"{url}/_emulator/link-tokens",
        json={"organization_id": organization_id},
        auth=admin_auth(server),
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["token"])


def errors(answer: httpx.Response) -> list[dict[str, Any]]:
    """The Error objects of a Failure answer (asserting it is one)."""
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"errors"}
    for item in body["errors"]:
        assert item["status"] == str(answer.status_code)
        assert item["id"] and item["code"] and item["title"] and item["detail"]
    result: list[dict[str, Any]] = body["errors"]
    return result


def start_process(*flags: str) -> tuple[subprocess.Popen[str], str]:
    """`python -m stackql_signups.emulator` with flags; its process and URL once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "stackql_signups.emulator", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("emulator listening on http://127.0.0.1:"):
        process.kill()
        raise AssertionError(f"the emulator did not start: {line!r} {process.communicate()[1]!r}")
    return process, line.rsplit(" ", 1)[1].strip()
