"""A session's settings: one frozen, typed object, checked when it is built.

Every front end builds one (`cli/flags.py` from the command line, `connect()` from keyword arguments) and a
mistake is refused with the message the command-line flag gives, before anything is prepared or sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import UsageError
from .dispatch.config import (
    MAX_CONCURRENCY,
    MAX_RETRIES,
    AuthSettings,
    DispatchConfig,
    OnConflict,
    OnError,
    auth_from_document,
    check_auth_entry,
    check_count,
    check_seconds,
)
from .dispatch.endpoint import is_http_url
from .manifest.model import AuthConfig

LOCAL = "local"
"""`endpoint="local"`: the session runs the built-in emulator in this process and sends to it."""


@dataclass(frozen=True)
class Options:
    """How statements are sent: where, with which credentials, how patiently and how many at once.

    `auth` is StackQL's `--auth` JSON text (names of environment variables, never their values);
    `registry` a provider registry root (None: the manifest shipped with the tool); `state` the built-in
    emulator's SQLite file for `endpoint="local"`.
    """

    endpoint: str | None = None
    auth: str | None = field(default=None, repr=False)
    connect_timeout: float = 10.0
    timeout: float = 30.0
    insecure: bool = False
    retries: int = 2
    concurrency: int = 1
    on_error: OnError = "stop"
    on_conflict: OnConflict = "fail"
    registry: str | None = None
    state: str | None = None

    def __post_init__(self) -> None:
        _check_endpoint(self.endpoint)
        check_seconds(self.connect_timeout, "--connect-timeout")
        check_seconds(self.timeout, "--timeout")
        check_count(self.retries, "--retries", 0, MAX_RETRIES)
        check_count(self.concurrency, "--concurrency", 1, MAX_CONCURRENCY)
        if self.on_error not in ("stop", "continue"):
            raise UsageError(f"--on-error must be stop or continue, got {self.on_error!r}")
        if self.on_conflict not in ("fail", "existing"):
            raise UsageError(f"--on-conflict must be fail or existing, got {self.on_conflict!r}")
        if self.auth is not None:
            for provider, entry in auth_document(self.auth).items():
                check_auth_entry(entry, provider)

    def auth_for(self, provider: str, provider_auth: AuthConfig | None) -> AuthSettings:
        """`provider`'s credentials: its `auth` entry if one is given, else the manifest's `config.auth`."""
        document = auth_document(self.auth) if self.auth is not None else {}
        return auth_from_document(document, provider, provider_auth)

    def dispatch_config(
        self, auth: AuthSettings, endpoint: str | None, loopback: tuple[str, str] | None = None
    ) -> DispatchConfig:
        """The dispatch stage's settings; `endpoint` is the URL to send to (None: the manifest's),
        `loopback` the credentials to use on this machine when the variables are unset."""
        return DispatchConfig(
            endpoint=endpoint,
            connect_timeout=self.connect_timeout,
            read_timeout=self.timeout,
            verify_tls=not self.insecure,
            retries=self.retries,
            auth=auth,
            concurrency=self.concurrency,
            on_error=self.on_error,
            on_conflict=self.on_conflict,
            loopback_credentials=loopback,
        )

    @property
    def url(self) -> str | None:
        """The base URL `endpoint` names: None for the manifest's server, and for "local" (whose URL is
        known once the session has started the emulator)."""
        return None if self.endpoint is None or self.endpoint == LOCAL else self.endpoint.rstrip("/")


def auth_document(text: str) -> Mapping[str, Any]:
    """`--auth` parsed: a JSON object keyed by provider name; messages never echo values."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"--auth is not valid JSON: {exc.msg} at character {exc.pos + 1}",
            hint='write --auth=\'{"PROVIDER": {"type": "basic", "username_var": "MY_KEY", '
            '"password_var": "MY_SECRET"}}\'',
        ) from None
    if not isinstance(document, dict):
        raise UsageError("--auth must be a JSON object keyed by provider name")
    return document


def _check_endpoint(value: str | None) -> None:
    if value is None or value == LOCAL:
        return
    if not isinstance(value, str) or not is_http_url(value):
        raise UsageError(
            f"--endpoint must be an http:// or https:// URL, got {value!r}",
            hint="e.g. --endpoint http://127.0.0.1:8080, or --endpoint local for the built-in emulator",
        )
