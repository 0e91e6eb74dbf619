"""Send planned requests with one keep-alive httpx client per run; sync `Executor` and `AsyncExecutor`.

Both share everything but the I/O: preparation here, judgement in `interpret`, delays in `retry`.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

import httpx

from .._errors import NetworkError, RequestError
from ..plan import PathKey, PlannedRequest
from ..redact import MASK, url_userinfo
from .auth import ClientCredentialsAuth, SecretAuth, build_auth
from .config import DispatchConfig
from .endpoint import base_url, is_loopback
from .interpret import Context, Verdict, judge_exception, judge_existing, judge_response, scrub
from .outcome import Outcome, RetryNotice
from .pacing import Pacer
from .retry import RetryPolicy
from .schedule import has_key
from .transports import AsyncSchemeTransport, SchemeTransport

RetryHook = Callable[[RetryNotice], None]
LogHook = Callable[[str], None]


@dataclass(frozen=True)
class Prepared:
    """A planned request made concrete: where it goes, its bytes, its auth and its message context."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    content: bytes | None
    auth: SecretAuth
    context: Context


class _Dispatcher:
    """What the sync and async executors share: settings, auth per base URL, request preparation."""

    def __init__(
        self,
        config: DispatchConfig,
        env: Mapping[str, str] | None,
        rng: random.Random | None,
        on_retry: RetryHook | None,
        clock: Callable[[], float],
        log: LogHook | None = None,
    ) -> None:
        self.config = config
        self._log = log
        self._env = os.environ if env is None else env
        self._policy = RetryPolicy.from_config(config)
        self._rng = rng or random.Random()
        self._on_retry = on_retry
        self._clock = clock
        self._auths: dict[str, SecretAuth] = {}
        self._body_secrets: set[str] = set()  # link tokens sent: a server may echo them in a request id
        self._bases: dict[str, str] = {}
        # Shared by every thread (or task) of this executor: requests keep within the API's rate limit.
        self._pacer = Pacer(config.concurrency, clock)

    def _client_options(self) -> dict[str, Any]:
        c = self.config
        return {
            "timeout": httpx.Timeout(
                connect=c.connect_timeout, read=c.read_timeout, write=c.read_timeout, pool=c.connect_timeout
            ),
            "verify": c.verify_tls,  # for proxies from the environment; other requests use `_trust_env`
            "headers": {"User-Agent": c.user_agent},
            "follow_redirects": False,  # a redirected POST could be replayed elsewhere; report it instead
            "trust_env": self._trust_env(),
        }

    def _env_proxies(self) -> bool:
        """Whether proxy variables apply: httpx then builds its transports (a given one turns proxies off)."""
        if not self._trust_env():
            return False
        from urllib.request import getproxies  # what httpx reads the proxy variables with

        return bool(getproxies())

    def _trust_env(self) -> bool:
        # Proxy variables must not divert requests meant for a local emulator.
        c = self.config
        return not (c.endpoint is not None and is_loopback(c.endpoint))

    def _request_line(self, request: httpx.Request) -> str:
        """`> POST https://host/path (Authorization: Basic ********, 312 bytes)` for `--verbose`."""
        notes = []
        authorization = request.headers.get("Authorization")
        if authorization:
            notes.append(f"Authorization: {authorization.partition(' ')[0]} {MASK}")
        size = request.headers.get("Content-Length")
        if size:
            notes.append(f"{size} bytes")
        detail = f" ({', '.join(notes)})" if notes else ""
        return self._scrubbed(f"> {request.method} {request.url}{detail}")

    def _status_line(self, response: httpx.Response) -> str:
        """`< 201 Created for POST https://host/path (request id ...)` for `--verbose`."""
        status = response.status_code
        reason = httpx.codes.get_reason_phrase(status) or "HTTP"
        request = response.request
        request_id = response.headers.get("X-Request-Id")
        tail = f" (request id {request_id})" if request_id else ""
        return self._scrubbed(f"< {status} {reason} for {request.method} {request.url}{tail}")

    def _scrubbed(self, line: str) -> str:
        found: tuple[str, ...] = tuple(self._body_secrets)
        for auth in list(self._auths.values()):
            found += auth.secrets()
        return url_userinfo(scrub(line, found))

    def preflight(self, requests: Sequence[PlannedRequest]) -> None:
        """Resolve endpoints and credentials for all requests: `UsageError` before anything is sent."""
        for request in requests:
            self.auth_for(base_url(request.server, self.config.endpoint))

    def auth_for(self, base: str) -> SecretAuth:
        """The auth for one base URL, built once so an OAuth token is cached across statements."""
        auth = self._auths.get(base)
        if auth is None:
            auth = self._auths[base] = build_auth(
                self.config.auth, base, self._env, self._clock, self.config.loopback_credentials
            )
        return auth

    def prepare(self, request: PlannedRequest) -> Prepared:
        base = self._bases.get(request.server)
        if base is None:  # worked out once per server: a batch sends to one
            base = self._bases[request.server] = base_url(request.server, self.config.endpoint)
        auth = self.auth_for(base)
        url = request.url(base)
        content = None
        if request.body is not None:
            content = json.dumps(request.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        body_secrets = _body_secrets(request.body, request.secret_paths)
        self._body_secrets.update(body_secrets)
        context = Context(
            statement=request.statement,
            label=request.label,
            rules=request.outcome,
            url=url,
            base=base,
            read_timeout=self.config.read_timeout,
            credential_hint=auth.credential_hint(),
            token_url=auth.token_url if isinstance(auth, ClientCredentialsAuth) else None,
            secrets=body_secrets,
            on_conflict=self.config.on_conflict,
            body=request.body,
        )
        return Prepared(request.http_method, url, request.headers, content, auth, context)

    def _with_auth_secrets(self, prepared: Prepared) -> Context:
        # Read at judgement time: an OAuth token obtained during this attempt must be scrubbed too.
        ctx = prepared.context
        return replace(ctx, secrets=ctx.secrets + prepared.auth.secrets())

    def _judge(
        self,
        prepared: Prepared,
        attempt: int,
        main: httpx.Request,
        response: httpx.Response | None,
        exc: httpx.HTTPError | RequestError | None,
    ) -> Verdict:
        ctx = self._with_auth_secrets(prepared)
        if response is not None:
            return judge_response(response, ctx, attempt)
        assert exc is not None
        return judge_exception(exc, ctx, attempt, main)

    def _existing_delay(self, judged: Verdict, attempt: int) -> float | None:
        """Before looking the existing entitlement up again: seconds to wait, or None when final."""
        if judged.retry_reason is None or not self._policy.allows(attempt):
            return None
        return self._policy.delay(attempt, judged.retry_after, self._rng)

    def _retry_delay(self, verdict: Verdict, attempt: int, statement: int) -> float | None:
        """Seconds to wait before the next attempt, or None when this verdict is final."""
        if verdict.retry_reason is None or not self._policy.allows(attempt):
            return None
        delay = self._policy.delay(attempt, verdict.retry_after, self._rng)
        if self._on_retry is not None:
            self._on_retry(RetryNotice(statement, attempt, delay, verdict.retry_reason))
        return delay


class Executor(_Dispatcher):
    """Sends requests one at a time (safe to share between threads) over one keep-alive `httpx.Client`."""

    def __init__(
        self,
        config: DispatchConfig,
        *,
        env: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        on_retry: RetryHook | None = None,
        clock: Callable[[], float] = time.monotonic,
        log: LogHook | None = None,
    ) -> None:
        super().__init__(config, env, rng, on_retry, clock, log)
        self._sleep = sleep
        hooks: dict[str, list[Callable[[Any], None]]] = {}
        if log is not None:
            hooks = {
                "request": [lambda r: log(self._request_line(r))],
                "response": [lambda r: log(self._status_line(r))],
            }
        if transport is None and not self._env_proxies():
            transport = SchemeTransport(config.verify_tls, self._trust_env())
        self._client = httpx.Client(transport=transport, event_hooks=hooks, **self._client_options())

    def send(self, request: PlannedRequest) -> Outcome:
        """Send one request, retrying only where it certainly was not processed."""
        prepared = self.prepare(request)
        attempt = 0
        while True:
            attempt += 1
            if pause := self._pacer.wait():
                self._sleep(pause)
            main = self._client.build_request(
                prepared.method, prepared.url, headers=prepared.headers, content=prepared.content
            )
            try:
                response = _bounded(self._client.send(main, auth=prepared.auth, stream=True))
                self._pacer.observe(response.status_code, response.headers)
            except (httpx.HTTPError, RequestError) as exc:
                verdict = self._judge(prepared, attempt, main, None, exc)
            else:
                verdict = self._judge(prepared, attempt, main, response, None)
            delay = self._retry_delay(verdict, attempt, request.statement)
            if delay is None:
                return verdict.outcome if verdict.follow is None else self._existing(prepared, verdict)
            self._sleep(delay)

    def _existing(self, prepared: Prepared, conflict: Verdict) -> Outcome:
        """`on_conflict="existing"`: GET the object a 409 named; the manifest's row from it is the result."""
        assert conflict.follow is not None
        attempt = 0
        while True:
            attempt += 1
            if pause := self._pacer.wait():
                self._sleep(pause)
            try:
                response = self._client.get(conflict.follow, headers=_ACCEPT, auth=prepared.auth)
                self._pacer.observe(response.status_code, response.headers)
            except (httpx.HTTPError, RequestError) as exc:
                judged = judge_existing(None, exc, self._with_auth_secrets(prepared), conflict.outcome)
            else:
                judged = judge_existing(response, None, self._with_auth_secrets(prepared), conflict.outcome)
            delay = self._existing_delay(judged, attempt)
            if delay is None:
                return judged.outcome
            self._sleep(delay)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Executor:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncExecutor(_Dispatcher):
    """The same behaviour as `Executor` over one `httpx.AsyncClient`, for asyncio callers."""

    def __init__(
        self,
        config: DispatchConfig,
        *,
        env: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        rng: random.Random | None = None,
        on_retry: RetryHook | None = None,
        clock: Callable[[], float] = time.monotonic,
        log: LogHook | None = None,
    ) -> None:
        super().__init__(config, env, rng, on_retry, clock, log)
        if sleep is None:  # asyncio.sleep; asyncio is imported here, not by the command line
            import asyncio

            sleep = asyncio.sleep
        self._sleep = sleep
        hooks: dict[str, list[Callable[[Any], Awaitable[None]]]] = {}
        if log is not None:

            async def log_request(request: httpx.Request) -> None:
                log(self._request_line(request))

            async def log_response(response: httpx.Response) -> None:
                log(self._status_line(response))

            hooks = {"request": [log_request], "response": [log_response]}
        if transport is None and not self._env_proxies():
            transport = AsyncSchemeTransport(config.verify_tls, self._trust_env())
        self._client = httpx.AsyncClient(transport=transport, event_hooks=hooks, **self._client_options())

    async def send(self, request: PlannedRequest) -> Outcome:
        """Send one request, retrying only where it certainly was not processed."""
        prepared = self.prepare(request)
        attempt = 0
        while True:
            attempt += 1
            if pause := self._pacer.wait():
                await self._sleep(pause)
            main = self._client.build_request(
                prepared.method, prepared.url, headers=prepared.headers, content=prepared.content
            )
            try:
                response = await _abounded(await self._client.send(main, auth=prepared.auth, stream=True))
                self._pacer.observe(response.status_code, response.headers)
            except (httpx.HTTPError, RequestError) as exc:
                verdict = self._judge(prepared, attempt, main, None, exc)
            else:
                verdict = self._judge(prepared, attempt, main, response, None)
            delay = self._retry_delay(verdict, attempt, request.statement)
            if delay is None:
                return verdict.outcome if verdict.follow is None else await self._existing(prepared, verdict)
            await self._sleep(delay)

    async def _existing(self, prepared: Prepared, conflict: Verdict) -> Outcome:
        """`on_conflict="existing"`: GET the object a 409 named; the manifest's row from it is the result."""
        assert conflict.follow is not None
        attempt = 0
        while True:
            attempt += 1
            if pause := self._pacer.wait():
                await self._sleep(pause)
            try:
                response = await self._client.get(conflict.follow, headers=_ACCEPT, auth=prepared.auth)
                self._pacer.observe(response.status_code, response.headers)
            except (httpx.HTTPError, RequestError) as exc:
                judged = judge_existing(None, exc, self._with_auth_secrets(prepared), conflict.outcome)
            else:
                judged = judge_existing(response, None, self._with_auth_secrets(prepared), conflict.outcome)
            delay = self._existing_delay(judged, attempt)
            if delay is None:
                return judged.outcome
            await self._sleep(delay)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> AsyncExecutor:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


_ACCEPT = {"Accept": "application/json"}


def _body_secrets(body: Any, paths: tuple[PathKey, ...]) -> tuple[str, ...]:
    """The string values at the body's secret paths (the link `token`), to scrub from messages."""
    found: list[str] = []

    def walk(node: Any, path: PathKey) -> None:
        if not path:
            if isinstance(node, str) and node:
                found.append(node)
            return
        head, rest = path[0], path[1:]
        if head == "*" and isinstance(node, list):
            for item in node:
                walk(item, rest)
        elif has_key(node, head):
            walk(node[head], rest)

    for path in paths:
        walk(body, path)
    return tuple(found)


MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""Largest answer read (16 MiB; the API's are a few KiB): a larger one is refused as it arrives."""


def _too_large(response: httpx.Response) -> NetworkError:
    return NetworkError(
        f"the answer ({response.status_code}) is larger than the limit of {MAX_RESPONSE_BYTES} bytes; "
        "it was not read, so the outcome is unknown",
        outcome_unknown=True,
        hint="check with the API whether the request took effect before sending it again",
    )


def _declared_too_large(response: httpx.Response) -> bool:
    length = response.headers.get("Content-Length", "")
    return length.isdigit() and int(length) > MAX_RESPONSE_BYTES


def _bounded(response: httpx.Response) -> httpx.Response:
    """A streamed response read to the end, or refused once past MAX_RESPONSE_BYTES (never held whole)."""
    chunks: list[bytes] = []
    size = 0
    try:
        if _declared_too_large(response):
            raise _too_large(response)
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise _too_large(response)
            chunks.append(chunk)
    finally:
        response.close()
    response._content = b"".join(chunks)  # what Response.read() keeps; httpx has no public setter
    return response


async def _abounded(response: httpx.Response) -> httpx.Response:
    chunks: list[bytes] = []
    size = 0
    try:
        if _declared_too_large(response):
            raise _too_large(response)
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_RESPONSE_BYTES:
                raise _too_large(response)
            chunks.append(chunk)
    finally:
        await response.aclose()
    response._content = b"".join(chunks)
    return response
