"""Where requests go: the manifest's server, or `--endpoint`, and whether that is this machine."""

from __future__ import annotations

import ipaddress
from urllib.parse import urljoin, urlsplit, urlunsplit

from .._errors import UsageError
from .config import LOCAL_ENDPOINT


def base_url(server: str, endpoint: str | None) -> str:
    """The base URL to send to: `endpoint` replaces scheme and host, and the path too when it has one."""
    if endpoint is None:
        if not server:
            raise UsageError("the method's manifest declares no server", hint="pass --endpoint URL")
        return server.rstrip("/")
    if endpoint == LOCAL_ENDPOINT:
        # The CLI starts the emulator and replaces "local" with its URL before dispatching.
        raise UsageError("--endpoint local was not replaced by the emulator's URL")
    target = urlsplit(endpoint)
    path = target.path.rstrip("/") or urlsplit(server).path.rstrip("/")
    return urlunsplit((target.scheme, target.netloc, path, "", ""))


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
