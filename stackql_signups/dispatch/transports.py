"""HTTP transports that load the CA certificates only when an https:// URL is first sent to.

Loading them takes 20-40 ms at every start, which a run against a plain http:// endpoint (the emulator,
a test server) never needs. With proxy variables set, the executor does not use these: httpx then builds
its own transports, proxies included (a transport given to a client turns proxies off).
"""

from __future__ import annotations

import ssl
import threading

import httpx


def _trusts_nothing() -> ssl.SSLContext:
    """For the http:// transport, which makes no TLS connection: if it ever did, no certificate would pass."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies names and certificates, trusting no CA


class SchemeTransport(httpx.BaseTransport):
    """http:// through a transport with no certificates, https:// through one made on first use."""

    def __init__(self, verify: bool, trust_env: bool) -> None:
        self._verify = verify
        self._trust_env = trust_env
        self._plain = httpx.HTTPTransport(verify=_trusts_nothing(), trust_env=trust_env)
        self._tls: httpx.HTTPTransport | None = None
        self._lock = threading.Lock()  # the executor's threads share this transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "https":
            return self._plain.handle_request(request)
        with self._lock:
            if self._tls is None:
                self._tls = httpx.HTTPTransport(verify=self._verify, trust_env=self._trust_env)
        return self._tls.handle_request(request)

    def close(self) -> None:
        self._plain.close()
        if self._tls is not None:
            self._tls.close()


class AsyncSchemeTransport(httpx.AsyncBaseTransport):
    """The asyncio form of `SchemeTransport` (one event loop: no lock needed)."""

    def __init__(self, verify: bool, trust_env: bool) -> None:
        self._verify = verify
        self._trust_env = trust_env
        self._plain = httpx.AsyncHTTPTransport(verify=_trusts_nothing(), trust_env=trust_env)
        self._tls: httpx.AsyncHTTPTransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "https":
            return await self._plain.handle_async_request(request)
        if self._tls is None:
            self._tls = httpx.AsyncHTTPTransport(verify=self._verify, trust_env=self._trust_env)
        return await self._tls.handle_async_request(request)

    async def aclose(self) -> None:
        await self._plain.aclose()
        if self._tls is not None:
            await self._tls.aclose()
