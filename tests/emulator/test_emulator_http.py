"""HTTP/1.1 on the wire, with raw sockets: keep-alive, body limits, chunked bodies, malformed requests."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator

import pytest

from stackql_signups.emulator import DEFAULT_API_KEY, DEFAULT_API_SECRET, MAX_BODY_BYTES, EmulatorServer

from .emulator_support import SIGNUP, signup_body, state

AUTHORIZATION = "Basic " + base64.b64encode(f"{DEFAULT_API_KEY}:{DEFAULT_API_SECRET}".encode()).decode()


@pytest.fixture
def conn(server: EmulatorServer) -> Iterator[socket.socket]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        yield sock


def request(body: bytes, *, extra: str = "", version: str = "HTTP/1.1", length: int | None = None) -> bytes:
    size = len(body) if length is None else length
    head = (
        f"POST {SIGNUP} {version}\r\nHost: 127.0.0.1\r\nAuthorization: {AUTHORIZATION}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {size}\r\n{extra}\r\n"
    )
    return head.encode() + body


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response: status, lower-case headers and body (by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return status, headers, rest[:length]


def closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def body_of(n: int) -> bytes:
    return json.dumps(signup_body(f"h-{n}")).encode()


def test_keep_alive_serves_many_requests_on_one_connection(
    server: EmulatorServer, conn: socket.socket
) -> None:
    for n in range(5):
        conn.sendall(request(body_of(n)))
        status, headers, _ = read_response(conn)
        assert status == 201 and "connection" not in headers
    assert len(state(server)["organizations"]) == 5


def test_too_large_is_413_from_the_header_alone(server: EmulatorServer, conn: socket.socket) -> None:
    conn.sendall(request(b"", length=MAX_BODY_BYTES + 1))  # headers only: the body is never sent
    status, headers, body = read_response(conn)
    assert status == 413
    assert headers["connection"] == "close" and headers["x-request-id"]
    assert json.loads(body)["errors"][0]["status"] == "413"
    assert closed(conn)


def test_a_body_of_exactly_the_limit_is_read(server: EmulatorServer, conn: socket.socket) -> None:
    body = body_of(1)
    padded = body[:-1] + b" " * (MAX_BODY_BYTES - len(body)) + b"}"
    conn.sendall(request(padded))
    assert read_response(conn)[0] == 201


def test_chunked_bodies_are_accepted_and_limited(server: EmulatorServer, conn: socket.socket) -> None:
    body = body_of(2)
    chunks = (
        b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (body[:10], body[10:]))
        + b"0\r\n\r\n"
    )
    head = (
        f"POST {SIGNUP} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTHORIZATION}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    conn.sendall(head.encode() + chunks)
    assert read_response(conn)[0] == 201
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as second:
        # Refused once more than the limit has arrived; the rest is drained, never kept.
        second.sendall(head.encode() + f"{MAX_BODY_BYTES + 1:x}\r\n".encode() + b"x" * (MAX_BODY_BYTES + 1))
        assert read_response(second)[0] == 413


def test_expect_100_continue(server: EmulatorServer, conn: socket.socket) -> None:
    body = body_of(3)
    conn.sendall(request(b"", extra="Expect: 100-continue\r\n", length=len(body)))
    interim = conn.recv(1024)
    assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    conn.sendall(body)
    assert read_response(conn)[0] == 201


def test_connection_close_and_http_1_0_close_after_the_answer(server: EmulatorServer) -> None:
    for extra, version in (("Connection: close\r\n", "HTTP/1.1"), ("", "HTTP/1.0")):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(request(body_of(len(extra)), extra=extra, version=version))
            status, headers, _ = read_response(sock)
            assert status == 201 and headers["connection"] == "close"
            assert closed(sock)


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"POST /partner/v2/signup HTTP/2.0\r\n\r\n",
        b"POST /partner/v2/signup HTTP/1.1\r\nbad header line\r\n\r\n",
        b"POST /partner/v2/signup HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST /partner/v2/signup HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"POST /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
    ],
)
def test_malformed_requests_are_400_and_close(
    server: EmulatorServer, conn: socket.socket, raw: bytes
) -> None:
    conn.sendall(raw)
    status, headers, body = read_response(conn)
    assert status == 400 and headers["connection"] == "close"
    assert json.loads(body)["errors"][0]["code"] == "invalid_request"
    assert closed(conn)


def test_a_client_that_goes_away_does_not_disturb_the_server(server: EmulatorServer) -> None:
    for raw in (request(b'{"a"', length=100), b"POST / HTTP/1.1\r\nHost: x"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(raw)
    time.sleep(0.05)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request(body_of(9)))
        assert read_response(sock)[0] == 201
