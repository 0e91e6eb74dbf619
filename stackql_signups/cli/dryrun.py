"""`--dryrun`: plan the script statement by statement and print every planned request; send nothing.

Each request is turned into its printed form as soon as it is planned, so memory grows with the output,
not with the parsed statements. Nothing is written before the whole script is planned: an error in the
last statement still leaves stdout empty and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

from .._errors import Error
from ..dispatch.limits import check_body_sizes
from ..engine import iter_prepare
from ..plan import PlannedRequest
from ..present import Presenter
from ..results import ResultSet
from ..session import Session

# json.dumps(view, ensure_ascii=False) without building an encoder per call; planned data has no cycles.
_encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def run(
    script: str,
    variables: Mapping[str, Any],
    session: Session,
    args: argparse.Namespace,
    output: Callable[[str | None], Any],
) -> int:
    """Plan `script` and print its answers, then its planned requests, in the `-o` format."""
    views = _Views(session)
    fmt = args.output
    lines: list[str] = []  # json/jsonl: each request's text, ready to write
    records: list[dict[str, Any]] = []  # the other formats need every row to lay out columns
    answers: list[ResultSet] = []
    warnings: list[str] = []
    view_error: Error | None = None  # raised after planning, as when the views were made at the end
    count = 0
    for step in iter_prepare(script, variables, session.registry):
        if step.warning:
            warnings.append(f"warning: statement {step.number}: {step.warning}")
        if step.answer is not None:
            answers.append(step.answer)
        # A SELECT shows the first request of each resource it reads (later pages depend on the answers).
        planned = [step.request] if step.request is not None else []
        planned += list(step.query.first_requests) if step.query is not None else []
        for request in planned:
            if view_error is not None:
                break
            count += 1
            try:
                # The same limit exec applies: a body the API would refuse is an error here too.
                check_body_sizes((request,))
                view = views(request)
            except Error as exc:
                view_error = exc
                continue
            if fmt in ("json", "jsonl"):
                lines.append(_encode(view))
            else:
                records.append(view)
    with output(args.outfile) as out:
        if view_error is not None:
            raise view_error
        for warning in warnings:
            print(warning, file=sys.stderr)
        presenter = Presenter(out, fmt, args.hideheaders, args.delimiter)
        for answer in answers:
            presenter.write(answer)
        if not count:
            return 0
        if fmt == "jsonl":
            for line in lines:
                out.write(line + "\n")
        elif fmt == "json":
            # What json.dumps writes for the list of all views: items joined by ", ".
            out.write("[")
            for i, line in enumerate(lines):
                out.write(", " + line if i else line)
            out.write("]\n")
        else:
            presenter.write(ResultSet.from_records(records))
        out.flush()
        print(f"dry run: {count} request{'s' if count != 1 else ''} planned, none sent", file=sys.stderr)
    return 0


class _Views:
    """What `--dryrun` prints for a request; the settings are worked out once per provider and server."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._schemes: dict[str, str | None] = {}
        self._servers: dict[str, str] = {}

    def __call__(self, request: PlannedRequest) -> dict[str, Any]:
        provider = request.method_key.split(".", 1)[0]
        if provider not in self._schemes:
            self._schemes[provider] = self.session.auth_scheme(request)
        server = self._servers.get(request.server)
        if server is None:
            from ..dispatch.endpoint import base_url

            server = base_url(request.server, self.session.options.url)
            self._servers[request.server] = server
        return request.describe(server=server, auth_scheme=self._schemes[provider])
