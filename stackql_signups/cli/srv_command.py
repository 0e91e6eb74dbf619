"""Serve StackQL over the Postgres wire protocol: `stackql-signups srv [--pgsrv.port 5466] ...`.

psql, Postgres drivers and pystackql's server mode connect with user stackql, database stackql. Every
connection has its own session (USE, labels); requests go where `--endpoint` says, with the credentials
in the server's environment. Runs until SIGINT or SIGTERM, then lets the statements in flight finish.
"""

from __future__ import annotations

import argparse

from ..dispatch import config_from_args
from ..manifest import Registry, root_from_option


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..server import options
    from .exec_command import add_engine_arguments

    options.add_arguments(parser)
    add_engine_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ..server import options, serve

    server_options = options.from_args(args)
    # The engine's flags are checked now, not at a client's first statement.
    registry = Registry(root_from_option(args.registry))
    for name in registry.provider_names():
        config_from_args(args, registry.provider(name).auth, provider=name)
    return serve(server_options, args)
