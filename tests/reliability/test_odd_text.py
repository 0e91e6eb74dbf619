"""An answer holding text UTF-8 cannot carry (a lone surrogate, sent as `\\ud800`) never breaks the output."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ..e2e import CLI, RESOURCE, clean_env, require_cli, signup_sql
from ..server.server_support import Server

PAGE = (
    '{"api_version": "partner/v2", "kind": "EntitlementList", "metadata": {}, "data": [{"id": "e-1", '
    '"name": "a\\ud800", "metadata": {"x": "\\udc00"}, "organization": {"id": "o\\ud800"}, '
    '"api_version": "partner/v2", "kind": "Entitlement", "external_id": "x", "plan_id": "p", '
    '"product_id": "q", "usage_reporting_id": 2361183241434822606848}]}'
)
ENTS = RESOURCE.rsplit(".", 1)[0] + ".entitlements"
CREATED = '{"organization_id": "o\\ud800", "sso_url": "https://x", "display_message": "\\udc00"}'


class _Odd(BaseHTTPRequestHandler):
    def _answer(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(200, PAGE)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self._answer(201, CREATED)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def odd_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Odd)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _env(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path / "home", CONFLUENT_CLOUD_API_KEY="k-odd", CONFLUENT_CLOUD_API_SECRET="s-odd")


@pytest.mark.parametrize("output", ["table", "json", "jsonl", "csv", "text"])
@pytest.mark.parametrize("what", ["select", "select-sorted", "exec"])
def test_every_format_writes_it_as_an_escape(odd_api: str, tmp_path: Path, output: str, what: str) -> None:
    require_cli()
    sql = {
        "select": f"SELECT * FROM {ENTS}",
        "select-sorted": f"SELECT name, organization FROM {ENTS} ORDER BY 1",
        "exec": signup_sql("Odd", "odd-1"),
    }[what]
    report = tmp_path / "report.jsonl"
    command = [str(CLI), "exec", sql, "--endpoint", odd_api, "-o", output, "--report", str(report)]
    done = subprocess.run(command, capture_output=True, env=_env(tmp_path), timeout=60)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    done.stdout.decode("utf-8")  # what was written is UTF-8 throughout
    assert b"\\ud800" in done.stdout or b"\xef\xbf\xbd" in done.stdout  # the escape, or U+FFFD via SQLite
    if output in ("json", "jsonl"):
        lines = [line for line in done.stdout.decode().splitlines() if line.strip()]
        assert all(json.loads(line) for line in lines)


def test_srv_sends_it_as_an_escape(odd_api: str, tmp_path: Path) -> None:
    server = Server(["--endpoint", odd_api], _env(tmp_path), tmp_path)
    try:
        with server.connect(autocommit=True) as conn:
            rows = conn.execute(
                f"SELECT name, organization FROM {RESOURCE.rsplit('.', 1)[0]}.entitlements"
            ).fetchall()
            assert rows == [("a\ufffd", {"id": "o\ud800"})]  # JSON text with its \\ud800 escape, read back
            assert conn.execute("SHOW PROVIDERS").fetchall()[0][0] == "confluent"  # the connection lives on
    finally:
        server.stop()
