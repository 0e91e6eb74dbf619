"""HTTP/1.1 plumbing around the app: a threading server with keep-alive, body limits and fault delivery."""

from __future__ import annotations

import contextlib
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from .app import EmulatorApp
from .config import MAX_BODY_BYTES, EmulatorConfig
from .faults import Admission
from .messages import REASONS, Request, Response, single_failure
from .schemas import load_schemas
from .store import Store

MAX_LINE = 16 * 1024
"""Longest request line or header line; longer ones are refused (400) rather than buffered."""
MAX_HEADERS = 100
LINGER_S = 2.0
"""How long to drain a refused (413) body before closing the connection."""
IDLE_TIMEOUT_S = 120.0
"""How long a keep-alive connection may sit idle (or a client stall mid-request) before it is closed."""

_METHOD = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_DIGITS = re.compile(r"[0-9]{1,18}")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,15}")


class _Date:
    """The Date header value, formatted once per second (formatting it per answer costs throughput)."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._text, self._second = formatdate(second, usegmt=True), second
        return self._text


class _HTTPServer(ThreadingHTTPServer):
    """A thread per connection; it tracks open connections so that stopping can close them all."""

    daemon_threads = True
    block_on_close = False  # idle keep-alive threads must not hold up a stop; their sockets are closed
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: EmulatorServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.emulator = emulator
        self.date = _Date()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def abort_connections(self) -> None:
        """Cut every open connection at once, as a killed process would."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            _abort(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client going away mid-request is normal; anything else is one line, never a request's content.
        kind = sys.exc_info()[0]
        if kind is not None and not issubclass(kind, OSError):
            print(f"emulator: unexpected {kind.__name__} on a connection", file=sys.stderr, flush=True)


def _abort(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """Parses requests itself (fast, strict) and writes each answer with a single send."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT_S
    server: _HTTPServer

    unread_body = False  # a 413 left the body unread: drain it after answering (see _linger)
    current = ("-", "-")

    def handle_one_request(self) -> None:
        self.close_connection = True
        self.current = ("-", "-")  # method and path, once the request line is read
        request_id = str(uuid.uuid4())
        try:
            parsed = self._read_request()
        except OSError:  # a timeout or a reset: the client is gone
            return
        if parsed is None:
            return
        if isinstance(parsed, Response):
            self._deliver(*self.current, parsed, request_id)
            return
        request, keep_alive = parsed
        emulator = self.server.emulator
        app = emulator.app
        if app is None:
            return
        try:
            response = app.handle(request)
        except Exception as exc:
            if emulator.stopping:
                return
            # A bug: never a client's fault. Reported as the API would, with no request content logged.
            print(
                f"emulator: internal error {type(exc).__name__} on {request.method} {request.path}",
                file=sys.stderr,
                flush=True,
            )
            response = single_failure(
                500, "internal_error", "Internal Server Error", f"The emulator failed (request {request_id})"
            )
        self.close_connection = not keep_alive or response.close
        self._deliver(request.method, request.path, response, request_id)

    # --- reading --------------------------------------------------------------------------------

    def _read_request(self) -> tuple[Request, bool] | Response | None:
        """The next request and whether the connection may stay open; a Response to refuse it; None at EOF."""
        rfile = self.rfile
        line = rfile.readline(MAX_LINE + 1)
        if line in (b"\r\n", b"\n"):  # a stray empty line between requests is allowed (RFC 9112 2.2)
            line = rfile.readline(MAX_LINE + 1)
        if not line:
            return None
        if len(line) > MAX_LINE:
            return _bad_request("The request line is too long")
        parts = line.rstrip(b"\r\n").split(b" ")
        if len(parts) != 3 or parts[2] not in (b"HTTP/1.1", b"HTTP/1.0"):
            return _bad_request("Malformed request line; expected 'METHOD /path HTTP/1.1'")
        method = parts[0].decode("latin-1")
        if not _METHOD.fullmatch(method):
            return _bad_request("Malformed request method")
        target = parts[1].decode("latin-1")
        if target.startswith(("http://", "https://")):  # absolute-form: keep only the path and query
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        self.current = (method, path)  # for the log, should the request be refused below
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = rfile.readline(MAX_LINE + 1)
            if not line:
                return None
            if line in (b"\r\n", b"\n"):
                break
            if len(line) > MAX_LINE:
                return _bad_request("A header line is too long")
            name, sep, value = line.partition(b":")
            if not sep or not name or name != name.strip():
                return _bad_request("Malformed header line")
            key = name.decode("latin-1").lower()
            text = value.strip().decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        else:
            return _bad_request(f"More than {MAX_HEADERS} headers")
        tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
        keep_alive = "close" not in tokens if parts[2] == b"HTTP/1.1" else "keep-alive" in tokens

        body = self._read_body(headers, parts[2] == b"HTTP/1.1")
        if body is None or isinstance(body, Response):
            return body
        request = Request(method=method, path=path, query=query.partition("#")[0], headers=headers, body=body)
        return request, keep_alive and "transfer-encoding" not in headers

    def _read_body(self, headers: dict[str, str], http11: bool) -> bytes | Response | None:
        """The body by Content-Length or chunked encoding; a 413 without reading it when it is too large."""
        app = self.server.emulator.app
        assert app is not None
        if "transfer-encoding" in headers:
            if headers["transfer-encoding"].strip().lower() != "chunked":
                return _bad_request("Only the chunked Transfer-Encoding is supported")
            self._continue(headers, http11)
            return self._read_chunked(app)
        length_text = headers.get("content-length")
        if length_text is None:
            return b""
        if not _DIGITS.fullmatch(length_text):
            return _bad_request("Malformed Content-Length")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            self.unread_body = True
            return app.too_large(length)
        if length == 0:
            return b""
        self._continue(headers, http11)
        body = self.rfile.read(length)
        return body if len(body) == length else None

    def _continue(self, headers: dict[str, str], http11: bool) -> None:
        # curl and others wait for this before sending a body; send it only once the size is acceptable.
        if http11 and headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _read_chunked(self, app: EmulatorApp) -> bytes | Response | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            if not line:
                return None
            size_text = line.split(b";", 1)[0].strip()
            if not _HEX.fullmatch(size_text):
                return _bad_request("Malformed chunk size")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > MAX_BODY_BYTES:
                self.unread_body = True
                return app.too_large(total)
            data = self.rfile.read(size)
            if len(data) < size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                return None
            chunks.append(data)
        while True:  # trailer fields, ignored
            line = self.rfile.readline(MAX_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                break
        return b"".join(chunks)

    # --- answering ------------------------------------------------------------------------------

    def _deliver(self, method: str, path: str, response: Response, request_id: str) -> None:
        """Answer (or drop, or hold) per the response's disposition; log it; stop when it asks to."""
        emulator = self.server.emulator
        app = emulator.app
        if response.delay > 0:
            time.sleep(response.delay)
        gate = app.faults.gate if app is not None and response.api and not response.drop else None
        admission = gate.admit() if gate is not None else Admission.ANSWER
        if admission is Admission.HOLD:
            # --stop-after was reached by another request: this one is never answered, as in a killed process.
            emulator.wait_killed()
            response = Response(0, drop=True)
        if response.logged and app is not None:
            app.log.record(method, path[:256], None if response.drop else response.status, request_id)
        if response.drop:
            self.close_connection = True
            _abort(self.connection)
            return
        try:
            self.wfile.write(self._encode(response, request_id, with_body=method != "HEAD"))
        except OSError:
            self.close_connection = True
            return
        finally:
            if gate is not None:
                gate.written()
        if self.unread_body:
            self._linger()
        if admission is Admission.ANSWER_AND_STOP and gate is not None:
            gate.wait_written()  # the answers admitted before this one are sent too
            emulator.stop_after_reached()
        if response.shutdown:
            emulator.request_stop()

    def _linger(self) -> None:
        """Discard what the client still sends, briefly, so it reads the 413 instead of a reset.

        Closing a socket with unread input makes the kernel send RST, which can destroy the answer
        before the client reads it; the body is received and thrown away, never kept or parsed.
        """
        deadline = time.monotonic() + LINGER_S
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_WR)
            while (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                if not self.connection.recv(65536):
                    break

    def _encode(self, response: Response, request_id: str, with_body: bool = True) -> bytes:
        """Status line, headers and body as one buffer, so the answer leaves in a single send.

        An answer to HEAD carries the headers only (with the Content-Length a GET would have).
        """
        lines = [
            f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'Unknown')}",
            f"X-Request-Id: {request_id}",
            f"Date: {self.server.date.now()}",
            "Server: stackql-signups-emulator",
        ]
        if response.content_type is not None:
            lines.append(f"Content-Type: {response.content_type}")
        lines.append(f"Content-Length: {len(response.body)}")
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head + response.body if with_body else head

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a line per request would cost throughput and could show what clients sent."""


def _bad_request(detail: str) -> Response:
    response = single_failure(400, "invalid_request", "Bad Request", detail)
    return Response(response.status, response.body, close=True)


class EmulatorServer:
    """The emulator serving on a background thread; `with EmulatorServer(config) as server: server.url`."""

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        on_stop_after: Callable[[], None] | None = None,
        manifest: Path | None = None,
    ) -> None:
        """`on_stop_after` runs when --stop-after is reached (the CLI exits the process; default: kill())."""
        self.config = config or EmulatorConfig()
        self.app: EmulatorApp | None = None
        self.stopping = False
        self._on_stop_after = on_stop_after
        self._manifest = manifest
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._store: Store | None = None
        self._stop_requested = threading.Event()
        self._killed = threading.Event()
        self._stop_lock = threading.Lock()
        self.url = ""
        self.port = 0

    def start(self) -> EmulatorServer:
        """Open the state, bind the port and serve in a daemon thread; returns self once ready."""
        if self._httpd is not None:
            return self
        self.stopping = False
        self._stop_requested.clear()
        self._killed.clear()
        schemas = load_schemas(self._manifest)
        store = Store(self.config.state_path)
        try:
            httpd = _HTTPServer((self.config.host, self.config.port), self)
        except BaseException:
            store.close()
            raise
        self.port = int(httpd.server_address[1])
        host = self.config.host
        self.url = f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"
        self._store = store
        self.app = EmulatorApp(self.config, store, schemas, self.url)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="emulator-accept", daemon=True
        )
        self._thread.start()
        return self

    @property
    def state_path(self) -> Path | None:
        """The SQLite file in use (a temporary one when no state_path was configured)."""
        return self._store.path if self._store is not None else None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a stop is requested (POST /_emulator/shutdown, stop-after, request_stop())."""
        return self._stop_requested.wait(timeout)

    def wait_killed(self) -> None:
        self._killed.wait()

    def request_stop(self) -> None:
        """Ask for a graceful stop: the owner's wait() returns; an in-process server also stops itself."""
        self._stop_requested.set()
        threading.Thread(target=self.stop, name="emulator-stop", daemon=True).start()

    def stop_after_reached(self) -> None:
        if self._on_stop_after is not None:
            self._on_stop_after()
        else:
            self.kill()

    def kill(self) -> None:
        """Stop as abruptly as a killed process: no more answers, every connection cut (state kept)."""
        self._killed.set()
        self._stop_requested.set()
        httpd = self._httpd
        if httpd is not None:
            httpd.abort_connections()
        threading.Thread(target=self.stop, name="emulator-stop", daemon=True).start()

    def stop(self) -> None:
        """Stop serving, close every connection and the state database. Safe to call more than once."""
        with self._stop_lock:
            httpd, self._httpd = self._httpd, None
            if httpd is None:
                return
            self.stopping = True
            self._stop_requested.set()
            httpd.shutdown()
            httpd.server_close()
            self._killed.set()
            httpd.abort_connections()
            if self._thread is not None:
                self._thread.join(timeout=5)
            if self._store is not None:
                self._store.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
