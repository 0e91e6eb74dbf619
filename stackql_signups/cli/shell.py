"""`stackql-signups shell`: the interactive SQL shell (or a script, when stdin is not a terminal)."""

from __future__ import annotations

import argparse
import sys

from .._errors import UsageError
from . import inputs
from .flags import options_from_args


def run(args: argparse.Namespace) -> int:
    from ..present import Presenter
    from ..present.outcomes import retry_notice, verbose_line
    from ..session import Session
    from ..shell.repl import Shell, interactive, scripted

    if len(args.delimiter) != 1:
        raise UsageError("-d/--delimiter must be one character")
    options = options_from_args(args)
    variables = inputs.variables(args.iqldata, args.var)
    session = Session(options, log=verbose_line if args.verbose else None, on_retry=retry_notice)
    presenter = Presenter(sys.stdout, args.output, args.hideheaders, args.delimiter)
    shell = Shell(session, presenter, variables)
    if sys.stdin.isatty():
        return interactive(shell)
    return scripted(shell, sys.stdin)
