"""The listening side: pg-mimic's server with TLS when configured, our connection class, a clean stop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import struct
import time
from typing import Any

from pg_mimic import PgServer, messages
from pg_mimic.stream import ConnectionClosed, PgStream

from .connection import EngineConnection

SERVER_VERSION = "15.0 (stackql-signups)"
SYNC_GRACE = 2.0  # seconds


class Listener(PgServer):
    """A `PgServer` whose connections are `EngineConnection`s; TLS is offered when a context is given."""

    def __init__(self, *args: Any, tls: ssl.SSLContext | None = None, **kwargs: Any) -> None:
        super().__init__(*args, server_version=SERVER_VERSION, **kwargs)
        self.tls = tls
        self.live: dict[int, EngineConnection] = {}

    async def _negotiate_startup(self, stream: PgStream) -> dict[str, str] | None:
        code, payload = await stream.read_startup_packet()
        if code == messages.SSL_REQUEST_CODE and self.tls is not None:
            stream.write(b"S")
            await stream.drain()
            await stream.writer.start_tls(self.tls)
            code, payload = await stream.read_startup_packet()
        elif code in (messages.SSL_REQUEST_CODE, messages.GSSENC_REQUEST_CODE):
            stream.write(b"N")  # no TLS configured: the client goes on in the clear (or gives up)
            await stream.drain()
            code, payload = await stream.read_startup_packet()
        if code == messages.CANCEL_REQUEST_CODE:
            pid, secret = messages.parse_cancel_request(payload)
            self.cancel(pid, secret)
            await stream.close()
            return None
        result: dict[str, str] = messages.parse_startup_message(payload)
        return result

    async def _handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # pg-mimic 0.1.3's, with our connection class (it offers no factory for it).
        stream = PgStream(reader, writer)
        try:
            startup_params = await self._negotiate_startup(stream)
        except (ConnectionClosed, ConnectionError, OSError, ssl.SSLError):
            return
        if startup_params is None:
            return
        session = self.session_factory()
        if asyncio.iscoroutine(session):
            session = await session
        pid = self._allocate_pid()
        secret = struct.unpack("!i", os.urandom(4))[0]
        connection = EngineConnection(stream, session, self, pid, secret, startup_params)
        self._connections[pid] = connection
        self.live[pid] = connection
        try:
            await connection.run()
        except (ConnectionError, OSError):
            pass  # the client went away; the server log has what its statements did
        finally:
            self._connections.pop(pid, None)
            self.live.pop(pid, None)

    async def stop(self, inflight_wait: Any) -> None:
        """Stop listening, let every query being answered finish, then close the idle connections."""
        if self._server is not None:
            self._server.close()
        # A statement being run is waited for however long it takes; a client between an Execute and its
        # Sync gets a moment to send the Sync, but no client can keep the server up by sending nothing.
        while any(
            c.running or (c.busy and time.monotonic() - c.last_message < SYNC_GRACE)
            for c in self.live.values()
        ):
            await asyncio.sleep(0.02)
        await inflight_wait()
        for connection in list(self.live.values()):
            connection.terminate()
            with contextlib.suppress(
                ConnectionError, OSError, RuntimeError, AttributeError, asyncio.TimeoutError
            ):
                await asyncio.wait_for(connection.stream.drain(), 1)
        self.close()
