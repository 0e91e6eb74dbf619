"""Safe re-runs: an onboarding script killed halfway is run again with --on-conflict existing (or
`connect(..., on_conflict="existing")`) and finishes the job: every customer exists exactly once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

import stackql_signups
from stackql_signups.dispatch import AuthSettings, DispatchConfig
from stackql_signups.dispatch.executor import Executor
from stackql_signups.manifest import Registry
from stackql_signups.plan import PlannedRequest

from .reliability_support import (
    RESOURCE,
    RunCli,
    StartEmulator,
    assert_every_statement_reported,
    assert_one_organization_per_customer,
    customer,
    external_ids_by_organization,
    onboarding_batch,
    signup_body,
    signup_sql,
)

CUSTOMERS = 100


def test_a_script_killed_mid_batch_finishes_on_a_rerun_with_every_customer_once(
    tmp_path: Path, start_emulator: StartEmulator, cli: RunCli
) -> None:
    script = tmp_path / "onboard.iql"
    script.write_text(onboarding_batch(CUSTOMERS, "rerun"), encoding="utf-8")
    state_path = tmp_path / "partner.sqlite3"
    emulator = start_emulator("--stop-after", "90", state=state_path)

    first = cli(
        "exec", "-i", str(script), "--endpoint", emulator.url, "-o", "json", "--concurrency", "4",
        report=tmp_path / "first.jsonl",
    )  # fmt: skip

    assert emulator.wait_exit() == 137  # stopped as if killed, in the middle of the batch
    assert first.status == 1, first.explain()
    assert_every_statement_reported(first, 2 * CUSTOMERS)
    assert first.counts()["succeeded"] == 90 and first.counts()["not_sent"] > 0, first.counts()

    restarted = start_emulator(state=state_path)
    halfway = restarted.state()
    assert 45 <= len(halfway["organizations"]) < CUSTOMERS
    assert_one_organization_per_customer(halfway)

    # Without the option the re-run stops at the first customer already there (exit 1, nothing new).
    plain = cli("exec", "-i", str(script), "--endpoint", restarted.url, "-o", "json")
    assert plain.status == 1, plain.explain()
    assert "409 Conflict: resource_already_exists" in plain.stderr
    assert restarted.state() == halfway

    second = cli(
        "exec", "-i", str(script), "--endpoint", restarted.url, "-o", "json", "--concurrency", "4",
        "--on-conflict", "existing",
        report=tmp_path / "second.jsonl",
    )  # fmt: skip

    assert second.status == 0, second.explain()
    assert_every_statement_reported(second, 2 * CUSTOMERS)
    final = restarted.state()
    assert_one_organization_per_customer(final)
    assert len(final["organizations"]) == CUSTOMERS
    users = Counter(u["organization_id"] for u in final["users"])
    assert set(users) == {o["id"] for o in final["organizations"]} and set(users.values()) == {1}
    owner = external_ids_by_organization(final)
    emails = {u["organization_id"]: u["email"] for u in final["users"]}
    for i in range(CUSTOMERS):
        signup, activate = second.report[2 * i], second.report[2 * i + 1]
        external_id = customer(i, "rerun")[1]
        assert owner[signup["organization_id"]] == external_id
        assert activate["organization_id"] == signup["organization_id"]  # chained from the existing one
        assert emails[signup["organization_id"]] == f"{external_id}@acme.example"
    existing = [r for r in second.report if r["existing"]]
    assert len(existing) >= 45
    first_ids = {r["statement"]: r["organization_id"] for r in first.report if r["status"] == "succeeded"}
    assert all(second.report[n - 1]["organization_id"] == org for n, org in first_ids.items())
    assert "already there, nothing new was created" in second.stderr

    # A third run changes nothing and still exits 0.
    third = cli(
        "exec", "-i", str(script), "--endpoint", restarted.url, "-o", "json", "--on-conflict", "existing",
        report=tmp_path / "third.jsonl",
    )  # fmt: skip
    assert third.status == 0, third.explain()
    assert all(r["existing"] for r in third.report)
    assert restarted.state() == final


def test_on_conflict_is_checked_and_documented(cli: RunCli) -> None:
    wrong = cli(
        "exec", signup_sql("Acme", "x-1"), "--on-conflict", "ignore", "--endpoint", "http://127.0.0.1:9"
    )
    assert wrong.status == 2
    assert "--on-conflict must be fail or existing, got 'ignore'" in wrong.stderr
    usage = cli("exec", "--help")
    assert "--on-conflict fail|existing" in usage.stdout
    assert "--report FILE" in usage.stdout and "--verbose" in usage.stdout
    with pytest.raises(stackql_signups.UsageError, match="on_conflict must be fail or existing"):
        DispatchConfig(on_conflict="skip")  # type: ignore[arg-type]


def test_python_api_rerun_returns_the_existing_organizations(
    tmp_path: Path, start_emulator: StartEmulator
) -> None:
    emulator = start_emulator()
    script = onboarding_batch(5, "api")

    with stackql_signups.connect(endpoint=emulator.url) as db:
        created = db.execute(script)
    with (
        stackql_signups.connect(endpoint=emulator.url) as db,
        pytest.raises(stackql_signups.ApiError) as refused,
    ):
        db.execute(script)
    assert refused.value.status == 409 and refused.value.code == "resource_already_exists"
    with stackql_signups.connect(endpoint=emulator.url, on_conflict="existing") as db:
        again = db.execute(script)

    assert [r["organization_id"] for r in again] == [r["organization_id"] for r in created]
    assert all(r["display_message"].startswith("existing: ") for r in again)
    assert len(emulator.state()["organizations"]) == 5

    async def async_rerun() -> list[dict[str, Any]]:
        async with stackql_signups.connect_async(endpoint=emulator.url, on_conflict="existing") as adb:
            return await adb.execute(script)

    assert [r["organization_id"] for r in asyncio.run(async_rerun())] == [
        r["organization_id"] for r in created
    ]
    assert len(emulator.state()["organizations"]) == 5


# --- the 409 is followed only where it is safe: same origin, a Location, an organization ----------------

BASE = "http://127.0.0.1:9"


def planned(method: str = "signup") -> PlannedRequest:
    body: dict[str, Any] = signup_body("Acme", "acme-1")
    path = "/partner/v2/signup"
    if method == "activate_signup":
        body = {
            "organization_id": "org-1",
            "user": {"email": "a@b.co", "given_name": "A", "family_name": "B"},
        }
        path += "/activate"
    return PlannedRequest(
        statement=1,
        method_key=f"{RESOURCE}.{method}",
        label=None,
        http_method="POST",
        server=BASE,
        path=path,
        query=(),
        headers=(("Content-Type", "application/json"),),
        body=body,
        secret_paths=(),
        references=(),
        # What the shipped manifest says a 409 of this method means and where the existing object is.
        outcome=Registry().method_target(("confluent", "partner", "signups", method), None).method.outcome,
    )


def conflict(location: str | None) -> httpx.Response:
    headers = {"X-Request-Id": "r-1", "Content-Type": "application/json"}
    if location is not None:
        headers["Location"] = location
    failure = {"errors": [{"status": "409", "code": "resource_already_exists", "detail": "exists"}]}
    return httpx.Response(409, headers=headers, content=json.dumps(failure).encode())


def send(request: PlannedRequest, answers: dict[str, httpx.Response]) -> tuple[Any, list[str]]:
    seen: list[str] = []

    def handler(sent: httpx.Request) -> httpx.Response:
        seen.append(f"{sent.method} {sent.url}")
        return answers.get(f"{sent.method} {sent.url.path}", httpx.Response(404))

    auth = Registry().provider("confluent").auth
    assert auth is not None
    config = DispatchConfig(
        endpoint=BASE, on_conflict="existing", retries=0, auth=AuthSettings.from_auth_config(auth)
    )
    env = {"CONFLUENT_CLOUD_API_KEY": "k-123", "CONFLUENT_CLOUD_API_SECRET": "s-123"}
    with Executor(config, env=env, transport=httpx.MockTransport(handler)) as executor:
        return executor.send(request), seen


def test_a_location_on_another_host_is_never_followed() -> None:
    outcome, seen = send(
        planned(),
        {"POST /partner/v2/signup": conflict("https://elsewhere.example/partner/v2/entitlements/e")},
    )
    assert outcome.status == "failed" and seen == [f"POST {BASE}/partner/v2/signup"]
    assert "another host (https://elsewhere.example)" in outcome.error.describe()


def test_a_conflict_without_location_stays_a_failure() -> None:
    outcome, seen = send(planned(), {"POST /partner/v2/signup": conflict(None)})
    assert outcome.status == "failed" and len(seen) == 1
    assert "no Location header" in outcome.error.describe()


def test_an_entitlement_of_no_organization_stays_a_failure() -> None:
    entitlement = httpx.Response(200, json={"id": "e-1", "external_id": "acme-1"})
    outcome, seen = send(
        planned(),
        {
            "POST /partner/v2/signup": conflict("/partner/v2/entitlements/e-1"),
            "GET /partner/v2/entitlements/e-1": entitlement,
        },
    )
    assert outcome.status == "failed" and len(seen) == 2
    assert "belongs to no organization" in outcome.error.describe()


def test_a_refused_lookup_names_the_scope_it_needs() -> None:
    outcome, _ = send(
        planned(),
        {
            "POST /partner/v2/signup": conflict(f"{BASE}/partner/v2/entitlements/e-1"),
            "GET /partner/v2/entitlements/e-1": httpx.Response(403),
        },
    )
    assert outcome.status == "failed"
    assert "partner:describe" in outcome.error.describe()


def test_an_activation_already_done_is_done() -> None:
    outcome, seen = send(planned("activate_signup"), {"POST /partner/v2/signup/activate": conflict(None)})
    assert outcome.status == "succeeded" and outcome.existing and len(seen) == 1
    assert outcome.row["organization_id"] == "org-1"
    assert outcome.row["display_message"].startswith("existing: the signup of organization org-1")
