"""`srv`'s own flags (`--pgsrv.*`) and the `ServerOptions` they map onto (never the password itself)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from .._errors import UsageError
from ..server.options import DEFAULT_ADDRESS, DEFAULT_PORT, PASSWORD_ENV, ServerOptions


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
