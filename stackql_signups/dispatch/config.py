"""Dispatch settings: one frozen dataclass, the auth it uses, and their validation (no httpx here)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .._errors import UsageError
from ..manifest.model import AuthConfig
from .endpoint import is_http_url

OnError = Literal["stop", "continue"]
OnConflict = Literal["fail", "existing"]
AuthType = Literal["basic", "oauth2", "null_auth"]

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
    """How to authenticate: the names of the environment variables holding credentials, never the values.

    The provider manifest's `config.auth` supplies every default; an `--auth` entry overrides it.
    """

    type: AuthType = "null_auth"
    username_var: str = ""
    password_var: str = ""
    client_id_var: str = ""
    client_secret_var: str = ""
    token_url: str = ""
    scopes: tuple[str, ...] = ()

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
        """The settings a provider manifest's `config.auth` declares (the loader has checked it)."""
        return _settings_from_mapping({"type": config.type}, "the provider manifest's config.auth", config)


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
    # Used on a loopback endpoint when the variables are unset: a local emulator's documented defaults.
    loopback_credentials: tuple[str, str] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Built from checked Options, or directly by tests and tools: the same limits either way.
        check_seconds(self.connect_timeout, "connect_timeout")
        check_seconds(self.read_timeout, "read_timeout")
        check_count(self.retries, "retries", 0, MAX_RETRIES)
        check_count(self.concurrency, "concurrency", 1, MAX_CONCURRENCY)
        if self.on_error not in ("stop", "continue"):
            raise UsageError(f"on_error must be stop or continue, got {self.on_error!r}")
        if self.on_conflict not in ("fail", "existing"):
            raise UsageError(f"on_conflict must be fail or existing, got {self.on_conflict!r}")


def auth_from_document(
    document: Mapping[str, Any], provider: str, provider_auth: AuthConfig | None
) -> AuthSettings:
    """The auth for `provider`: its entry in the `--auth` document if given, else the manifest's;
    the manifest's `config.auth` fills in what the entry leaves out."""
    if not document:
        return AuthSettings.from_auth_config(provider_auth) if provider_auth is not None else AuthSettings()
    entry = document.get(provider)
    if entry is None:
        raise UsageError(
            f"--auth has no entry for provider '{provider}'",
            hint=f"providers given: {', '.join(map(str, document)) or 'none'}",
        )
    return check_auth_entry(entry, provider, provider_auth or AuthConfig(type="null_auth"))


def check_auth_entry(entry: Any, provider: str, defaults: AuthConfig | None = None) -> AuthSettings:
    """One provider's `--auth` entry as settings; `UsageError` naming keys only, never values.

    Without `defaults` (the provider not yet known) only the entry's own keys are checked."""
    if not isinstance(entry, dict):
        raise UsageError(f"--auth: '{provider}' must be a JSON object")
    return _settings_from_mapping(entry, f"--auth '{provider}'", defaults)


def _settings_from_mapping(entry: Mapping[str, Any], where: str, defaults: AuthConfig | None) -> AuthSettings:
    kind = entry.get("type")
    if kind not in _AUTH_KEYS:
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
    known = defaults or AuthConfig(type=kind)
    needed = defaults is not None
    if kind == "basic":
        return AuthSettings(
            type="basic",
            username_var=_var_name(entry, ("username_var",), known.username_var, where, needed),
            password_var=_var_name(entry, ("password_var",), known.password_var, where, needed),
        )
    if kind == "null_auth":
        return AuthSettings(type="null_auth")
    grant = entry.get("grant_type")
    if grant is not None and grant != "client_credentials":
        raise UsageError(f"{where}: only grant_type client_credentials is supported")
    token_url = entry.get("token_url") or known.token_url or ""
    valid = isinstance(token_url, str) and (token_url.startswith("/") or is_http_url(token_url))
    if (token_url or needed) and not valid:
        raise UsageError(f"{where}: token_url must be a path such as /oauth2/token or an http(s) URL")
    scopes = entry.get("scopes")
    if scopes is None:
        scopes = list(known.scopes)
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s and " " not in s for s in scopes):
        raise UsageError(f'{where}: scopes must be a list of scope names such as ["api:read"]')
    # An OAuth client's id and secret default to the variables the manifest names for the API key.
    client_id = known.client_id_var or known.username_var
    client_secret = known.client_secret_var or known.password_var
    return AuthSettings(
        type="oauth2",
        client_id_var=_var_name(entry, ("client_id_var", "client_id_env_var"), client_id, where, needed),
        client_secret_var=_var_name(
            entry, ("client_secret_var", "client_secret_env_var"), client_secret, where, needed
        ),
        token_url=token_url,
        scopes=tuple(scopes),
    )


def _var_name(
    entry: Mapping[str, Any], keys: tuple[str, ...], default: str | None, where: str, needed: bool
) -> str:
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
    if not default and needed:
        raise UsageError(
            f"{where}: {keys[0]} is required (the provider manifest's config.auth names no default)",
            hint="name the environment variable that holds the credential",
        )
    return default or ""


def check_seconds(value: Any, name: str) -> None:
    """`UsageError` unless `value` is a finite number of seconds greater than 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"{name} must be a number of seconds greater than 0, got {value:g}")


def check_count(value: Any, name: str, low: int, high: int) -> None:
    """`UsageError` unless `value` is a whole number from `low` to `high`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise UsageError(f"{name} must be between {low} and {high}, got {value}")
