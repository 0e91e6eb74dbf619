"""Run a query or a script: `stackql-signups exec [QUERY] [-i FILE] [-o FORMAT] [--dryrun] ...`."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import TextIO

from .._errors import UsageError
from ..present import FORMATS, Presenter
from ..sql.splitter import has_code
from . import inputs
from .flags import add_sending_arguments, options_from_args


def add_arguments(parser: argparse.ArgumentParser, shell: bool = False) -> None:
    if not shell:
        parser.add_argument("query", nargs="?", help="the statements to run (else -i FILE, else stdin)")
        parser.add_argument("-i", "--infile", metavar="FILE", help="read the statements from FILE")
        parser.add_argument(
            "--dryrun", action="store_true", help="plan every request and print it; send nothing"
        )
        parser.add_argument("-f", "--outfile", metavar="FILE", help="write results to FILE instead of stdout")
    parser.add_argument(
        "-o", "--output", choices=FORMATS, default="table", help="result format (default table)"
    )
    parser.add_argument("-H", "--hideheaders", action="store_true", help="leave out the header row")
    parser.add_argument("-d", "--delimiter", default=",", help="csv delimiter (default ,)")
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template variable (VALUE is parsed as JSON when it is valid JSON)",
    )
    parser.add_argument(
        "-q",
        "--iqldata",
        metavar="FILE",
        action="append",
        help="template variables from a JSON or YAML file (a mapping); a CSV/TSV file's rows become the "
        "variable named after the file (customers.csv -> customers), or NAME=FILE; repeatable",
    )
    add_engine_arguments(parser)


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of which manifest and where and how statements are sent; `srv` takes them too."""
    parser.add_argument(
        "--registry",
        metavar="DIR|JSON",
        help="provider registry root (default: the manifest shipped with the tool)",
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="with --endpoint local: the emulator's SQLite state file (default: in the user's data folder)",
    )
    add_sending_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from ..present.outcomes import OutcomePrinter, retry_notice, summary_worth_printing, verbose_line
    from ..session import Session

    if len(args.delimiter) != 1:
        raise UsageError("-d/--delimiter must be one character")
    options = options_from_args(args)
    script = inputs.query_text(args.query, args.infile)
    if not has_code(script.replace(";", " ")):
        raise UsageError(
            "there is no statement to run (the query is empty or only comments)",
            hint='for example: stackql-signups exec "SHOW METHODS IN confluent.partner.signups"',
        )
    variables = inputs.variables(args.iqldata, args.var)
    with Session(options, log=verbose_line if args.verbose else None, on_retry=retry_notice) as session:
        if args.dryrun:
            from . import dryrun

            return dryrun.run(script, variables, session, args, _output)
        steps = session.prepare(script, variables)
        for step in steps:
            if step.warning:
                print(f"warning: statement {step.number}: {step.warning}", file=sys.stderr)
            if step.notice:
                print(step.notice, file=sys.stderr)
        sends = any(step.request is not None or step.query is not None for step in steps)
        with _output(args.outfile) as out, _report(args.report if sends else None) as report:
            printer = OutcomePrinter(Presenter(out, args.output, args.hideheaders, args.delimiter), report)
            summary = session.send(steps, printer)
            if summary is None:
                return 0
            if summary_worth_printing(steps, summary):
                print(summary.describe(), file=sys.stderr)
            return summary.exit_status


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise UsageError(f"cannot write -f/--outfile {path}: {exc.strerror}") from None
    with handle:
        yield handle


@contextlib.contextmanager
def _report(path: str | None) -> Iterator[TextIO | None]:
    if path is None:
        yield None
        return
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise UsageError(f"cannot write --report {path}: {exc.strerror}") from None
    with handle:
        yield handle
