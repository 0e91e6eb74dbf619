"""Where requests go: the manifest's server, or `--endpoint`, and whether that is this machine."""

from __future__ import annotations

import ipaddress
from urllib.parse import urljoin, urlsplit, urlunsplit

from .._errors import UsageError


def base_url(server: str, endpoint: str | None) -> str:
    """The base URL to send to: `endpoint` replaces scheme and host, and the path too when it has one."""
    if endpoint is None:
        if not server:
            raise UsageError("the method's manifest declares no server", hint="pass --endpoint URL")
        return server.rstrip("/")
    target = urlsplit(endpoint)
    path = target.path.rstrip("/") or urlsplit(server).path.rstrip("/")
    return urlunsplit((target.scheme, target.netloc, path, "", ""))


def is_http_url(value: str) -> bool:
    """Whether `value` is an http(s) URL with a host and neither query nor fragment."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query and not parts.fragment
    )


def resolve(base: str, url: str) -> str:
    """`url` (absolute, or a path such as `/oauth2/token`) against the host of `base`."""
    return urljoin(base.rstrip("/") + "/", url)


def is_loopback(url: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: an emulator, never the real API."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
