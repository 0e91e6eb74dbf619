"""Run a query or a script: `stackql-signups exec [QUERY] [-i FILE] [-o FORMAT] [--dryrun] ...`."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO, cast

from .._errors import UsageError
from ..present import FORMATS, Presenter
from ..sql.lexical import has_code
from . import inputs
from .flags import add_sending_arguments, options_from_args
from .outfile import GuardedFile, open_guarded

if TYPE_CHECKING:
    from ..engine import Step
    from ..options import Options
    from ..session import Session


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


@dataclass(frozen=True)
class Job:
    """What both `exec` commands start from: checked options, the script and its template variables."""

    options: Options
    script: str
    variables: dict[str, Any]


def read_job(args: argparse.Namespace, prog: str) -> Job:
    """Flags, script and variables read and checked before a session is opened."""
    if len(args.delimiter) != 1:
        raise UsageError("-d/--delimiter must be one character")
    options = options_from_args(args)
    script = inputs.query_text(args.query, args.infile)
    if not has_code(script.replace(";", " ")):
        raise UsageError(
            "there is no statement to run (the query is empty or only comments)",
            hint=f'for example: {prog} exec "SHOW METHODS IN confluent.partner.signups"',
        )
    return Job(options, script, inputs.variables(args.iqldata, args.var))


def open_session(job: Job, verbose: bool) -> Session:
    from ..present.outcomes import retry_notice, verbose_line
    from ..session import Session

    return Session(job.options, log=verbose_line if verbose else None, on_retry=retry_notice)


def print_step_notes(steps: Sequence[Step]) -> None:
    """Warnings and notices found while preparing, on stderr, before anything is sent."""
    for step in steps:
        if step.warning:
            print(f"warning: statement {step.number}: {step.warning}", file=sys.stderr)
        if step.notice:
            print(step.notice, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from ..present.outcomes import OutcomePrinter, summary_worth_printing

    job = read_job(args, "stackql-signups")
    with open_session(job, args.verbose) as session:
        if args.dryrun:
            from . import dryrun

            return dryrun.run(job.script, job.variables, session, args, _output)
        steps = session.prepare(job.script, job.variables)
        print_step_notes(steps)
        sends = any(step.request is not None or step.query is not None for step in steps)
        with _output(args.outfile, sends) as out, _report(args.report if sends else None) as report:
            printer = OutcomePrinter(Presenter(out, args.output, args.hideheaders, args.delimiter), report)
            summary = session.send(steps, printer)
            status = 0
            if summary is not None:
                if summary_worth_printing(steps, summary):
                    print(summary.describe(), file=sys.stderr)
                status = summary.exit_status
    # A file that could not be written after sending: the outcomes are on stderr; the run is not a success.
    for written in (out, report):
        if isinstance(written, GuardedFile):
            status = written.status(status)
    return status


@contextlib.contextmanager
def _output(path: str | None, sends: bool = False) -> Iterator[TextIO]:
    """-f/--outfile (else stdout); a write error is a usage error unless requests went out meanwhile."""
    if path is None:
        yield sys.stdout
        return
    guarded = open_guarded(path, "-f/--outfile")
    guarded.sent = sends
    try:
        yield cast(TextIO, guarded)
    finally:
        guarded.close()
    if guarded.error is not None and not guarded.sent:
        raise UsageError(guarded.error, hint="nothing was sent; free some space or write the file elsewhere")


@contextlib.contextmanager
def _report(path: str | None) -> Iterator[TextIO | None]:
    if path is None:
        yield None
        return
    guarded = open_guarded(path, "--report")
    guarded.sent = True
    try:
        yield cast(TextIO, guarded)
    finally:
        guarded.close()
