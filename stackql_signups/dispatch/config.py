"""Dispatch settings: one frozen dataclass, its command-line flags, and their validation (no httpx here)."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from .._errors import UsageError
from ..manifest.model import AuthConfig

OnError = Literal["stop", "continue"]
OnConflict = Literal["fail", "existing"]
AuthType = Literal["basic", "oauth2", "null_auth"]

PROVIDER = "confluent"
DEFAULT_USERNAME_VAR = "CONFLUENT_CLOUD_API_KEY"
DEFAULT_PASSWORD_VAR = "CONFLUENT_CLOUD_API_SECRET"
DEFAULT_TOKEN_URL = "/oauth2/token"  # partner.yaml securitySchemes.oauth tokenUrl
DEFAULT_SCOPES = ("partner:create",)
LOCAL_ENDPOINT = "local"
MAX_RETRIES = 10
MAX_CONCURRENCY = 64
MAX_BODY_BYTES = 1 << 20
"""Largest request body sent (1 MiB, as the emulator accepts); a larger one is refused before sending."""

# StackQL's own spellings come first; `*_var` are this project's (and provider.yaml's) shorter forms.
_AUTH_KEYS: dict[str, tuple[str, ...]] = {
    "basic": ("type", "username_var", "password_var"),
    "oauth2": (
        "type",
        "grant_type",
        "client_id_env_var",
        "client_secret_env_var",
        "client_id_var",
        "client_secret_var",
        "token_url",
        "scopes",
    ),
    "null_auth": ("type",),
}


@dataclass(frozen=True)
class AuthSettings:
    """How to authenticate: the names of the environment variables holding credentials, never the values."""

    type: AuthType = "basic"
    username_var: str = DEFAULT_USERNAME_VAR
    password_var: str = DEFAULT_PASSWORD_VAR
    client_id_var: str = DEFAULT_USERNAME_VAR
    client_secret_var: str = DEFAULT_PASSWORD_VAR
    token_url: str = DEFAULT_TOKEN_URL
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    @property
    def variables(self) -> tuple[str, ...]:
        """The environment variables this scheme reads, for messages."""
        if self.type == "basic":
            return (self.username_var, self.password_var)
        if self.type == "oauth2":
            return (self.client_id_var, self.client_secret_var)
        return ()

    @property
    def scheme(self) -> str | None:
        """The `Authorization` scheme requests will carry (for `--dryrun`), or None without auth."""
        return {"basic": "Basic", "oauth2": "Bearer"}.get(self.type)

    @classmethod
    def from_auth_config(cls, config: AuthConfig) -> AuthSettings:
        """The settings a provider manifest's `config.auth` declares."""
        return _settings_from_mapping(
            {
                "type": config.type,
                "username_var": config.username_var,
                "password_var": config.password_var,
                "client_id_var": config.client_id_var,
                "client_secret_var": config.client_secret_var,
                "token_url": config.token_url,
                "scopes": list(config.scopes) or None,
            },
            "the provider manifest's config.auth",
        )


def _default_user_agent() -> str:
    # The package's own version: reading the installed metadata costs ~20 ms of start-up.
    from .. import __version__

    return f"stackql-signups/{__version__}"


@dataclass(frozen=True)
class DispatchConfig:
    """Everything the dispatch stage needs; `endpoint=None` sends to the manifest's server."""

    endpoint: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    verify_tls: bool = True
    retries: int = 2
    auth: AuthSettings = field(default_factory=AuthSettings)
    concurrency: int = 1
    on_error: OnError = "stop"
    on_conflict: OnConflict = "fail"
    user_agent: str = field(default_factory=_default_user_agent)
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_after_cap: float = 60.0

    def __post_init__(self) -> None:
        # The Python API builds this directly: the same limits as the flags, the same UsageError.
        _seconds(self.connect_timeout, "connect_timeout", 10.0)
        _seconds(self.read_timeout, "read_timeout", 30.0)
        _count(self.retries, "retries", 2, 0, MAX_RETRIES)
        _count(self.concurrency, "concurrency", 1, 1, MAX_CONCURRENCY)
        if self.on_error not in ("stop", "continue"):
            raise UsageError(f"on_error must be stop or continue, got {self.on_error!r}")
        if self.on_conflict not in ("fail", "existing"):
            raise UsageError(f"on_conflict must be fail or existing, got {self.on_conflict!r}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the dispatch flags; values are checked by `config_from_args`, which raises `UsageError`."""
    group = parser.add_argument_group("sending requests")
    group.add_argument(
        "--endpoint",
        metavar="URL",
        help="send to this base URL instead of the manifest's server (e.g. http://127.0.0.1:8080)",
    )
    group.add_argument(
        "--auth",
        metavar="JSON",
        help='credentials, StackQL form: \'{"confluent": {"type": "basic", "username_var": "MY_KEY", '
        '"password_var": "MY_SECRET"}}\' or type "oauth2" with client_id_var, client_secret_var, '
        "token_url, scopes (names of environment variables, never the values)",
    )
    group.add_argument("--connect-timeout", metavar="S", help="seconds to wait for a connection (default 10)")
    group.add_argument("--timeout", metavar="S", help="seconds to wait for a response (default 30)")
    group.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    group.add_argument(
        "--retries",
        metavar="N",
        help="extra attempts where a request certainly was not processed: no connection, or 429 (default 2)",
    )
    group.add_argument(
        "--on-error",
        metavar="stop|continue",
        help="after a failed statement, stop (default) or go on with the statements that do not depend on it",
    )
    group.add_argument(
        "--on-conflict",
        metavar="fail|existing",
        help="when the API answers 409 because the customer already exists (the same entitlement "
        "external_id, or an activation already done): fail (default), or report the existing "
        "organization as the statement's result, so a re-run finishes what a failed run left undone",
    )
    group.add_argument(
        "--concurrency", metavar="N", help="send up to N independent statements at once (default 1)"
    )
    group.add_argument(
        "--report",
        metavar="FILE",
        help="write each statement's outcome to FILE as one JSON object per line, as it is known: "
        "statement, label, status (succeeded, failed, unknown, not_sent), existing, http_status, "
        "request_id, attempts, organization_id, error",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log each HTTP request line and response status on stderr (credentials masked)",
    )


def config_from_args(
    args: argparse.Namespace, provider_auth: AuthConfig | None, *, provider: str = PROVIDER
) -> DispatchConfig:
    """The `DispatchConfig` the flags ask for; `--auth` overrides the manifest's auth."""
    endpoint = _endpoint(getattr(args, "endpoint", None))
    auth_text = getattr(args, "auth", None)
    if auth_text is not None:
        auth = parse_auth(auth_text, provider)
    elif provider_auth is not None:
        auth = AuthSettings.from_auth_config(provider_auth)
    else:
        auth = AuthSettings()
    on_error = getattr(args, "on_error", None) or "stop"
    if on_error not in ("stop", "continue"):
        raise UsageError(f"--on-error must be stop or continue, got {on_error!r}")
    on_conflict = getattr(args, "on_conflict", None) or "fail"
    if on_conflict not in ("fail", "existing"):
        raise UsageError(f"--on-conflict must be fail or existing, got {on_conflict!r}")
    return DispatchConfig(
        endpoint=endpoint,
        connect_timeout=_seconds(getattr(args, "connect_timeout", None), "--connect-timeout", 10.0),
        read_timeout=_seconds(getattr(args, "timeout", None), "--timeout", 30.0),
        verify_tls=not getattr(args, "insecure", False),
        retries=_count(getattr(args, "retries", None), "--retries", 2, 0, MAX_RETRIES),
        auth=auth,
        concurrency=_count(getattr(args, "concurrency", None), "--concurrency", 1, 1, MAX_CONCURRENCY),
        on_error="stop" if on_error == "stop" else "continue",
        on_conflict="fail" if on_conflict == "fail" else "existing",
    )


def parse_auth(text: str, provider: str = PROVIDER) -> AuthSettings:
    """`--auth` JSON in StackQL's form; messages name keys only, never values (they could be secrets)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--auth is not valid JSON: {exc.msg} at character {exc.pos + 1}",
            hint=f'write --auth=\'{{"{provider}": {{"type": "basic", "username_var": "MY_KEY", '
            '"password_var": "MY_SECRET"}}\'',
        ) from None
    if not isinstance(document, dict):
        raise UsageError("--auth must be a JSON object keyed by provider name")
    entry = document.get(provider)
    if entry is None:
        raise UsageError(
            f"--auth has no entry for provider '{provider}'",
            hint=f"providers given: {', '.join(map(str, document)) or 'none'}",
        )
    if not isinstance(entry, dict):
        raise UsageError(f"--auth: '{provider}' must be a JSON object")
    return _settings_from_mapping(entry, f"--auth '{provider}'")


def _settings_from_mapping(entry: Mapping[str, Any], where: str) -> AuthSettings:
    kind = entry.get("type")
    if not isinstance(kind, str) or kind not in _AUTH_KEYS:
        shown = repr(kind) if isinstance(kind, str) and len(kind) < 40 else "missing or not a string"
        raise UsageError(
            f"{where}: auth type {shown} is not supported", hint="use basic, oauth2 or null_auth"
        )
    allowed = _AUTH_KEYS[kind]
    unknown = sorted(str(k) for k in entry if k not in allowed and entry[k] is not None)
    if unknown:
        # Values are not echoed: a user may have pasted a secret where a variable name belongs.
        raise UsageError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for type {kind}",
            hint=f"allowed keys: {', '.join(allowed)}",
        )
    if kind == "basic":
        return AuthSettings(
            type="basic",
            username_var=_var_name(entry, ("username_var",), DEFAULT_USERNAME_VAR, where),
            password_var=_var_name(entry, ("password_var",), DEFAULT_PASSWORD_VAR, where),
        )
    if kind == "null_auth":
        return AuthSettings(type="null_auth")
    grant = entry.get("grant_type")
    if grant is not None and grant != "client_credentials":
        raise UsageError(f"{where}: only grant_type client_credentials is supported")
    token_url = entry.get("token_url") or DEFAULT_TOKEN_URL
    if not isinstance(token_url, str) or not (token_url.startswith("/") or _is_http_url(token_url)):
        raise UsageError(f"{where}: token_url must be a path such as /oauth2/token or an http(s) URL")
    scopes = entry.get("scopes")
    if scopes is None:
        scopes = list(DEFAULT_SCOPES)
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s and " " not in s for s in scopes):
        raise UsageError(f'{where}: scopes must be a list of scope names such as ["partner:create"]')
    return AuthSettings(
        type="oauth2",
        client_id_var=_var_name(entry, ("client_id_var", "client_id_env_var"), DEFAULT_USERNAME_VAR, where),
        client_secret_var=_var_name(
            entry, ("client_secret_var", "client_secret_env_var"), DEFAULT_PASSWORD_VAR, where
        ),
        token_url=token_url,
        scopes=tuple(scopes),
    )


def _var_name(entry: Mapping[str, Any], keys: tuple[str, ...], default: str, where: str) -> str:
    for key in keys:
        value = entry.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value.replace("_", "").isalnum() or value[0].isdigit():
            raise UsageError(
                f"{where}: {key} must be the name of an environment variable (letters, digits, _)",
                hint="put the credential itself in that variable, never on the command line",
            )
        return value
    return default


def _endpoint(value: str | None) -> str | None:
    if value is None or value == LOCAL_ENDPOINT:
        return value  # "local" is replaced by the CLI with the URL of the emulator it starts
    if not _is_http_url(value):
        raise UsageError(
            f"--endpoint must be an http:// or https:// URL, got {value!r}",
            hint="e.g. --endpoint http://127.0.0.1:8080, or --endpoint local for the built-in emulator",
        )
    return value.rstrip("/")


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query and not parts.fragment
    )


def _seconds(value: Any, flag: str, default: float) -> float:
    if value is None:
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{flag} must be a number of seconds, got {value!r}") from None
    if not math.isfinite(seconds) or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        # Below a millisecond no answer can arrive; above a day the socket layer overflows (1e308).
        raise UsageError(
            f"{flag} must be a number of seconds from {MIN_SECONDS} to {MAX_SECONDS:.0f}, got {value!r}"
        )
    return seconds


MIN_SECONDS = 0.001
MAX_SECONDS = 86400.0


def _count(value: Any, flag: str, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    try:
        number = int(str(value), 10)
    except ValueError:
        raise UsageError(f"{flag} must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise UsageError(f"{flag} must be between {low} and {high}, got {number}")
    return number
