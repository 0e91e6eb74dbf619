"""The CLI's side of sending: dispatch settings from flags, outcomes to stdout/stderr, exit status."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..connection import LOCAL, dispatch_config, endpoint_for
from ..dispatch import Outcome, RetryNotice
from ..engine import Step
from ..manifest import Registry
from ..plan import PlannedRequest
from ..present import Presenter
from ..results import ResultSet

EXIT_FAILED = 1


def _endpoint_url(args: argparse.Namespace) -> str | None:
    endpoint = getattr(args, "endpoint", None)
    return endpoint if endpoint and endpoint != LOCAL else None


def dry_run_view(request: PlannedRequest, args: argparse.Namespace, registry: Registry) -> dict[str, Any]:
    """What `--dryrun` prints for one request: method, full URL, headers (credentials masked), body."""
    config = dispatch_config(args, registry, request)
    scheme = {"basic": "Basic", "oauth2": "Bearer"}.get(config.auth.type)
    return request.describe(server=_endpoint_url(args), auth_scheme=scheme)


def send_steps(steps: list[Step], presenter: Presenter, args: argparse.Namespace, registry: Registry) -> int:
    """Send the script's requests in order, printing answers and outcomes in script order."""
    from ..dispatch import run

    requests = [s.request for s in steps if s.request is not None]
    config = dispatch_config(args, registry, requests[0])
    answers = [s for s in steps if s.answer is not None]
    report = _Reporter(presenter, answers)
    with endpoint_for(config, getattr(args, "state", None)) as active:
        summary = run(requests, active, report.outcome, on_retry=report.retry)
    if summary.failed + summary.unknown == 0 or active.on_error == "continue":
        report.flush_answers(None)
    print(summary.describe(), file=sys.stderr)
    return 0 if summary.failed == 0 and summary.unknown == 0 else EXIT_FAILED


class _Reporter:
    """Prints each outcome as it arrives, and SHOW/DESCRIBE answers at their place in the script."""

    def __init__(self, presenter: Presenter, answers: list[Step]) -> None:
        self.presenter = presenter
        self.answers = answers

    def flush_answers(self, before: int | None) -> None:
        while self.answers and (before is None or self.answers[0].number < before):
            step = self.answers.pop(0)
            assert step.answer is not None
            self.presenter.write(step.answer)

    def outcome(self, outcome: Outcome) -> None:
        self.flush_answers(outcome.statement)
        where = f"statement {outcome.statement}"
        if outcome.status == "succeeded":
            if outcome.row is not None:
                self.presenter.write(ResultSet.from_records([outcome.row], outcome.statement))
            request_id = f", request id {outcome.request_id}" if outcome.request_id else ""
            print(
                f"{where}: the operation was despatched successfully ({outcome.http_status}{request_id})",
                file=sys.stderr,
            )
        elif outcome.error is not None:
            text = outcome.error.describe()
            print(text if outcome.error.location else f"{where}: {text}", file=sys.stderr)
        else:
            print(f"{where}: {outcome.status.replace('_', ' ')}", file=sys.stderr)

    def retry(self, notice: RetryNotice) -> None:
        print(
            f"statement {notice.statement}: {notice.reason}; retrying in {notice.delay:.1f}s "
            f"(attempt {notice.attempt + 1})",
            file=sys.stderr,
        )
