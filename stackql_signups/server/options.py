"""The server's own settings: where to listen, the password, TLS; checked when built (flags: cli/)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

from .._errors import UsageError

DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 5466
PASSWORD_ENV = "STACKQL_SIGNUPS_SRV_PASSWORD"
AuthMethod = Literal["scram-sha-256", "md5"]


@dataclass(frozen=True)
class ServerOptions:
    """Where and how clients connect; `password` None means loopback without a password."""

    address: str = DEFAULT_ADDRESS
    port: int = DEFAULT_PORT
    password: str | None = field(default=None, repr=False)
    auth_method: AuthMethod = "scram-sha-256"
    tls_cert: str | None = None
    tls_key: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise UsageError(f"--pgsrv.port must be between 0 and 65535, got {self.port}")
        if self.password is None and not is_loopback(self.address):
            raise UsageError(
                f"listening on {self.address}, which is not a loopback address, needs a password",
                hint=f"put it in the environment variable {PASSWORD_ENV} (or the one --pgsrv.password-env "
                "names) or in a file given with --pgsrv.password-file; never on the command line",
            )
        if (self.tls_cert is None) != (self.tls_key is None):
            raise UsageError("TLS needs both --pgsrv.tls.cert and --pgsrv.tls.key")


def is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything, so it counts as reachable from outside
