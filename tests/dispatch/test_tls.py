"""https:// verifies certificates (the CA bundle loads on first use), --insecure opts out, proxies apply."""

from __future__ import annotations

import asyncio
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import stackql_signups
from stackql_signups import AsyncSession, Options

from ..e2e import CLI, clean_env, require_cli, self_signed_certificate, signup_sql

ANSWER = {"organization_id": "org-tls", "sso_url": "https://sso.example", "display_message": "ok"}


class _Created(BaseHTTPRequestHandler):
    """Answers every POST with a created signup and remembers its request line (a server or a proxy)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.lines.append(self.requestline)  # type: ignore[attr-defined]
        data = json.dumps(ANSWER).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadingHTTPServer]:
    """A server on 127.0.0.1 with a self-signed certificate, which no CA bundle trusts."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = self_signed_certificate(folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Created)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.lines = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server: ThreadingHTTPServer) -> str:
    return f"https://127.0.0.1:{server.server_address[1]}"


def test_an_untrusted_certificate_is_refused_and_insecure_accepts_it(
    https_server: ThreadingHTTPServer, tmp_path: Path
) -> None:
    require_cli()
    env = clean_env(tmp_path / "home")
    env.update(CONFLUENT_CLOUD_API_KEY="k-tls", CONFLUENT_CLOUD_API_SECRET="s-tls-secret")
    before = len(https_server.lines)  # type: ignore[attr-defined]
    command = [str(CLI), "exec", signup_sql("Tls", "tls-1"), "--endpoint", _url(https_server), "-o", "json"]
    refused = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert refused.returncode == 1, refused.stderr
    assert "certificate" in refused.stderr.lower() and "Traceback" not in refused.stderr
    assert len(https_server.lines) == before  # type: ignore[attr-defined]  # the handshake failed first

    accepted = subprocess.run([*command, "--insecure"], capture_output=True, text=True, env=env, timeout=60)
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout)[0]["organization_id"] == "org-tls"
    assert len(https_server.lines) == before + 1  # type: ignore[attr-defined]


def test_the_async_session_verifies_certificates_too(
    https_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONFLUENT_CLOUD_API_KEY", "k-tls")
    monkeypatch.setenv("CONFLUENT_CLOUD_API_SECRET", "s-tls-secret")

    async def signup(insecure: bool, external_id: str) -> list[dict[str, object]]:
        options = Options(endpoint=_url(https_server), insecure=insecure)
        async with AsyncSession(options) as session:
            return await session.execute(signup_sql("Tls", external_id))

    with pytest.raises(stackql_signups.Error, match=r"(?i)certificate"):
        asyncio.run(signup(False, "tls-a1"))
    assert asyncio.run(signup(True, "tls-a2"))[0]["organization_id"] == "org-tls"


def test_proxy_variables_route_requests_through_the_proxy(tmp_path: Path) -> None:
    require_cli()
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), _Created)
    proxy.lines = []  # type: ignore[attr-defined]
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        env = clean_env(
            tmp_path / "home", CONFLUENT_CLOUD_API_KEY="k-proxy", CONFLUENT_CLOUD_API_SECRET="s-p"
        )
        env.update(HTTP_PROXY=f"http://127.0.0.1:{proxy.server_address[1]}", NO_PROXY="")
        endpoint = "http://api.partner.invalid"  # never resolved: the proxy is asked for it
        command = [str(CLI), "exec", signup_sql("Proxy", "proxy-1"), "--endpoint", endpoint, "-o", "json"]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert proxy.lines == [f"POST {endpoint}/partner/v2/signup HTTP/1.1"]  # type: ignore[attr-defined]
    finally:
        proxy.shutdown()
        proxy.server_close()
