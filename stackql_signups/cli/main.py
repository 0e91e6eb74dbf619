"""Entry point: `stackql-signups exec|shell|srv|emulator`; each error is one message and an exit status."""

from __future__ import annotations

import argparse
import gc
import io
import sys
from collections.abc import Sequence
from typing import NoReturn

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


def run() -> NoReturn:
    """The `stackql-signups` command."""
    exit_with(main())


def exit_with(status: int) -> NoReturn:
    """End the process with `status`, without the interpreter's last garbage collection.

    That collection walks every object the run made (about 20 ms of each command, which pystackql pays per
    statement) to free what the process's end frees anyway; files and connections are closed by now.
    """
    gc.freeze()
    sys.exit(status)


def writable_streams() -> None:
    """stdout and stderr write a character UTF-8 cannot hold (a lone surrogate an API sent as `\\ud800`)
    as that escape, rather than failing halfway through the output."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    writable_streams()
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command)
    unknown = _unknown_flag(parser, command, argv)
    if unknown is not None:
        print(unknown.describe(), file=sys.stderr)
        return unknown.exit_status
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


def _unknown_flag(parser: argparse.ArgumentParser, command: str | None, argv: list[str]) -> Error | None:
    """A flag the command does not have, with the nearest one it has (`--dry-run` -> `--dryrun`).

    argparse alone prints the top-level usage for a subcommand's unknown flag, which names no flag."""
    import difflib
    import re

    from .._errors import UsageError

    sub = next(
        (
            choice
            for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for name, choice in action.choices.items()
            if name == command
        ),
        None,
    )
    if sub is None:
        return None
    known = [option for action in sub._actions for option in action.option_strings]
    for arg in argv:
        if arg == "--":
            break
        flag = arg.split("=", 1)[0]
        if not re.fullmatch(r"--[A-Za-z][A-Za-z0-9_-]*", flag):
            continue  # not a flag: a query may start with a `--` comment
        if flag in known or any(k.startswith(flag) for k in known):
            continue  # argparse takes unambiguous prefixes of long flags
        close = difflib.get_close_matches(flag, [k for k in known if k.startswith("--")], n=1, cutoff=0.6)
        suggestion = f"did you mean {close[0]}? " if close else ""
        return UsageError(
            f"{command} has no flag {flag}", hint=f"{suggestion}stackql-signups {command} --help lists them"
        )
    return None


if __name__ == "__main__":
    sys.exit(main())
