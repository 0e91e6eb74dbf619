"""What became of each planned request, and of a whole run: plain frozen dataclasses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .._errors import RequestError

Status = Literal["succeeded", "failed", "unknown", "not_sent"]


@dataclass(frozen=True)
class Outcome:
    """One statement's result: `row` is the 2xx JSON body; `error` says why it failed or was not sent.

    `unknown` means the request may or may not have been processed (a timeout after sending, a 5xx).
    `existing` marks a success that created nothing: with `on_conflict="existing"`, the API's 409 said the
    customer is already there, and `row` describes what exists.
    """

    statement: int
    label: str | None
    status: Status
    row: dict[str, Any] | None = None
    error: RequestError | None = None
    http_status: int | None = None
    request_id: str | None = None
    attempts: int = 0
    existing: bool = False

    @property
    def sent(self) -> bool:
        """Whether a request for this statement went out at all (a refused connection counts as not)."""
        answered = self.status == "failed" and self.http_status is not None
        return self.status in ("succeeded", "unknown") or answered


@dataclass(frozen=True)
class RetryNotice:
    """A retry about to happen, for a progress message: why, and after how long."""

    statement: int
    attempt: int
    delay: float
    reason: str


@dataclass(frozen=True)
class RunSummary:
    """Counts over a run, and the outcomes in script order."""

    outcomes: tuple[Outcome, ...]

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> RunSummary:
        return cls(tuple(outcomes))

    def _count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def sent(self) -> int:
        return sum(1 for o in self.outcomes if o.sent)

    @property
    def succeeded(self) -> int:
        return self._count("succeeded")

    @property
    def failed(self) -> int:
        return self._count("failed")

    @property
    def unknown(self) -> int:
        return self._count("unknown")

    @property
    def not_sent(self) -> int:
        return self._count("not_sent")

    @property
    def ok(self) -> bool:
        return self.succeeded == self.total

    @property
    def exit_status(self) -> int:
        """0 when every statement succeeded, else `RequestError.exit_status` (1)."""
        return 0 if self.ok else RequestError.exit_status

    def labelled_rows(self) -> dict[str, dict[str, Any]]:
        """The rows of labelled statements that succeeded, for `prior_rows` of a later run (the shell)."""
        return {
            o.label: o.row for o in self.outcomes if o.label and o.status == "succeeded" and o.row is not None
        }

    def describe(self) -> str:
        """One line for stderr: `4 statements: 2 succeeded, 1 failed, 0 unknown, 1 not sent`."""
        noun = "statement" if self.total == 1 else "statements"
        existing = sum(1 for o in self.outcomes if o.existing)
        return (
            f"{self.total} {noun}: {self.succeeded} succeeded, {self.failed} failed, "
            f"{self.unknown} unknown, {self.not_sent} not sent"
        ) + (f"; {existing} of them already there (nothing new created)" if existing else "")
