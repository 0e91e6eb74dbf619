"""`stackql-signups shell`: the interactive SQL shell (or a script, when stdin is not a terminal)."""

from __future__ import annotations

import argparse
import sys

from ..manifest import Registry, root_from_option
from . import inputs


def run(args: argparse.Namespace) -> int:
    from ..shell.repl import Shell, interactive, scripted

    variables = inputs.variables(args.iqldata, args.var)
    shell = Shell(args, Registry(root_from_option(args.registry)), variables)
    if sys.stdin.isatty():
        return interactive(shell)
    return scripted(shell, sys.stdin)
