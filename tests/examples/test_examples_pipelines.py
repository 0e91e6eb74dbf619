"""Pipelines: `-o json` is one JSON array per statement, `-o jsonl` one object per line; messages on stderr.

A script in one run: SHOW, a labelled signup, an activation chained to it, and (for the failure cases) an
activation of an organization that does not exist.
"""

from __future__ import annotations

import uuid

import pytest

from ..e2e import RESOURCE, Emulator, activate_sql, signup_sql


def script(*, failing: bool) -> str:
    name = f"Pipe {uuid.uuid4().hex[:8]}"
    statements = [
        f"SHOW METHODS IN {RESOURCE} LIKE 'sign%';",
        signup_sql(name, f"ext-{uuid.uuid4().hex[:10]}", label="acme"),
        activate_sql("'no-such-organization'") if failing else "",
        activate_sql("acme.organization_id"),
    ]
    return "\n".join(s for s in statements if s)


def test_json_is_one_array_per_statement(run_cli, module_emulator: Emulator) -> None:
    result = run_cli("exec", script(failing=False), "--endpoint", module_emulator.url, "-o", "json")

    assert result.status == 0, result.explain()
    show, signup, activate = result.json_lines()  # every stdout line is JSON: nothing else is printed
    assert [row["MethodName"] for row in show] == ["signup", "signup_partner_v2_link"]
    [signed_up] = signup
    [activated] = activate
    assert activated["organization_id"] == signed_up["organization_id"]
    assert set(signed_up) >= {"organization_id", "sso_url"}
    # messages are on stderr only
    assert "statement 2: the operation was despatched successfully" in result.stderr
    assert "statement 3: the operation was despatched successfully" in result.stderr
    assert "despatched" not in result.stdout
    org = next(o for o in module_emulator.state()["organizations"] if o["id"] == signed_up["organization_id"])
    assert org["sso_url"] == signed_up["sso_url"]


@pytest.mark.parametrize("on_error", ["stop", "continue"])
def test_json_keeps_an_empty_array_for_a_failed_or_unsent_statement(
    on_error: str, run_cli, module_emulator: Emulator
) -> None:
    result = run_cli(
        "exec", script(failing=True), "--endpoint", module_emulator.url, "-o", "json", "--on-error", on_error
    )

    assert result.status == 1, result.explain()
    show, signup, failed, last = result.json_lines()
    assert len(show) == 2 and len(signup) == 1
    assert failed == []
    if on_error == "stop":
        assert last == []
        assert "not sent" in result.stderr
    else:
        assert [row["organization_id"] for row in last] == [signup[0]["organization_id"]]
    assert "404" in result.stderr or "400" in result.stderr
    assert "no-such-organization" in result.stderr
    assert "no-such-organization" not in result.stdout


def test_jsonl_is_one_object_per_line(run_cli, module_emulator: Emulator) -> None:
    result = run_cli("exec", script(failing=False), "--endpoint", module_emulator.url, "-o", "jsonl")

    assert result.status == 0, result.explain()
    objects = result.json_lines()
    assert all(isinstance(o, dict) for o in objects)
    assert [o.get("MethodName") for o in objects[:2]] == ["signup", "signup_partner_v2_link"]
    signed_up, activated = objects[2:]
    assert signed_up["organization_id"] == activated["organization_id"]
    assert set(activated) >= {"organization_id", "sso_url"}


def test_jsonl_prints_nothing_for_a_failed_statement(run_cli, module_emulator: Emulator) -> None:
    result = run_cli(
        "exec",
        script(failing=True),
        "--endpoint",
        module_emulator.url,
        "-o",
        "jsonl",
        "--on-error",
        "continue",
    )

    assert result.status == 1, result.explain()
    objects = result.json_lines()
    assert len(objects) == 4  # 2 SHOW rows, the signup, the last activation
    assert objects[2]["organization_id"] == objects[3]["organization_id"]


def test_invalid_script_prints_no_results_and_sends_nothing(run_cli, module_emulator: Emulator) -> None:
    sent_before = len(module_emulator.requests())
    text = script(failing=False).replace("given_name", "givenname", 1)  # statement 3 is invalid

    result = run_cli("exec", text, "--endpoint", module_emulator.url, "-o", "json")

    assert result.status == 2, result.explain()
    result.json_lines()  # whatever is on stdout is JSON
    assert "statement 3" in result.stderr and "Traceback" not in result.stderr
    assert len(module_emulator.requests()) == sent_before


def test_json_from_a_dry_run_is_the_planned_requests(run_cli, module_emulator: Emulator) -> None:
    result = run_cli(
        "exec", script(failing=False), "--endpoint", module_emulator.url, "-o", "json", "--dryrun"
    )

    assert result.status == 0, result.explain()
    _show, plans = result.json_lines()
    assert [p["statement"] for p in plans] == [2, 3]
    assert plans[1]["body"]["organization_id"] == "${acme.organization_id}"
    assert "********" in plans[0]["headers"]["Authorization"]
    assert "none sent" in result.stderr
