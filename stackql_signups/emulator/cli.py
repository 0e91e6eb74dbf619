"""The `emulator` command: flags, start, serve until SIGINT/SIGTERM or POST /_emulator/shutdown."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

from .._errors import UsageError
from .config import (
    API_KEY_ENV,
    API_SECRET_ENV,
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    MAX_BODY_BYTES,
    STOP_AFTER_EXIT_STATUS,
    EmulatorConfig,
    credentials_from,
)

if TYPE_CHECKING:
    from .server import EmulatorServer

DESCRIPTION = "Run a local emulator of Confluent Cloud's Partner API signup operations."
EPILOG = f"""\
Operations (HTTP Basic with the API key and secret, or a Bearer token from POST /oauth2/token):
  POST /partner/v2/signup[?dry_run=true|false]
  POST /partner/v2/signup/activate
  POST /partner/v2/signup/link[?dry_run=true|false]
  POST /partner/v2/entitlements, GET /partner/v2/entitlements/{{id}}
Admin routes (HTTP Basic with the API key and secret; only requests addressed to the emulator's own
address are answered, and the state shows each partner as a label, never its key):
  GET /_emulator/state, GET /_emulator/requests,
  POST /_emulator/link-tokens {{"organization_id": ...}} -> {{"token": ...}}, POST /_emulator/shutdown
Credentials default to ${API_KEY_ENV} / ${API_SECRET_ENV} when set,
else {DEFAULT_API_KEY} / {DEFAULT_API_SECRET}.
Bodies over {MAX_BODY_BYTES} bytes are refused with 413. Without --state, the state lives in a temporary
SQLite file that is deleted when the emulator stops. --stop-after exits with status {STOP_AFTER_EXIT_STATUS}.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's flags to a parser (the `stackql-signups emulator` subcommand, or __main__)."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: 0, a free port)")
    parser.add_argument(
        "--state",
        metavar="FILE",
        default=None,
        help="SQLite file holding the state; it survives restarts (default: a temporary file)",
    )
    parser.add_argument(
        "--api-key", default=None, help=f"API key to accept (default: ${API_KEY_ENV} or {DEFAULT_API_KEY})"
    )
    parser.add_argument(
        "--api-secret",
        default=None,
        help=f"API secret to accept (default: ${API_SECRET_ENV} or {DEFAULT_API_SECRET})",
    )
    faults = parser.add_argument_group("faults", "simulate a slow, busy or failing API (API routes only)")
    faults.add_argument(
        "--latency",
        metavar="MS",
        type=float,
        default=0.0,
        help="answer each API request MS ms after it arrived",
    )
    faults.add_argument(
        "--rate-limit",
        metavar="R",
        type=float,
        default=None,
        help="allow R requests/second across all clients (token bucket, bursts of R); "
        "beyond it answer 429 with Retry-After and X-RateLimit-* headers",
    )
    faults.add_argument(
        "--fail-rate",
        metavar="P",
        type=float,
        default=0.0,
        help="answer this fraction (0..1) of API requests 500 without processing them",
    )
    faults.add_argument(
        "--drop-after-commit",
        metavar="P",
        type=float,
        default=0.0,
        help="for this fraction (0..1) of signups, commit and then close the connection with no answer",
    )
    faults.add_argument(
        "--stop-after",
        metavar="N",
        type=int,
        default=None,
        help=f"once N API requests were answered, exit (status {STOP_AFTER_EXIT_STATUS}) as if killed",
    )
    faults.add_argument(
        "--seed", metavar="S", type=int, default=None, help="seed the random faults (reproducible)"
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m stackql_signups.emulator [flags]`: the emulator without the main CLI."""
    parser = argparse.ArgumentParser(
        prog="python -m stackql_signups.emulator",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


def config_from(args: argparse.Namespace) -> EmulatorConfig:
    """The configuration the flags describe; raises UsageError for values out of range."""
    key, secret = credentials_from(os.environ, args.api_key, args.api_secret)
    try:
        return EmulatorConfig(
            host=args.host,
            port=args.port,
            state_path=args.state,
            api_key=key,
            api_secret=secret,
            latency_ms=args.latency,
            rate_limit=args.rate_limit,
            fail_rate=args.fail_rate,
            drop_after_commit=args.drop_after_commit,
            stop_after=args.stop_after,
            seed=args.seed,
        )
    except ValueError as exc:
        raise UsageError(str(exc), hint="see `--help` for the emulator's flags") from None


def _exit_as_killed() -> None:
    print("emulator: --stop-after reached; exiting as if killed", file=sys.stderr, flush=True)
    os._exit(STOP_AFTER_EXIT_STATUS)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT, SIGTERM or POST /_emulator/shutdown; prints the URL on stdout once listening."""
    from .server import EmulatorServer

    try:
        config = config_from(args)
    except UsageError as exc:
        print(exc.describe(), file=sys.stderr)
        return exc.exit_status
    server = EmulatorServer(config, on_stop_after=_exit_as_killed)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        server.request_stop()

    # Handlers first: a signal sent as soon as the ready line is read must already stop us cleanly.
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)
    try:
        return _serve(server, config)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _serve(server: EmulatorServer, config: EmulatorConfig) -> int:
    from .guard import is_loopback
    from .store import StoreError

    try:
        server.start()
    except StoreError as exc:
        print(UsageError(str(exc), hint="pass another --state file").describe(), file=sys.stderr)
        return UsageError.exit_status
    except OSError as exc:
        error = UsageError(
            f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}",
            hint="choose another --port, or 0 for a free one",
        )
        print(error.describe(), file=sys.stderr)
        return error.exit_status
    try:
        print(f"emulator listening on {server.url}", flush=True)
        if not is_loopback(config.host):
            print(
                f"warning: --host {config.host} is not a loopback address: anyone who can reach this port "
                "can use the emulator with its credentials (the defaults are public)",
                file=sys.stderr,
                flush=True,
            )
        print(
            f"emulator: API key {_shown_key(config.api_key)}; state in {server.state_path}",
            file=sys.stderr,
            flush=True,
        )
        # A timeout, so that signals are handled promptly on every platform.
        while not server.wait(0.2):
            pass
    finally:
        server.stop()
    return 0


def _shown_key(key: str) -> str:
    """The documented default key as it is; a real-looking one only by its first characters (logs are read
    by others, and an API key names the account)."""
    return repr(key) if key == DEFAULT_API_KEY else f"{key[:4]!r}... ({len(key)} characters)"
