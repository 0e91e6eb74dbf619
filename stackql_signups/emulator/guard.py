"""Who may talk to the emulator: the Host and Origin it accepts, and the label that stands for a partner.

A browser page can reach 127.0.0.1 (a cross-origin form POST, or a DNS name rebound to 127.0.0.1); the
admin routes answer only requests that name the emulator's own address and carry its API credentials.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
ANY_ADDRESS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class HostGuard:
    """The host names the emulator answers to, and its port; no names: any (it listens everywhere)."""

    names: frozenset[str] | None
    port: int | None

    @classmethod
    def for_address(cls, host: str, base_url: str) -> HostGuard:
        port = urlsplit(base_url).port
        if host in ANY_ADDRESS:
            return cls(None, port)
        bare = host.strip("[]").lower()
        names = {bare, *(n.strip("[]") for n in LOOPBACK_NAMES)} if is_loopback(host) else {bare}
        return cls(frozenset(names), port)

    def host_ok(self, host: str | None, required: bool) -> bool:
        """A Host naming another machine is a DNS name rebound to this address by some web page."""
        if host is None:
            return not required  # HTTP/1.0 clients send none; the admin routes insist
        name = _hostname(host)
        return name is not None and (self.names is None or name in self.names)

    def origin_ok(self, origin: str | None) -> bool:
        """A browser marks what a page of another site sends with its Origin: only our own is let through."""
        if origin is None:
            return True
        try:
            parts = urlsplit(origin.strip())
            port = parts.port
        except ValueError:
            return False
        name = (parts.hostname or "").lower()
        return self.names is not None and name in self.names and port == self.port


def _hostname(host: str) -> str | None:
    try:
        name = urlsplit("//" + host.strip()).hostname
    except ValueError:
        return None
    return name.lower() if name else None


def partner_label(partner: str) -> str:
    """A stable name for a partner (an API key or OAuth client id) that does not give the credential away."""
    return "partner-" + hashlib.sha256(partner.encode("utf-8")).hexdigest()[:12]
