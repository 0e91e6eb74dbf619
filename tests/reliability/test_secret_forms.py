"""A secret is masked whole whatever shape it is given in, in URLs, and when a server echoes it back."""

from __future__ import annotations

import json
import secrets
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from stackql_signups.emulator import EmulatorConfig, EmulatorServer

from ..e2e import clean_env, require_cli
from .reliability_support import CLI, RESOURCE, signup_sql

LINK = f"{RESOURCE}.signup_partner_v2_link"
ORG = '@organization=\'{"sso_config": {"kind": "AzureSSOConfig", "tenant_id": "t"}}\''
ENT = '@entitlement=\'{"external_id": "e-1", "name": "n", "plan_id": "p", "product_id": "q"}\''


def pieces(secret: str, size: int = 8) -> list[str]:
    """Every run of `size` characters of a secret: no part of it may show either."""
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def leaks(secret: str, *texts: str) -> list[str]:
    shown = "\n".join(texts)
    return [piece for piece in pieces(secret) if piece in shown]


# Shapes a user may give a link token in; {t} is the token. Most are mistakes that end in an error.
SHAPES = {
    "bare": f"EXEC {LINK} @token={{t}} {ORG} {ENT};",
    "bare-comma": f"EXEC {LINK} @token={{t}}, {ORG} {ENT};",
    "double-quoted": f'EXEC {LINK} @token="{{t}}" {ORG} {ENT};',
    "misspelt-name": f"EXEC {LINK} @tokn='{{t}}' {ORG} {ENT};",
    "misspelt-bare": f"EXEC {LINK} @tkoen={{t}} {ORG} {ENT};",
    "in-a-list": f'EXEC {LINK} @@json=\'{{{{"token": ["{{t}}"]}}}}\';',
    "in-an-object": f'EXEC {LINK} @@json=\'{{{{"token": {{{{"value": "{{t}}"}}}}}}}}\';',
    "valid-then-parse-error": f"EXEC {LINK} @token='{{t}}' {ORG} {ENT} oops;",
    "valid-then-bad-json": f"EXEC {LINK} @token='{{t}}' @organization='{{{{bad' {ENT};",
    "unterminated": f"EXEC {LINK} @token='{{t}}",
    "valid": f"EXEC {LINK} @token='{{t}}' {ORG} {ENT};",
}


@pytest.fixture(scope="module")
def shape_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[str, subprocess.CompletedProcess[str]]]:
    require_cli()
    env = clean_env(tmp_path_factory.mktemp("home"))
    runs = {}
    for name, shape in SHAPES.items():
        token = secrets.token_urlsafe(32)  # 43 characters of letters, digits, - and _
        statement = shape.replace("{t}", token)
        for extra in ((), ("--dryrun", "-o", "json")):
            done = subprocess.run(
                [str(CLI), "exec", statement, "--endpoint", "http://127.0.0.1:9", *extra],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
            runs[f"{name}{' '.join(extra)}"] = (token, done)
    return runs


@pytest.mark.parametrize("shape", [*SHAPES, *(f"{s}--dryrun -o json" for s in SHAPES)])
def test_a_link_token_is_masked_whole_in_every_shape(
    shape_runs: dict[str, tuple[str, subprocess.CompletedProcess[str]]], shape: str
) -> None:
    token, done = shape_runs[shape]
    assert "Traceback" not in done.stderr
    assert leaks(token, done.stdout, done.stderr) == [], done.stderr


def test_a_password_in_the_endpoint_url_is_masked_in_verbose_logs_and_dry_runs(tmp_path: Path) -> None:
    require_cli()
    password = "Pw-" + secrets.token_urlsafe(12)
    env = clean_env(tmp_path / "home")
    with EmulatorServer(EmulatorConfig(state_path=tmp_path / "s.sqlite3")) as emulator:
        endpoint = emulator.url.replace("http://", f"http://partner:{password}@")
        outputs = []
        for extra in (("-v",), ("--dryrun",), ("--dryrun", "-o", "json"), ("-v", "--timeout", "0.001")):
            done = subprocess.run(
                [
                    str(CLI),
                    "exec",
                    signup_sql("Url Pw", f"pw-{len(outputs)}"),
                    "--endpoint",
                    endpoint,
                    *extra,
                ],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
            outputs += [done.stdout, done.stderr]
    # A read timeout for certain (the connection opens, the answer is late): its message names the URL.
    with EmulatorServer(EmulatorConfig(state_path=tmp_path / "slow.sqlite3", latency_ms=2000)) as slow:
        endpoint = slow.url.replace("http://", f"http://partner:{password}@")
        done = subprocess.run(
            [str(CLI), "exec", signup_sql("Url Pw", "pw-late"), "--endpoint", endpoint, "--timeout", "0.3"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert "no answer within 0.3 s" in done.stderr, done.stderr
        outputs += [done.stdout, done.stderr]
    shown = "\n".join(outputs)
    assert "partner:********@127.0.0.1" in shown  # the URL is still shown, with its password masked
    assert leaks(password, shown) == []
    bad = subprocess.run(
        [str(CLI), "exec", "SHOW PROVIDERS;", "--endpoint", f"ftp://partner:{password}@host"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2 and leaks(password, bad.stdout, bad.stderr) == []


class _Echo(BaseHTTPRequestHandler):
    """A hostile or buggy server: repeats the request's token in its request id, its body and its errors."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        token = body.get("token", "")
        external_id = body.get("entitlement", {}).get("external_id", "")
        status = 201 if external_id.startswith("ok") else 400
        answer = (
            {"organization_id": token, "sso_url": f"https://x/{token}", "display_message": f"linked {token}"}
            if status == 201
            else {"errors": [{"status": "400", "code": "invalid_input", "detail": f"bad token {token}"}]}
        )
        text = json.dumps(answer)
        if external_id == "ok-escaped":  # the same JSON with the token written as \uXXXX escapes
            text = text.replace(token, "".join(f"\\u{ord(c):04x}" for c in token))
        charset = "utf-16" if external_id == "ok-utf16" else "utf-8"
        data = text.encode(charset)
        self.send_response(status)
        self.send_header("Content-Type", f"application/json; charset={charset}")
        self.send_header("X-Request-Id", f"req-{token}")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("external_id", ["ok", "ok-escaped", "ok-utf16", "refused"])
@pytest.mark.parametrize("output", ["table", "json", "csv"])
def test_values_a_server_echoes_back_are_masked(
    echo_server: str, tmp_path: Path, external_id: str, output: str
) -> None:
    require_cli()
    token = secrets.token_urlsafe(32)
    report = tmp_path / "report.jsonl"
    statement = f"EXEC {LINK} @token='{token}' {ORG} {ENT.replace('e-1', external_id)};"
    done = subprocess.run(
        [str(CLI), "exec", statement, "--endpoint", echo_server, "-o", output, "--report", str(report), "-v"],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path / "home"),
        timeout=60,
    )
    assert done.returncode == (0 if external_id.startswith("ok") else 1), done.stderr
    assert leaks(token, done.stdout, done.stderr, report.read_text()) == []
    assert "********" in done.stdout + done.stderr
