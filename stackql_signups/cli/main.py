"""Entry point: `stackql-signups exec|shell|srv|emulator`; each error is one message and an exit status."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from .._errors import Error
from . import environment

EXIT_OK = 0


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only `command`'s own flags are built, so a start imports no other command's code."""
    parser = argparse.ArgumentParser(
        prog="stackql-signups",
        description="Run StackQL statements against Confluent Cloud's partner signup API (or its emulator).",
    )
    parser.add_argument("--version", action="version", version=f"stackql-signups {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    from . import exec_command

    exec_parser = commands.add_parser("exec", help="run a query or script", description=exec_command.__doc__)
    if command != "shell":
        exec_command.add_arguments(exec_parser)
    exec_parser.set_defaults(handler=exec_command.run)

    shell_parser = commands.add_parser("shell", help="an interactive SQL shell")
    if command not in ("exec", "emulator"):  # two dozen flags each: build only the ones in use
        exec_command.add_arguments(shell_parser, shell=True)
    shell_parser.set_defaults(handler=_run_shell)

    srv_parser = commands.add_parser(
        "srv", help="serve over the Postgres wire protocol (psql, drivers, pystackql server mode)"
    )
    if command == "srv":
        from . import srv_command

        srv_command.add_arguments(srv_parser)
        srv_parser.description = srv_command.__doc__
    srv_parser.set_defaults(handler=_run_srv)

    emulator_parser = commands.add_parser(
        "emulator",
        help="serve a local emulator of the Partner API",
        description="A local Partner API emulator.",
    )
    if command == "emulator":
        _emulator_arguments(emulator_parser)
    emulator_parser.set_defaults(handler=_run_emulator)
    return parser


def _emulator_arguments(parser: argparse.ArgumentParser) -> None:
    from ..emulator import cli as emulator_cli

    emulator_cli.add_arguments(parser)


def _run_emulator(args: argparse.Namespace) -> int:
    from ..emulator import cli as emulator_cli

    return emulator_cli.run(args)


def _run_srv(args: argparse.Namespace) -> int:
    from .srv_command import run

    return run(args)


def _run_shell(args: argparse.Namespace) -> int:
    from .shell import run

    return run(args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        environment.apply(args)  # STACKQL_SIGNUPS_*: a flag wins over its variable
        status: int = args.handler(args)
    except Error as exc:
        print(exc.describe(), file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return status


if __name__ == "__main__":
    sys.exit(main())
