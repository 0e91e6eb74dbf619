"""The /_emulator/ routes answer the emulator's own clients only: credentials, its Host, no foreign Origin."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from stackql_signups.emulator import EmulatorConfig, EmulatorServer
from stackql_signups.emulator.guard import partner_label

from .emulator_support import AUTH, REPO, SIGNUP, signup_body

ROUTES = [
    ("GET", "/_emulator/state"),
    ("GET", "/_emulator/requests"),
    ("POST", "/_emulator/link-tokens"),
    ("POST", "/_emulator/shutdown"),
]


def still_running(server: EmulatorServer) -> bool:
    return httpx.get(f"{server.url}/_emulator/requests", auth=AUTH, timeout=5).status_code == 200


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "auth",
    [None, ("emulator-key", "wrong"), ("someone", "emulator-secret")],
    ids=["none", "bad-secret", "bad-key"],
)
def test_every_admin_route_needs_the_emulator_s_credentials(
    server: EmulatorServer, method: str, path: str, auth: tuple[str, str] | None
) -> None:
    httpx.post(f"{server.url}{SIGNUP}", json=signup_body("a-1"), auth=AUTH)
    answer = httpx.request(method, f"{server.url}{path}", json={"organization_id": "x"}, auth=auth, timeout=5)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Basic")
    assert "a-1" not in answer.text and "jane" not in answer.text
    assert still_running(server)


def test_a_cross_origin_form_post_cannot_stop_the_emulator(server: EmulatorServer) -> None:
    # What a web page can send without CORS: a text/plain POST, with the browser's Origin header.
    page = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
    for auth in (None, AUTH):  # even a browser that cached the credentials
        answer = httpx.post(f"{server.url}/_emulator/shutdown", content=b"x", headers=page, auth=auth)
        assert answer.status_code == 403
    assert still_running(server)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.evil.example:{port}", ""])
def test_a_request_for_another_host_is_refused(server: EmulatorServer, host: str) -> None:
    headers = {"Host": host.format(port=server.port)}
    for method, path in (("GET", "/_emulator/state"), ("POST", SIGNUP)):
        answer = httpx.request(
            method, f"{server.url}{path}", json=signup_body("h-1"), headers=headers, auth=AUTH
        )
        assert answer.status_code == 403, (path, answer.text)
    assert httpx.get(f"{server.url}/_emulator/state", auth=AUTH).json()["organizations"] == []


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "127.0.0.1"])
def test_its_own_loopback_names_are_answered(server: EmulatorServer, host: str) -> None:
    headers = {"Host": host.format(port=server.port)}
    assert httpx.get(f"{server.url}/_emulator/state", headers=headers, auth=AUTH).status_code == 200


def test_the_state_never_holds_a_credential_and_labels_partners_stably(tmp_path: Path) -> None:
    key, secret = "PARTNER-KEY-7d1f0c", "partner-secret-value-9a8b"
    config = EmulatorConfig(state_path=tmp_path / "s.sqlite3", api_key=key, api_secret=secret)
    labels = []
    for run in range(2):  # the label is the same after a restart on the same state
        with EmulatorServer(config) as server:
            httpx.post(f"{server.url}{SIGNUP}", json=signup_body(f"k-{run}"), auth=(key, secret))
            text = httpx.get(f"{server.url}/_emulator/state", auth=(key, secret)).text
            assert key not in text and secret not in text
            labels.append({row["partner"] for row in json.loads(text)["entitlements"]})
    assert labels[0] == labels[1] == {partner_label(key)}


def test_a_non_loopback_host_is_warned_about() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "stackql_signups.emulator", "--port", "0", "--host", "0.0.0.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().startswith("emulator listening on http://0.0.0.0:")
        deadline = time.monotonic() + 10
        warning = ""
        while time.monotonic() < deadline and "warning" not in warning:
            warning += process.stderr.readline()
        assert "warning: --host 0.0.0.0 is not a loopback address" in warning
    finally:
        process.terminate()
        process.wait(timeout=10)
