"""`Schedule.take` looks no further than it needs to, and decides exactly what a full look decides."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackql_signups.dispatch.outcome import Outcome
from stackql_signups.dispatch.schedule import Schedule
from stackql_signups.plan import PlannedRequest
from stackql_signups.sql.statements import Reference

from .dispatch_support import planned


class FullLook(Schedule):
    """The schedule as it was: every `take` looks at every waiting statement."""

    def _take_ready(self, capacity: int) -> list[tuple[int, PlannedRequest]] | None:
        return None


def _seen(outcomes: list[Outcome]) -> list[tuple[int, str, str]]:
    """Outcomes as compared: exceptions are equal only to themselves."""
    return [(o.statement, o.status, str(o.error)) for o in outcomes]


@st.composite
def scripts(draw: st.DrawFn) -> list[PlannedRequest]:
    requests: list[PlannedRequest] = []
    labels: list[str] = []
    for n in range(1, draw(st.integers(1, 10)) + 1):
        refs = draw(st.lists(st.sampled_from(labels), max_size=2, unique=True)) if labels else []
        field = draw(st.sampled_from(["organization_id", "organization_id", "missing"]))
        body = {"organization_id": [f"${{{label}.{field}}}" for label in refs]}
        references = tuple(
            ((("organization_id", i)), Reference(label, field)) for i, label in enumerate(refs)
        )
        label = f"l{n}" if draw(st.booleans()) else None
        if label:
            labels.append(label)
        requests.append(planned(n, body=body, label=label, references=references))
    return requests


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests=scripts(), on_error=st.sampled_from(["stop", "continue"]), data=st.data())
def test_quick_take_decides_as_the_full_look(
    requests: list[PlannedRequest], on_error: str, data: st.DataObject
) -> None:
    quick = Schedule(requests, on_error)  # type: ignore[arg-type]
    full = FullLook(requests, on_error)  # type: ignore[arg-type]
    in_flight: list[int] = []
    for _ in range(100):
        if quick.done and full.done:
            break
        capacity = data.draw(st.integers(1, 4))
        taken = quick.take(capacity)
        assert [(i, r.body) for i, r in taken] == [(i, r.body) for i, r in full.take(capacity)]
        in_flight += [i for i, _ in taken]
        assert _seen(quick.drain()) == _seen(full.drain())
        if in_flight:
            index = in_flight.pop(data.draw(st.integers(0, len(in_flight) - 1)))
            status = data.draw(st.sampled_from(["succeeded", "succeeded", "failed", "unknown"]))
            request = requests[index]
            row = {"organization_id": f"org-{index}"} if status == "succeeded" else None
            outcome = Outcome(request.statement, request.label, status, row=row)  # type: ignore[arg-type]
            quick.complete(index, outcome)
            full.complete(index, outcome)
    assert quick.done and full.done
    assert _seen(quick.outcomes()) == _seen(full.outcomes())
