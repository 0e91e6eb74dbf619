"""Credentials from environment variables, applied as `httpx.Auth`: HTTP basic, or OAuth2 client credentials.

Secret values live only in these objects' private attributes: reprs and messages name the variables.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from .._errors import ApiError, UsageError
from .config import AuthSettings
from .endpoint import is_loopback, resolve

if TYPE_CHECKING:
    import asyncio


@dataclass(frozen=True)
class Credentials:
    """An identity (API key or client id) and its secret, with the variables they came from."""

    identity: str = field(repr=False)
    secret: str = field(repr=False)
    variables: tuple[str, str]
    emulator_defaults: bool = False


def credentials(
    settings: AuthSettings, base: str, env: Mapping[str, str], loopback: tuple[str, str] | None = None
) -> Credentials | None:
    """The credentials `settings` names, read from `env`; `UsageError` naming what is missing.

    On a loopback endpoint, unset variables fall back to `loopback` (a local emulator's defaults).
    """
    if settings.type == "null_auth":
        return None
    names = settings.variables
    id_var, secret_var = names[0], names[1]
    identity, secret = env.get(id_var) or "", env.get(secret_var) or ""
    if identity and secret:
        return Credentials(identity, secret, (id_var, secret_var))
    if loopback is not None and is_loopback(base):
        return Credentials(
            identity or loopback[0],
            secret or loopback[1],
            (id_var, secret_var),
            emulator_defaults=True,
        )
    missing = [name for name, value in ((id_var, identity), (secret_var, secret)) if not value]
    what = "Cloud API key and secret" if settings.type == "basic" else "OAuth client id and secret"
    raise UsageError(
        f"no credentials for {base}: set {' and '.join(missing)}",
        hint=f"they hold the {what}; --auth names other variables; --endpoint local uses the emulator",
    )


class SecretAuth(httpx.Auth):
    """An `httpx.Auth` that knows its secret values (to scrub them from messages) and never shows them."""

    scheme = "none"

    def secrets(self) -> tuple[str, ...]:
        """Every secret value this auth holds or has obtained, longest first."""
        return ()

    def credential_hint(self) -> str:
        """Which variables to check when the API refuses the credentials."""
        return "the request carried no credentials; pass --auth"

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NoAuth(SecretAuth):
    """Sends requests without credentials (`null_auth`)."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        yield request


class BasicEnvAuth(SecretAuth):
    """HTTP basic with an API key and secret read from environment variables."""

    scheme = "Basic"

    def __init__(self, creds: Credentials) -> None:
        self._creds = creds
        token = base64.b64encode(f"{creds.identity}:{creds.secret}".encode()).decode("ascii")
        self._header = f"Basic {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def secrets(self) -> tuple[str, ...]:
        return (self._header[6:], self._creds.secret, self._creds.identity)

    def credential_hint(self) -> str:
        key, secret = self._creds.variables
        if self._creds.emulator_defaults:
            return f"{key}/{secret} are unset, so the emulator's default key was sent; set them to its key"
        return f"check the Cloud API key in {key} and its secret in {secret}"

    def __repr__(self) -> str:
        key, secret = self._creds.variables
        return f"BasicEnvAuth(username_var={key!r}, password_var={secret!r})"


@dataclass
class _Token:
    value: str = field(repr=False)
    refresh_at: float


class ClientCredentialsAuth(SecretAuth):
    """OAuth2 client credentials: a bearer token from `token_url`, cached, refreshed once on a 401."""

    scheme = "Bearer"
    requires_response_body = True

    def __init__(
        self,
        creds: Credentials,
        token_url: str,
        scopes: tuple[str, ...],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._creds = creds
        self._token_url = token_url
        self._scopes = scopes
        self._clock = clock
        self._token: _Token | None = None
        self._seen: list[str] = []  # every token obtained, to scrub from messages
        self._thread_lock = threading.Lock()
        self._async_lock: asyncio.Lock | None = None
        basic = base64.b64encode(f"{creds.identity}:{creds.secret}".encode()).decode("ascii")
        self._client_header = f"Basic {basic}"

    @property
    def token_url(self) -> str:
        return self._token_url

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._cached()
        if token is None:
            # Holding the lock across the yield is safe: httpx drives this generator in the calling thread.
            with self._thread_lock:
                token = self._cached()
                if token is None:
                    answer = yield self._token_request(request)
                    answer.read()
                    token = self._accept(answer)
        response = yield self._authorize(request, token)
        if response.status_code == 401:
            # A 401 was not processed, so sending the request again cannot duplicate it.
            self._forget(token)
            with self._thread_lock:
                fresh = self._cached()
                if fresh is None:
                    answer = yield self._token_request(request)
                    answer.read()
                    fresh = self._accept(answer)
            yield self._authorize(request, fresh)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        import asyncio  # only asyncio callers get here: the command line does not import it

        lock = self._async_lock = self._async_lock or asyncio.Lock()
        token = self._cached()
        if token is None:
            async with lock:
                token = self._cached()
                if token is None:
                    answer = yield self._token_request(request)
                    await answer.aread()
                    token = self._accept(answer)
        response = yield self._authorize(request, token)
        if response.status_code == 401:
            self._forget(token)
            async with lock:
                fresh = self._cached()
                if fresh is None:
                    answer = yield self._token_request(request)
                    await answer.aread()
                    fresh = self._accept(answer)
            yield self._authorize(request, fresh)

    def _cached(self) -> str | None:
        token = self._token
        if token is None or self._clock() >= token.refresh_at:
            return None
        return token.value

    def _forget(self, value: str) -> None:
        if self._token is not None and self._token.value == value:
            self._token = None

    def _token_request(self, request: httpx.Request) -> httpx.Request:
        form = {"grant_type": "client_credentials"}
        if self._scopes:
            form["scope"] = " ".join(self._scopes)
        headers = {"Authorization": self._client_header, "Accept": "application/json"}
        if "User-Agent" in request.headers:
            headers["User-Agent"] = request.headers["User-Agent"]
        # Requests yielded by an auth flow skip the client's defaults: carry the same timeouts over.
        return httpx.Request(
            "POST", self._token_url, data=form, headers=headers, extensions=dict(request.extensions)
        )

    @staticmethod
    def _authorize(request: httpx.Request, token: str) -> httpx.Request:
        request.headers["Authorization"] = f"Bearer {token}"
        return request

    def _accept(self, response: httpx.Response) -> str:
        """The access token of a token-endpoint answer, cached; `ApiError` when it is refused."""
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            raise self._refused(response, body)
        self._seen.append(token)
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        seconds = float(lifetime) if isinstance(lifetime, (int, float)) and lifetime > 0 else 300.0
        # Refresh a little before the token expires, so a request never carries one about to lapse.
        margin = min(60.0, seconds / 10)
        self._token = _Token(token, self._clock() + seconds - margin)
        return token

    def _refused(self, response: httpx.Response, body: object) -> ApiError:
        status = response.status_code
        code = body.get("error") if isinstance(body, dict) else None
        detail = body.get("error_description") if isinstance(body, dict) else None
        parts = [f"{status} {httpx.codes.get_reason_phrase(status) or 'HTTP'}".strip()]
        parts += [str(p) for p in (code, detail) if p]
        if status == 200:
            parts.append("the answer has no access_token")
        message = f"token request to {self._token_url} failed: " + ": ".join(parts)
        for secret in self.secrets():
            message = message.replace(secret, "********")
        return ApiError(
            message,
            status=status,
            code=str(code) if code else None,
            detail=str(detail) if detail else None,
            request_id=response.headers.get("X-Request-Id"),
            hint=self.credential_hint(),
        )

    def secrets(self) -> tuple[str, ...]:
        values = [*self._seen, self._client_header[6:], self._creds.secret, self._creds.identity]
        return tuple(sorted(set(values), key=len, reverse=True))

    def credential_hint(self) -> str:
        client_id, client_secret = self._creds.variables
        scopes = " ".join(self._scopes)
        may = f", and that the client may use the scope {scopes}" if scopes else ""
        return f"check the OAuth client id in {client_id} and its secret in {client_secret}{may}"

    def __repr__(self) -> str:
        client_id, client_secret = self._creds.variables
        return (
            f"ClientCredentialsAuth(client_id_var={client_id!r}, client_secret_var={client_secret!r}, "
            f"token_url={self._token_url!r}, scopes={self._scopes!r})"
        )


def build_auth(
    settings: AuthSettings,
    base: str,
    env: Mapping[str, str],
    clock: Callable[[], float] = time.monotonic,
    loopback: tuple[str, str] | None = None,
) -> SecretAuth:
    """The `httpx.Auth` for requests to `base`; raises `UsageError` before anything is sent."""
    creds = credentials(settings, base, env, loopback)
    if creds is None:
        return NoAuth()
    if settings.type == "oauth2":
        return ClientCredentialsAuth(creds, resolve(base, settings.token_url), settings.scopes, clock)
    return BasicEnvAuth(creds)
