"""StackQL's command line (`stackql [flags] exec|shell ...`), read into the options `stackql-signups` uses.

Every flag pystackql and stackql-deploy pass is accepted. Those with a meaning here are mapped onto the
existing exec options; the others are accepted and have no effect (listed in `NO_EFFECT`, and the README).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence
from typing import NoReturn

from .._errors import UsageError

OUTPUTS = ("table", "json", "jsonl", "csv", "text", "prettyjson")

# StackQL flags accepted without effect: (flag, what StackQL does with it). They take a value.
NO_EFFECT: tuple[tuple[str, str], ...] = (
    ("--execution.concurrency.limit", "concurrency of StackQL's query planner"),
    ("--dataflow.dependency.max", "depth of StackQL's dataflow graph"),
    ("--dataflow.components.max", "size of StackQL's dataflow graph"),
    ("--http.response.maxResults", "page size of list calls"),
    ("--http.response.pageLimit", "pages followed by list calls"),
    ("--indirect.depth.max", "depth of views and subqueries"),
    ("--sqlBackend", "StackQL's embedded SQL database"),
    ("--dbInternal", "StackQL's housekeeping queries"),
    ("--namespaces", "StackQL's analytics cache namespaces"),
    ("--session", "StackQL's session settings"),
    ("--store.txn", "StackQL's transaction store"),
    ("--cache.key.count", "StackQL's metadata cache"),
    ("--cache.ttl", "StackQL's metadata cache"),
    ("--export.alias", "StackQL's export alias"),
    ("--cpuprofile", "Go CPU profiling"),
    ("--loglevel", "StackQL's log level"),
    ("--colorscheme", "colours of StackQL's shell"),
    ("--tls.CABundle", "extra CA certificates (here: SSL_CERT_FILE)"),
    ("--http.proxy.host", "an HTTP proxy (here: HTTPS_PROXY / HTTP_PROXY)"),
    ("--http.proxy.port", "an HTTP proxy"),
    ("--http.proxy.user", "an HTTP proxy"),
    ("--http.proxy.password", "an HTTP proxy"),
    ("--http.proxy.scheme", "an HTTP proxy"),
)
# The Postgres server's flags: kept for `stackql srv`, without effect for exec and shell.
PGSRV = ("--pgsrv.address", "--pgsrv.port", "--pgsrv.loglevel")
BOOLEAN_FLAGS = (
    "--http.log.enabled",
    "--tls.allowInsecure",
    "--hideheaders",
    "--dryrun",
    "--verbose",
    "--pgsrv.debug.enable",
)
_TRUE = ("true", "t", "1")
_FALSE = ("false", "f", "0")
_NEXT_VAR = re.compile(r",(?=\s*[A-Za-z_][A-Za-z0-9_]*=)")


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors raised as `UsageError`: they print StackQL-style, `error: ...`."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, hint="stackql --help lists the flags")


def build_parser(
    commands: Sequence[str], own_flags: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.ArgumentParser:
    """One parser for StackQL's global flags, which may stand before or after the command (as cobra's).

    `own_flags` adds the chosen command's own flags last; they replace a global flag of the same name
    (a server command's `--pgsrv.port`, which exec and shell accept without effect).
    """
    parser = _Parser(
        prog="stackql",
        description="stackql-signups, standing in for the stackql binary (for pystackql and stackql-deploy).",
        allow_abbrev=False,
        conflict_handler="resolve",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("command", nargs="?", choices=list(commands), help="what to run")
    parser.add_argument("query", nargs="?", help="exec: the statements to run (else -i FILE, else stdin)")
    mapped = parser.add_argument_group("StackQL flags with an effect here")
    mapped.add_argument("-o", "--output", choices=OUTPUTS, default="table", help="result format")
    mapped.add_argument("-H", "--hideheaders", action="store_true", help="leave out the header row")
    mapped.add_argument("-d", "--delimiter", default=",", help="csv delimiter (default ,)")
    mapped.add_argument("-i", "--infile", metavar="FILE", help="read the statements from FILE")
    mapped.add_argument("-f", "--outfile", metavar="FILE", help="write results to FILE instead of stdout")
    mapped.add_argument("-q", "--iqldata", metavar="FILE", action="append", help="template data (JSON/YAML)")
    mapped.add_argument("--var", action="append", default=[], metavar="NAME=VALUE[,NAME=VALUE]")
    mapped.add_argument("--dryrun", action="store_true", help="print the planned requests; send nothing")
    mapped.add_argument("--auth", metavar="JSON", help="credentials by environment variable name")
    mapped.add_argument("--registry", metavar="JSON|DIR", help='{"url": "file:///dir"}: another registry')
    mapped.add_argument("--apirequesttimeout", metavar="S", help="seconds to wait for a response; 0: default")
    mapped.add_argument("--http.log.enabled", dest="http_log", action="store_true", help="log HTTP requests")
    mapped.add_argument(
        "-v", "--verbose", action="store_true", help="log HTTP requests (as --http.log.enabled)"
    )
    mapped.add_argument("--tls.allowInsecure", dest="insecure", action="store_true", help="skip TLS checks")
    mapped.add_argument("--approot", metavar="DIR", help="with the local emulator: its state lives here")
    ours = parser.add_argument_group("stackql-signups settings (also STACKQL_SIGNUPS_* variables)")
    ours.add_argument("--endpoint", metavar="URL|local", help="send here instead of the API's server")
    ours.add_argument("--state", metavar="FILE", help="with --endpoint local: the emulator's state file")
    ours.add_argument("--on-conflict", metavar="fail|existing", help="a 409 for an existing customer")
    ignored = parser.add_argument_group("StackQL flags accepted without effect")
    for flag, what in NO_EFFECT:
        ignored.add_argument(flag, metavar="V", help=f"no effect ({what})")
    for flag in PGSRV:
        ignored.add_argument(flag, dest=flag[2:].replace(".", "_"), metavar="V", help="a server's flag")
    ignored.add_argument("--pgsrv.debug.enable", dest="pgsrv_debug_enable", action="store_true")
    if own_flags is not None:
        own_flags(parser)
    return parser


def normalize(argv: Sequence[str]) -> list[str]:
    """pflag's `--flag=true|false` for boolean flags, which argparse does not read."""
    out: list[str] = []
    for arg in argv:
        name, sep, value = arg.partition("=")
        if sep and name in BOOLEAN_FLAGS:
            if value.lower() in _TRUE:
                out.append(name)
            elif value.lower() not in _FALSE:
                raise UsageError(f"{name} takes true or false, got {value[:40]!r}")
            continue
        out.append(arg)
    return out


def exec_options(flags: argparse.Namespace) -> argparse.Namespace:
    """The options of `stackql-signups exec` (and shell) that StackQL's flags ask for; a command's own
    flags are kept as they were parsed."""
    mapped = dict(
        query=flags.query,
        infile=flags.infile,
        outfile=flags.outfile,
        dryrun=flags.dryrun,
        output="json" if flags.output == "prettyjson" else flags.output,
        pretty=flags.output == "prettyjson",
        hideheaders=flags.hideheaders,
        delimiter=flags.delimiter,
        var=split_vars(flags.var),
        iqldata=flags.iqldata,
        registry=flags.registry,
        state=flags.state,
        approot=flags.approot,
        endpoint=flags.endpoint,
        auth=flags.auth,
        connect_timeout=None,
        timeout=_timeout(flags.apirequesttimeout),
        insecure=flags.insecure,
        retries=None,
        concurrency=None,
        on_error=None,
        on_conflict=flags.on_conflict,
        report=None,
        verbose=flags.verbose or flags.http_log,
        proxy_host=getattr(flags, "http.proxy.host", None),
    )
    parsed = vars(flags)
    # A command's own flag of the same name (a server's --timeout) is not overwritten by an unset mapping.
    mapped = {k: v for k, v in mapped.items() if v is not None or parsed.get(k) is None}
    return argparse.Namespace(**{**parsed, **mapped})


def split_vars(values: list[str]) -> list[str]:
    """StackQL's `--var a=1,b=2` holds several; a comma inside a value (JSON) stays in it."""
    return [part for value in values for part in _NEXT_VAR.split(value)]


def _timeout(value: str | None) -> str | None:
    """`--apirequesttimeout`: StackQL's 0 (no limit) keeps our default, so a request can never hang."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise UsageError(f"--apirequesttimeout must be a number of seconds, got {value[:40]!r}") from None
    return None if seconds <= 0 else value
