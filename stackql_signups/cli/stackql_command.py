"""The `stackql` console script: StackQL's command line, so pystackql and stackql-deploy run unchanged.

A thin front end: StackQL's flags are read into the options `stackql-signups exec` uses and the same
pipeline runs; only the reporting follows StackQL (see stackql_exec). Commands live in `COMMANDS`, so
another one (`srv`) is one entry more.
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from .. import __version__
from .._errors import Error, UsageError
from . import environment, stackql_exec, stackql_flags
from .main import exit_with, writable_streams

EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Command:
    """One `stackql` command: `run` gets the parsed flags and returns the exit status; `add_arguments`
    adds the command's own flags to StackQL's global ones."""

    summary: str
    run: Callable[[argparse.Namespace], int]
    takes_query: bool = False
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None


def options(flags: argparse.Namespace) -> argparse.Namespace:
    """The exec options for these flags, with STACKQL_SIGNUPS_* variables where no flag was given."""
    mapped = environment.apply(stackql_flags.exec_options(flags))
    if mapped.state is None and mapped.approot:
        # StackQL keeps its data under --approot; so does the emulator that `--endpoint local` runs.
        mapped.state = str(Path(mapped.approot).expanduser() / "stackql-signups" / "emulator.sqlite3")
    if mapped.proxy_host:
        print("warning: --http.proxy.* has no effect here; set HTTPS_PROXY instead", file=sys.stderr)
    return mapped


def _exec(flags: argparse.Namespace) -> int:
    return stackql_exec.run(options(flags))


def _shell(flags: argparse.Namespace) -> int:
    from .shell import run

    return run(options(flags))


def _srv(flags: argparse.Namespace) -> int:
    from . import srv_command

    return srv_command.run(options(flags))


def _srv_arguments(parser: argparse.ArgumentParser) -> None:
    from . import srv_command

    srv_command.add_stackql_arguments(parser)


COMMANDS: dict[str, Command] = {
    "exec": Command("run a query or script (from the argument, -i FILE or stdin)", _exec, takes_query=True),
    "shell": Command("an interactive SQL shell", _shell),
    "srv": Command(
        "serve over the Postgres wire protocol (psql, drivers, pystackql server mode)",
        _srv,
        add_arguments=_srv_arguments,
    ),
}


def version_text() -> str:
    """StackQL's first line (`stackql v<version> <platform> (<sha>)`, read by pystackql), then ours."""
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    return (
        f"stackql v{__version__} {platform.system().lower()}/{machine} (stackql-signups)\n"
        f"stackql-signups {__version__}: a stand-in for StackQL's stackql binary "
        "(provider confluent, resource partner.signups)"
    )


def run() -> NoReturn:
    """The `stackql` command."""
    exit_with(main())


def main(argv: Sequence[str] | None = None) -> int:
    writable_streams()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        named = next((COMMANDS[a] for a in args if a in COMMANDS), None)  # only its own flags are built
        parser = stackql_flags.build_parser(list(COMMANDS), named.add_arguments if named else None)
        flags = parser.parse_args(stackql_flags.normalize(args))
        if flags.version:
            print(version_text())
            return 0
        if flags.command is None:
            raise UsageError("no command given", hint=f"commands: {', '.join(COMMANDS)}; stackql --help")
        command = COMMANDS[flags.command]
        if flags.query is not None and not command.takes_query:
            raise UsageError(
                f"stackql {flags.command} takes no query argument", hint="pass it to stackql exec"
            )
        return command.run(flags)
    except stackql_exec.Failed as failed:
        print(stackql_exec.error_text(failed.error), file=sys.stderr)
        for note in failed.notes:
            print(note, file=sys.stderr)
        return failed.exit_status
    except Error as exc:
        print(stackql_exec.error_text(exc), file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    run()
