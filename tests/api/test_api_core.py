"""The session core the front ends share: options checked when built, results handed over in script order."""

from __future__ import annotations

import uuid

import pytest

import stackql_signups
from stackql_signups import Options, Session, StatementResult, UsageError

from ..e2e import RESOURCE, USER, Emulator, activate_sql, signup_sql


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONFLUENT_CLOUD_API_KEY", raising=False)
    monkeypatch.delenv("CONFLUENT_CLOUD_API_SECRET", raising=False)


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"timeout": -1}, "--timeout must be a number of seconds from 0.001 to 86400, got -1"),
        ({"retries": 11}, "--retries must be between 0 and 10, got 11"),
        ({"concurrency": 0}, "--concurrency must be between 1 and 64, got 0"),
        ({"on_conflict": "skip"}, "--on-conflict must be fail or existing, got 'skip'"),
        ({"endpoint": "127.0.0.1:80"}, "--endpoint must be an http:// or https:// URL, got '127.0.0.1:80'"),
        ({"auth": {"confluent": {"type": "x"}}}, "--auth 'confluent': auth type 'x' is not supported"),
    ],
)  # fmt: skip
def test_connect_refuses_a_bad_option_at_once(keywords: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        stackql_signups.connect(**keywords)  # type: ignore[arg-type]
    assert caught.value.message == message


def test_results_arrive_in_script_order_with_column_names(module_emulator: Emulator) -> None:
    tag = uuid.uuid4().hex[:8]
    script = "\n".join(
        [
            f"SHOW METHODS IN {RESOURCE};",
            signup_sql(f"Core {tag}", f"ext-{tag}", user=USER),
            activate_sql("'no-such-org'"),
            f"SHOW METHODS IN {RESOURCE};",
        ]
    )
    seen: list[StatementResult] = []
    with Session(Options(endpoint=module_emulator.url, on_error="continue")) as session:
        summary = session.run(script, on_result=seen.append)
    assert summary is not None and (summary.succeeded, summary.failed) == (1, 1)
    assert [r.number for r in seen] == [1, 2, 3, 4]
    assert seen[0].answer is not None and seen[0].result_set().columns[0] == "MethodName"
    created = seen[1].result_set()
    assert created.columns[:2] == ("organization_id", "sso_url")
    [row] = created.records()
    assert any(o["id"] == row["organization_id"] for o in module_emulator.state()["organizations"])
    # A failed statement still names its columns (a wire protocol must describe even an empty result).
    failed = seen[2]
    assert failed.outcome is not None and failed.outcome.status == "failed"
    assert failed.result_set().columns == ("organization_id", "sso_url", "display_message")
    assert failed.result_set().rows == ()


def test_with_on_error_stop_answers_after_a_failure_are_not_handed_over(module_emulator: Emulator) -> None:
    script = activate_sql("'no-such-org'") + f"\nSHOW METHODS IN {RESOURCE};"
    seen: list[StatementResult] = []
    with Session(Options(endpoint=module_emulator.url)) as session:
        summary = session.run(script, on_result=seen.append)
    assert summary is not None and summary.exit_status == 1
    assert [r.number for r in seen] == [1]


def test_a_script_without_requests_sends_nothing_and_hands_over_its_answers() -> None:
    seen: list[StatementResult] = []
    with Session(Options(endpoint="http://127.0.0.1:9")) as session:  # nothing listens there
        assert session.run(f"SHOW METHODS IN {RESOURCE};", on_result=seen.append) is None
    assert [r.number for r in seen] == [1]
