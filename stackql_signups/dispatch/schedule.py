"""Which statement may go next: chaining references, `--on-error`, and reporting in script order.

Pure bookkeeping with no I/O, shared by the sequential, threaded and asyncio runners.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from .._errors import Location, RequestError
from ..plan import PathKey, PlannedRequest, query_text
from .config import OnError
from .outcome import Outcome

_PAST = {"failed": "failed", "unknown": "has an unknown outcome", "not_sent": "was not sent"}


class Schedule:
    """Tracks each statement from waiting to reported; `take` hands out the statements ready to send."""

    def __init__(
        self,
        requests: Sequence[PlannedRequest],
        on_error: OnError = "stop",
        prior_rows: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._requests = list(requests)
        self._on_error = on_error
        # Rows of labelled statements of earlier runs (a shell session), for references this run cannot fill.
        self._prior_rows = dict(prior_rows or {})
        labels: dict[str, int] = {}
        self._sources: list[dict[str, int]] = []
        for index, request in enumerate(self._requests):
            self._sources.append(
                {ref.label: labels[ref.label] for _, ref in request.references if ref.label in labels}
            )
            if request.label is not None:
                labels[request.label] = index
        self._deps = [tuple(sorted(set(sources.values()))) for sources in self._sources]
        self._results: list[Outcome | None] = [None] * len(self._requests)
        self._pending = list(range(len(self._requests)))
        self._in_flight: set[int] = set()
        self._stopped_by: Outcome | None = None
        self._reported = 0
        # Only an outcome other than success can decide waiting statements without sending them: until
        # one comes, `take` looks no further than the statements it hands out (not the whole script).
        self._changed = False

    @property
    def done(self) -> bool:
        """Every statement has an outcome and every outcome has been handed out by `drain`."""
        return self._reported == len(self._requests)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def take(self, capacity: int) -> list[tuple[int, PlannedRequest]]:
        """Up to `capacity` statements to send now, references filled; decides those that cannot be sent."""
        if not self._changed:
            quick = self._take_ready(capacity)
            if quick is not None:
                return quick
        self._changed = False
        ready: list[tuple[int, PlannedRequest]] = []
        for index in list(self._pending):
            request = self._requests[index]
            if self._stopped_by is not None:
                self._decide(index, self._not_sent(request, self._stop_reason(self._stopped_by)))
                continue
            results = [self._results[d] for d in self._deps[index]]
            if any(r is None for r in results):
                continue  # waits for a statement it needs
            blocker = next((r for r in results if r is not None and r.status != "succeeded"), None)
            if blocker is not None:
                self._decide(index, self._not_sent(request, self._dependency_reason(request, blocker)))
                continue
            if len(ready) >= capacity:
                continue  # keep scanning: later statements may still be decided without sending
            filled = self._fill(index, request)
            if isinstance(filled, Outcome):
                self._decide(index, filled)
                continue
            self._pending.remove(index)
            self._in_flight.add(index)
            ready.append((index, filled))
        return ready

    def _take_ready(self, capacity: int) -> list[tuple[int, PlannedRequest]] | None:
        """`take` when nothing failed since the last full look: None when a statement must be decided."""
        chosen: list[tuple[int, PlannedRequest]] = []
        for index in self._pending:
            if len(chosen) >= capacity:
                break
            results = [self._results[d] for d in self._deps[index]]
            if any(r is None for r in results):
                continue  # waits for a statement it needs
            if any(r is not None and r.status != "succeeded" for r in results):
                return None  # one it needs failed earlier: the full look decides it
            filled = self._fill(index, self._requests[index])
            if isinstance(filled, Outcome):
                return None  # it fails without being sent: the full look decides it
            chosen.append((index, filled))
        for index, _ in chosen:
            self._pending.remove(index)
            self._in_flight.add(index)
        return chosen

    def complete(self, index: int, outcome: Outcome) -> None:
        """Record the outcome of a statement handed out by `take`."""
        self._in_flight.discard(index)
        self._results[index] = outcome
        if outcome.status != "succeeded":
            self._changed = True
        if outcome.status in ("failed", "unknown") and self._on_error == "stop" and self._stopped_by is None:
            self._stopped_by = outcome

    def drain(self) -> list[Outcome]:
        """Outcomes not yet handed out, in script order, up to the first statement still undecided."""
        out: list[Outcome] = []
        while self._reported < len(self._results):
            outcome = self._results[self._reported]
            if outcome is None:
                break
            out.append(outcome)
            self._reported += 1
        return out

    def outcomes(self) -> list[Outcome]:
        """All outcomes, once `done`."""
        return [o for o in self._results if o is not None]

    def _decide(self, index: int, outcome: Outcome) -> None:
        self._pending.remove(index)
        self.complete(index, outcome)

    def _fill(self, index: int, request: PlannedRequest) -> PlannedRequest | Outcome:
        """The request with each `${label.field}` replaced from the earlier statement's row."""
        if not request.references:
            return request
        body = copy.deepcopy(request.body)
        query = list(request.query)
        for path, ref in request.references:
            source_index = self._sources[index].get(ref.label)
            if source_index is None:
                row = self._prior_rows.get(ref.label)
                if row is None:
                    reason = f"it needs ${{{ref}}}, but no result labelled {ref.label} is available"
                    return self._not_sent(request, reason)
                origin = f"the earlier statement labelled {ref.label}"
            else:
                source = self._results[source_index]
                row = source.row if source is not None else None
                origin = f"statement {self._requests[source_index].statement} ({ref.label})"
            if row is None or ref.field not in row:
                error = RequestError(
                    f"{origin} answered without '{ref.field}', which ${{{ref}}} needs; not sent",
                    location=Location(statement=request.statement),
                )
                return Outcome(request.statement, request.label, "failed", error=error)
            value = row[ref.field]
            if not _set_path(body, path, value):
                query = [(k, query_text(value) if (k,) == tuple(path) else v) for k, v in query]
        return replace(request, body=body, query=tuple(query), references=())

    def _not_sent(self, request: PlannedRequest, reason: str) -> Outcome:
        error = RequestError(f"not sent: {reason}", location=Location(statement=request.statement))
        return Outcome(request.statement, request.label, "not_sent", error=error)

    def _stop_reason(self, stopper: Outcome) -> str:
        return f"statement {stopper.statement} {_PAST.get(stopper.status, 'failed')} and --on-error is stop"

    def _dependency_reason(self, request: PlannedRequest, blocker: Outcome) -> str:
        refs = dict.fromkeys(ref for _, ref in request.references if ref.label == blocker.label)
        needed = ", ".join(f"${{{ref}}}" for ref in refs)
        past = _PAST.get(blocker.status, "failed")
        return f"it needs {needed} from statement {blocker.statement}, which {past}"


def _set_path(body: Any, path: PathKey, value: Any) -> bool:
    """Set `value` at `path` inside `body` in place; False when the path is not in the body."""
    if not path:
        return False
    node = body
    for key in path[:-1]:
        if not has_key(node, key):
            return False
        node = node[key]
    if not has_key(node, path[-1]):
        return False
    node[path[-1]] = value
    return True


def has_key(node: Any, key: str | int) -> bool:
    """Whether `node[key]` names an existing dict entry or list item."""
    if isinstance(node, dict):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)
