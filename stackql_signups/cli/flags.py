"""The sending flags of `exec` and `shell`, and the `Options` they map onto (checked when built)."""

from __future__ import annotations

import argparse

from .._errors import UsageError
from ..options import Options


def add_sending_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the flags that say where and how requests are sent."""
    group = parser.add_argument_group("sending requests")
    group.add_argument(
        "--endpoint",
        metavar="URL",
        help="send to this base URL instead of the manifest's server (e.g. http://127.0.0.1:8080), "
        "or 'local' for the built-in emulator",
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
        help="when the API answers 409 because the object already exists (the same entitlement "
        "external_id, or an activation already done): fail (default), or report the existing "
        "object as the statement's result, so a re-run finishes what a failed run left undone",
    )
    group.add_argument(
        "--concurrency", metavar="N", help="send up to N independent statements at once (default 1)"
    )
    group.add_argument(
        "--report",
        metavar="FILE",
        help="write each statement's outcome to FILE as one JSON object per line, as it is known: "
        "statement, label, status (succeeded, failed, unknown, not_sent), existing, http_status, "
        "request_id, attempts, the result's id (organization_id), error",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log each HTTP request line and response status on stderr (credentials masked)",
    )


def options_from_args(args: argparse.Namespace) -> Options:
    """The `Options` the flags ask for; a bad value is a `UsageError` naming its flag."""
    given: dict[str, object] = {
        "endpoint": args.endpoint,
        "auth": args.auth,
        "connect_timeout": _seconds(args.connect_timeout, "--connect-timeout"),
        "timeout": _seconds(args.timeout, "--timeout"),
        "insecure": args.insecure,
        "retries": _whole(args.retries, "--retries"),
        "concurrency": _whole(args.concurrency, "--concurrency"),
        "on_error": args.on_error,
        "on_conflict": args.on_conflict,
        "registry": args.registry,
        "state": args.state,
    }
    return Options(**{name: value for name, value in given.items() if value is not None})  # type: ignore[arg-type]


def _seconds(text: str | None, flag: str) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{flag} must be a number of seconds, got {text!r}") from None


def _whole(text: str | None, flag: str) -> int | None:
    if text is None:
        return None
    try:
        return int(text, 10)
    except ValueError:
        raise UsageError(f"{flag} must be a whole number, got {text!r}") from None
