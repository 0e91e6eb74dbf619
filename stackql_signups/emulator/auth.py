"""Who is calling: HTTP Basic with the API key, or a Bearer token from the OAuth2 client-credentials flow."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

PARTNER_SCOPES = ("partner:alter", "partner:create", "partner:delete", "partner:describe")
TOKEN_LIFETIME_S = 3600

BASIC_CHALLENGE = 'Basic error="invalid_key", error_description="The API Key is invalid"'
BEARER_CHALLENGE = (
    'Bearer error="invalid_token", error_description="The access token is invalid or has expired"'
)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the partner (its API key / OAuth client id) and what it may do."""

    partner: str
    scopes: frozenset[str] | None  # None: an API key, which may do everything

    def allows(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes


@dataclass(frozen=True)
class Denied:
    """Authentication failed; `challenge` is the WWW-Authenticate value to send with the 401."""

    detail: str
    challenge: str = BASIC_CHALLENGE


@dataclass(frozen=True)
class TokenGrant:
    """An issued access token (the token itself is only ever sent to the client once)."""

    access_token: str
    expires_in: int
    scope: str


@dataclass(frozen=True)
class TokenRefused:
    """An OAuth2 error answer of the token endpoint (RFC 6749 section 5.2)."""

    status: int
    error: str
    description: str


def token_digest(token: str) -> str:
    """What is stored for a token or link token: its SHA-256, so a leaked store or log reveals none."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Authenticator:
    """Checks credentials in constant time and keeps the issued access tokens (in memory, by digest)."""

    def __init__(self, api_key: str, api_secret: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._key = api_key.encode()
        self._secret = api_secret.encode()
        self._partner = api_key
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[frozenset[str], float]] = {}

    def _client_ok(self, key: bytes, secret: bytes) -> bool:
        # Both comparisons always run, so the time taken does not tell which one failed.
        key_ok = hmac.compare_digest(key, self._key)
        secret_ok = hmac.compare_digest(secret, self._secret)
        return key_ok and secret_ok

    def authenticate(self, authorization: str | None) -> Principal | Denied:
        """The caller named by an `Authorization` header, or why it is refused."""
        if not authorization:
            return Denied("Valid authentication credentials must be provided")
        scheme, _, credentials = authorization.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            pair = _basic_pair(credentials)
            if pair is not None and self._client_ok(*pair):
                return Principal(self._partner, None)
            return Denied("The API key or secret is invalid")
        if scheme == "bearer":
            entry = self._lookup(credentials.strip())
            if entry is None:
                return Denied("The access token is invalid or has expired", BEARER_CHALLENGE)
            return Principal(self._partner, entry)
        return Denied("Use HTTP Basic authentication with an API key, or a Bearer token from /oauth2/token")

    def _lookup(self, token: str) -> frozenset[str] | None:
        digest = token_digest(token)
        with self._lock:
            entry = self._tokens.get(digest)
            if entry is None:
                return None
            if entry[1] <= self._clock():
                del self._tokens[digest]
                return None
            return entry[0]

    def issue(self, form: Mapping[str, list[str]], authorization: str | None) -> TokenGrant | TokenRefused:
        """The client-credentials grant: client id/secret by Basic auth or form fields, optional scope."""
        grant_types = form.get("grant_type", [])
        if len(grant_types) != 1:
            return TokenRefused(400, "invalid_request", "grant_type is required, once")
        if grant_types[0] != "client_credentials":
            return TokenRefused(
                400, "unsupported_grant_type", "only grant_type=client_credentials is supported"
            )
        if authorization and authorization.strip().lower().startswith("basic "):
            pair = _basic_pair(authorization.strip()[6:])
        else:
            ids, secrets_ = form.get("client_id", []), form.get("client_secret", [])
            pair = (ids[0].encode(), secrets_[0].encode()) if len(ids) == 1 and len(secrets_) == 1 else None
        if pair is None or not self._client_ok(*pair):
            return TokenRefused(401, "invalid_client", "the client id or secret is invalid")
        scopes_given = form.get("scope", [])
        if len(scopes_given) > 1:
            return TokenRefused(400, "invalid_request", "scope may be given once")
        requested = scopes_given[0].split() if scopes_given else list(PARTNER_SCOPES)
        unknown = [s for s in requested if s not in PARTNER_SCOPES]
        if unknown or not requested:
            return TokenRefused(400, "invalid_scope", f"known scopes: {' '.join(PARTNER_SCOPES)}")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token_digest(token)] = (frozenset(requested), self._clock() + TOKEN_LIFETIME_S)
        return TokenGrant(token, TOKEN_LIFETIME_S, " ".join(dict.fromkeys(requested)))


def _basic_pair(credentials: str) -> tuple[bytes, bytes] | None:
    """The (id, secret) of Basic credentials, or None when they are not well-formed."""
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    key, sep, secret = decoded.partition(b":")
    return (key, secret) if sep else None
