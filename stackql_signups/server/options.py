"""The server's own settings (`--pgsrv.*`): where to listen, the password, TLS; checked before listening."""

from __future__ import annotations

import argparse
import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("serving (Postgres wire protocol)")
    group.add_argument(
        "--pgsrv.address",
        dest="pgsrv_address",
        default=DEFAULT_ADDRESS,
        metavar="ADDRESS",
        help=f"address to listen on (default {DEFAULT_ADDRESS}); any other than loopback needs a password",
    )
    group.add_argument(
        "--pgsrv.port",
        dest="pgsrv_port",
        default=str(DEFAULT_PORT),
        metavar="PORT",
        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    group.add_argument(
        "--pgsrv.password-env",
        dest="pgsrv_password_env",
        default=PASSWORD_ENV,
        metavar="NAME",
        help=f"environment variable holding the clients' password (default {PASSWORD_ENV})",
    )
    group.add_argument(
        "--pgsrv.password-file",
        dest="pgsrv_password_file",
        metavar="FILE",
        help="file holding the clients' password (its first line)",
    )
    group.add_argument(
        "--pgsrv.auth",
        dest="pgsrv_auth",
        default="scram-sha-256",
        choices=("scram-sha-256", "md5"),
        help="how clients prove the password (default scram-sha-256)",
    )
    group.add_argument(
        "--pgsrv.tls.cert", dest="pgsrv_tls_cert", metavar="FILE", help="TLS certificate (PEM)"
    )
    group.add_argument("--pgsrv.tls.key", dest="pgsrv_tls_key", metavar="FILE", help="TLS private key (PEM)")


def from_args(args: argparse.Namespace) -> ServerOptions:
    """The options the flags ask for; the password from the file or the environment, never a flag."""
    try:
        port = int(args.pgsrv_port, 10)
    except ValueError:
        raise UsageError(f"--pgsrv.port must be a whole number, got {args.pgsrv_port!r}") from None
    return ServerOptions(
        address=args.pgsrv_address,
        port=port,
        password=_password(args.pgsrv_password_file, args.pgsrv_password_env),
        auth_method=args.pgsrv_auth,
        tls_cert=_readable(args.pgsrv_tls_cert, "--pgsrv.tls.cert"),
        tls_key=_readable(args.pgsrv_tls_key, "--pgsrv.tls.key"),
    )


def _password(path: str | None, variable: str) -> str | None:
    if path is not None:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read --pgsrv.password-file {path}: {exc.strerror}") from None
        if not lines or not lines[0]:
            raise UsageError(f"--pgsrv.password-file {path} is empty: its first line is the password")
        return lines[0]
    return os.environ.get(variable) or None


def _readable(path: str | None, flag: str) -> str | None:
    if path is not None and not os.access(path, os.R_OK):
        raise UsageError(f"cannot read {flag} {path}")
    return path
