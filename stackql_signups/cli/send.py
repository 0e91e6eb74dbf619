"""The CLI's side of sending: dispatch settings from flags, outcomes to stdout/stderr, exit status."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from typing import IO, TYPE_CHECKING, Any

from .._errors import UsageError
from ..connection import dispatch_config, endpoint_for, executor_env
from ..dispatch import DispatchConfig, Outcome, RetryNotice
from ..engine import Step
from ..manifest import Registry
from ..present import Presenter
from ..results import ResultSet

if TYPE_CHECKING:
    from ..dispatch.executor import Executor, RetryHook
    from ..plan import PlannedRequest


def send_steps(steps: list[Step], presenter: Presenter, args: argparse.Namespace, registry: Registry) -> int:
    """Send the script's requests in order, printing answers and outcomes in script order."""
    with Sender(args, registry) as sender:
        return sender.send(steps, presenter)


class Sender:
    """Sends scripts with one keep-alive client, remembering labelled rows for later scripts (the shell)."""

    def __init__(self, args: argparse.Namespace, registry: Registry) -> None:
        self.args = args
        self.registry = registry
        self.rows_by_label: dict[str, dict[str, Any]] = {}
        self._stack = contextlib.ExitStack()
        self._config: DispatchConfig | None = None
        self._executor: Executor | None = None
        self._report_file: IO[str] | None = None

    def send(self, steps: list[Step], presenter: Presenter) -> int:
        if any(s.query is not None for s in steps):
            from .queries import send_with_queries

            return send_with_queries(self, steps, presenter)
        return self.send_requests(steps, presenter)

    def executor(self, request: PlannedRequest, on_retry: RetryHook) -> tuple[DispatchConfig, Executor]:
        """The one keep-alive executor of this sender, made for the first request's provider."""
        from ..dispatch.executor import Executor

        if self._config is None or self._executor is None:
            config = dispatch_config(self.args, self.registry, request)
            self._report_file = self._open_report()
            self._config = self._stack.enter_context(endpoint_for(config, getattr(self.args, "state", None)))
            log = _verbose_line if getattr(self.args, "verbose", False) else None
            self._executor = self._stack.enter_context(
                contextlib.closing(
                    Executor(self._config, env=executor_env(config), on_retry=on_retry, log=log)
                )
            )
        return self._config, self._executor

    def send_requests(self, steps: list[Step], presenter: Presenter) -> int:
        from ..dispatch.limits import check_body_sizes
        from ..dispatch.runner import run

        requests = [s.request for s in steps if s.request is not None]
        report = _Reporter(presenter, [s for s in steps if s.answer is not None])
        report.order = [s for s in steps if s.request is not None]
        if not requests:
            report.flush_answers(None)
            return 0
        check_body_sizes(requests)
        self.executor(requests[0], report.retry)
        assert self._config is not None and self._executor is not None
        report.report_file = self._report_file
        summary = run(
            requests, self._config, report.outcome, executor=self._executor, prior_rows=self.rows_by_label
        )
        for outcome in summary.outcomes:
            if outcome.status == "succeeded" and outcome.label and outcome.row is not None:
                self.rows_by_label[outcome.label] = outcome.row
        if summary.failed + summary.unknown == 0 or self._config.on_error == "continue":
            report.flush_answers(None)
        print(summary.describe(), file=sys.stderr)
        return summary.exit_status

    def _open_report(self) -> IO[str] | None:
        path = getattr(self.args, "report", None)
        if path is None:
            return None
        try:
            handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed with the sender
        except OSError as exc:
            raise UsageError(f"cannot write --report {path}: {exc.strerror}") from None
        return self._stack.enter_context(handle)

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Reporter:
    """Prints each outcome as it arrives, and SHOW/DESCRIBE answers at their place in the script."""

    def __init__(self, presenter: Presenter, answers: list[Step]) -> None:
        self.presenter = presenter
        self.answers = answers
        self.report_file: IO[str] | None = None
        self.order: list[Step] = []  # the request steps, whose outcomes arrive in this order

    def _shown(self, outcome: Outcome) -> ResultSet:
        step = self.order.pop(0) if self.order else None
        if step is not None and step.shaped:
            return step.shown(outcome.row)
        rows = [outcome.row] if outcome.row is not None else []
        return ResultSet.from_records(rows, outcome.statement)

    def flush_answers(self, before: int | None) -> None:
        while self.answers and (before is None or self.answers[0].number < before):
            step = self.answers.pop(0)
            assert step.answer is not None
            self.presenter.write(step.answer)

    def outcome(self, outcome: Outcome) -> None:
        self.flush_answers(outcome.statement)
        self._record(outcome)
        where = f"statement {outcome.statement}"
        shown = self._shown(outcome)
        if outcome.status == "succeeded":
            self.presenter.write(shown)
            request_id = f", request id {outcome.request_id}" if outcome.request_id else ""
            if outcome.existing:
                organization = (outcome.row or {}).get("organization_id")
                print(
                    f"{where}: already there, nothing new was created: organization {organization} "
                    f"({outcome.http_status} Conflict{request_id}; --on-conflict existing)",
                    file=sys.stderr,
                )
                return
            print(
                f"{where}: the operation was despatched successfully ({outcome.http_status}{request_id})",
                file=sys.stderr,
            )
            return
        if self.presenter.fmt == "json":
            # One array per statement keeps stdout aligned with the script: `[]` where nothing came back.
            self.presenter.write(ResultSet((), (), outcome.statement))
        text = outcome.error.describe() if outcome.error is not None else outcome.status.replace("_", " ")
        located = outcome.error is not None and outcome.error.location is not None
        print(text if located else f"{where}: {text}", file=sys.stderr)

    def _record(self, outcome: Outcome) -> None:
        """One JSON line per statement in the --report file, written as soon as its outcome is known."""
        if self.report_file is None:
            return
        row = outcome.row or {}
        error = outcome.error
        record = {
            "statement": outcome.statement,
            "label": outcome.label,
            "status": outcome.status,
            "existing": outcome.existing,
            "http_status": outcome.http_status,
            "request_id": outcome.request_id,
            "attempts": outcome.attempts,
            "organization_id": row.get("organization_id"),
            "error": error.message if error is not None else None,
            "hint": error.hint if error is not None else None,
        }
        self.report_file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.report_file.flush()

    def retry(self, notice: RetryNotice) -> None:
        print(
            f"statement {notice.statement}: {notice.reason}; retrying in {notice.delay:.1f}s "
            f"(attempt {notice.attempt + 1})",
            file=sys.stderr,
        )


def _verbose_line(line: str) -> None:
    """`--verbose`: one HTTP exchange line on stderr (the executor has masked every credential)."""
    print(line, file=sys.stderr, flush=True)
