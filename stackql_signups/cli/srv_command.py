"""Serve StackQL over the Postgres wire protocol: `stackql-signups srv [--pgsrv.port 5466] ...` (also
`stackql srv`, with StackQL's global flags).

psql, Postgres drivers and pystackql's server mode connect with user stackql, database stackql. Every
connection has its own session (USE, labels); requests go where `--endpoint` says, with the credentials
in the server's environment. Runs until SIGINT or SIGTERM, then lets the statements in flight finish.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from . import srv_flags
    from .exec_command import add_engine_arguments

    srv_flags.add_arguments(parser)
    add_engine_arguments(parser)


def add_stackql_arguments(parser: argparse.ArgumentParser) -> None:
    """`stackql srv`'s own flags: the server's, and the sending flags StackQL has no spelling for
    (`--timeout`, `--retries`, `--concurrency`, `--report`, ...); they replace a global of the same name."""
    from . import srv_flags
    from .flags import add_sending_arguments

    srv_flags.add_arguments(parser)
    add_sending_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ..server import serve
    from . import srv_flags
    from .flags import options_from_args

    server_options = srv_flags.from_args(args)
    engine = options_from_args(args)  # checked now, not at a client's first statement
    return serve(server_options, engine, report=args.report, verbose=args.verbose)
