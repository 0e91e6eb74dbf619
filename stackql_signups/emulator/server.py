"""HTTP/1.1 plumbing around the app: a threading server with keep-alive, body limits and fault delivery."""

from __future__ import annotations

import contextlib
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

import h11

from .app import EmulatorApp
from .config import MAX_BODY_BYTES, EmulatorConfig
from .faults import Admission
from .messages import REASONS, Request, Response, single_failure
from .schemas import load_schemas
from .store import Store

MAX_LINE = 16 * 1024
"""Longest request line or header line; longer ones are refused (400) rather than buffered."""
MAX_HEADERS = 100
MAX_HEAD = (MAX_HEADERS + 2) * MAX_LINE
"""Largest request head h11 buffers; each line is then held to MAX_LINE."""
RECV_BYTES = 65536
LINGER_S = 2.0
"""How long to drain a refused (413) body before closing the connection."""
IDLE_TIMEOUT_S = 120.0
"""How long a keep-alive connection may sit idle (or a client stall mid-request) before it is closed."""


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
    """Reads requests with h11 (strict HTTP/1.1 framing) and writes each answer with a single send."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT_S
    server: _HTTPServer

    unread_body = False  # a 413 left the body unread: drain it after answering (see _linger)
    current = ("-", "-")
    arrived = 0.0  # time.monotonic() when the current request was read: its latency counts from there
    method = "-"

    def setup(self) -> None:
        super().setup()
        # The socket is read directly (never through rfile), so that h11 sees every byte.
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)

    def handle_one_request(self) -> None:
        self.close_connection = True
        self.current = ("-", "-")  # method and path, once the request line is read
        request_id = str(uuid.uuid4())
        try:
            parsed = self._read_request()
            self.arrived = time.monotonic()
        except OSError:  # a timeout or a reset: the client is gone
            return
        if parsed is None:
            return
        if isinstance(parsed, Response):
            self._deliver(*self.current, parsed, request_id)
            return
        request = parsed
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
        self.close_connection = response.close
        self._deliver(request.method, request.path, response, request_id)

    # --- reading --------------------------------------------------------------------------------

    def _event(self) -> Any:
        """h11's next event, reading from the socket as it needs; `h11.RemoteProtocolError` when malformed."""
        while True:
            event = self.http.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = self.connection.recv(RECV_BYTES)
            if data[:2] == b"\r\n" and self.http.their_state is h11.IDLE and not self.http.trailing_data[0]:
                data = data[2:] or self.connection.recv(RECV_BYTES)  # a stray empty line (RFC 9112 2.2)
            self.http.receive_data(data)

    def _read_request(self) -> Request | Response | None:
        """The next request; a Response that refuses it; None when the client closed or went away."""
        try:
            event = self._event()
        except h11.RemoteProtocolError as exc:
            return _bad_request(_malformed(exc))
        if isinstance(event, h11.ConnectionClosed):
            return None
        if not isinstance(event, h11.Request):
            return _bad_request("Malformed request")
        method = event.method.decode("latin-1")
        target = event.target.decode("latin-1")
        if target.startswith(("http://", "https://")):  # absolute-form: keep only the path and query
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        self.current = (method, path)  # for the log, should the request be refused below
        if event.http_version not in (b"1.0", b"1.1"):
            return _bad_request("Malformed request line; expected 'METHOD /path HTTP/1.1'")
        if len(event.target) > MAX_LINE:
            return _bad_request("The request line is too long")
        if len(event.headers) > MAX_HEADERS:
            return _bad_request(f"More than {MAX_HEADERS} headers")
        headers: dict[str, str] = {}
        for name, value in event.headers:
            if len(value) > MAX_LINE:
                return _bad_request("A header line is too long")
            key, text = name.decode("latin-1"), value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        body = self._read_body(headers)
        if body is None or isinstance(body, Response):
            return body
        return Request(method=method, path=path, query=query.partition("#")[0], headers=headers, body=body)

    def _read_body(self, headers: dict[str, str]) -> bytes | Response | None:
        """The body (h11 reads Content-Length or chunked framing); a 413 without reading it when too large."""
        app = self.server.emulator.app
        assert app is not None
        length_text = headers.get("content-length")
        if length_text is not None and int(length_text) > MAX_BODY_BYTES:  # h11 has checked the digits
            self.unread_body = True
            return app.too_large(int(length_text))
        chunks: list[bytes] = []
        total = 0
        continued = False
        try:
            while True:
                if self.http.they_are_waiting_for_100_continue and not continued:
                    # curl and others wait for this before sending a body; sent once the size is acceptable.
                    interim = h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")
                    self.wfile.write(self.http.send(interim))
                    continued = True
                event = self._event()
                if isinstance(event, h11.EndOfMessage):
                    return b"".join(chunks)
                if not isinstance(event, h11.Data):
                    return None
                total += len(event.data)
                if total > MAX_BODY_BYTES:
                    self.unread_body = True
                    return app.too_large(total)
                chunks.append(bytes(event.data))
        except h11.RemoteProtocolError as exc:
            # The client went away mid-body (nothing to answer) or framed it wrongly (a 400).
            if self.http.their_state is h11.ERROR and "complete" in str(exc):
                return None
            return _bad_request(_malformed(exc))

    # --- answering ------------------------------------------------------------------------------

    def _deliver(self, method: str, path: str, response: Response, request_id: str) -> None:
        """Answer (or drop, or hold) per the response's disposition; log it; stop when it asks to."""
        emulator = self.server.emulator
        app = emulator.app
        if response.delay > 0:
            # The answer leaves `delay` after the request arrived, as from a remote API: this process's own
            # work, done one request at a time, is not added on top (16 requests at once would wait for it).
            time.sleep(max(0.0, response.delay - (time.monotonic() - self.arrived)))
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
            self._next_cycle()
        except (OSError, h11.LocalProtocolError):
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
        """Status line, headers and body as one buffer (h11 frames it), so the answer leaves in one send.

        An answer to HEAD carries the headers only (with the Content-Length a GET would have). h11 adds
        `Connection: close` when the client asked for it (or spoke HTTP/1.0).
        """
        headers = [
            ("X-Request-Id", request_id),
            ("Date", self.server.date.now()),
            ("Server", "stackql-signups-emulator"),
        ]
        if response.content_type is not None:
            headers.append(("Content-Type", response.content_type))
        headers.append(("Content-Length", str(len(response.body))))
        headers.extend(response.headers)
        if self.close_connection:
            headers.append(("Connection", "close"))
        reason = REASONS.get(response.status, "Unknown").encode("latin-1")
        data = self.http.send(h11.Response(status_code=response.status, headers=headers, reason=reason))
        if with_body and response.body:
            data += self.http.send(h11.Data(data=response.body))
        data += self.http.send(h11.EndOfMessage())
        return data

    def _next_cycle(self) -> None:
        """Keep the connection for the next request when both sides are done, else close it."""
        if self.http.our_state is h11.DONE and self.http.their_state is h11.DONE:
            self.http.start_next_cycle()
        else:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a line per request would cost throughput and could show what clients sent."""


def _malformed(exc: h11.RemoteProtocolError) -> str:
    """h11's reason, in one line and never with the request's bytes (which could carry secrets)."""
    return f"Malformed request: {str(exc).split(':', 1)[0]}"


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
