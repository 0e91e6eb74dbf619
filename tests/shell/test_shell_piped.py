"""`stackql-signups shell` with a non-terminal stdin reads the statements like a script."""

from __future__ import annotations

import uuid
from pathlib import Path

from ..e2e import RESOURCE, USER, Emulator, activate_sql, signup_sql


def unique(prefix: str) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"{prefix} {tag}", f"ext-{tag}"


def multiline_signup(name: str, external_id: str, label: str | None = None) -> str:
    hint = f"/*+ AS {label} */ " if label else ""
    return (
        f"EXEC {hint}{RESOURCE}.signup\n"
        "@@json='{\n"
        f'  "organization": {{"name": "{name}",\n'
        '    "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "t-1"}},\n'
        f'  "entitlement": {{"external_id": "{external_id}", "name": "Prod",\n'
        '    "plan_id": "confluent-cloud-payg-prod", "product_id": "confluent-cloud-kafka-service-azure"}\n'
        "}';\n"
    )


def test_piped_statements_run_in_order_and_errors_do_not_stop_the_rest(
    run_cli, module_emulator: Emulator
) -> None:
    name, external_id = unique("Piped")
    script = (
        f"SHOW METHODS IN {RESOURCE};\n"
        + multiline_signup(name, external_id)
        + f"EXEC {RESOURCE}.sinup;\n"  # a typo: reported, and the shell goes on
        + f"SHOW METHODS IN {RESOURCE} LIKE 'activ%';\n"
    )

    result = run_cli("shell", "--endpoint", module_emulator.url, "-o", "jsonl", stdin=script)

    assert result.status == 2, result.explain()  # a statement was bad input: 2, as exec says it
    assert "(statement 3, line 1" in result.stderr  # numbered by its place in the piped script
    rows = result.json_lines()  # stdout holds results only
    assert [r.get("MethodName") for r in rows[:3]] == ["activate_signup", "signup", "signup_partner_v2_link"]
    signed_up = rows[3]
    assert rows[4:] == [
        {"MethodName": "activate_signup", "RequiredParams": "organization_id, user", "SQLVerb": "EXEC"}
    ]
    assert "did you mean 'signup'" in result.stderr
    assert "Traceback" not in result.stderr
    names = {o["id"]: o["name"] for o in module_emulator.state()["organizations"]}
    assert names[signed_up["organization_id"]] == name


def test_piped_script_without_errors_exits_0_and_chains_labels(run_cli, module_emulator: Emulator) -> None:
    name, external_id = unique("Chained")
    script = multiline_signup(name, external_id, label="acme") + activate_sql("acme.organization_id") + "\n"

    result = run_cli("shell", "--endpoint", module_emulator.url, "-o", "jsonl", stdin=script)

    assert result.status == 0, result.explain()
    signed_up, activated = result.json_lines()
    assert activated["organization_id"] == signed_up["organization_id"]
    users = [
        u for u in module_emulator.state()["users"] if u["organization_id"] == signed_up["organization_id"]
    ]
    assert [u["email"] for u in users] == [USER["email"]]


def test_shell_takes_the_same_connection_and_variable_flags(
    run_cli, env: dict[str, str], tmp_path: Path
) -> None:
    """`shell --endpoint local --state FILE --var ...`: the built-in emulator on that file; templates."""
    state = tmp_path / "shell-local.db"
    script = signup_sql("{{ name }}", "ext-shell-local", label="c") + "\n" + activate_sql("c.organization_id")

    result = run_cli(
        "shell",
        "--endpoint",
        "local",
        "--state",
        str(state),
        "--var",
        "name=Shell Local",
        "-o",
        "jsonl",
        stdin=script + "\n",
    )

    assert result.status == 0, result.explain()
    signed_up, activated = result.json_lines()
    assert signed_up["organization_id"] == activated["organization_id"]
    reader = Emulator(state, env, tmp_path)  # what the built-in emulator left in the file
    try:
        content = reader.state()
    finally:
        reader.stop()
    assert [o["name"] for o in content["organizations"]] == ["Shell Local"]
    assert [u["organization_id"] for u in content["users"]] == [signed_up["organization_id"]]


def test_piped_last_statement_without_semicolon_runs(run_cli) -> None:
    result = run_cli("shell", "-o", "json", stdin=f"SHOW METHODS IN {RESOURCE} LIKE 'signup'")

    assert result.status == 0, result.explain()
    assert result.json_lines() == [
        [{"MethodName": "signup", "RequiredParams": "entitlement, organization", "SQLVerb": "EXEC"}]
    ]


def test_piped_meta_commands(run_cli, env: dict[str, str]) -> None:
    script = (
        "\\frobnicate\n\\output yaml\n"  # errors: reported on stderr, the shell goes on
        f"\\output csv\nSHOW METHODS IN {RESOURCE} LIKE 'signup';\n\\quit\nSHOW PROVIDERS;\n"
    )

    result = run_cli("shell", stdin=script)

    assert 'signup,"entitlement, organization",EXEC' in result.stdout, result.explain()
    assert "confluent" not in result.stdout.split("EXEC")[-1]  # nothing ran after \\quit
    assert "unknown meta command" in result.stderr
    assert "output format must be one of" in result.stderr
    # a piped session is not interactive: it leaves no history behind
    assert not (Path(env["XDG_DATA_HOME"]) / "stackql-signups" / "history").exists()


def test_piped_help_meta_command(run_cli) -> None:
    result = run_cli("shell", stdin=f"\\help\nSHOW METHODS IN {RESOURCE} LIKE 'signup';\n")

    assert "Traceback" not in result.stderr, result.explain()
    assert result.status == 0, result.explain()
    assert "Meta commands" in result.stdout
    assert "\\output FORMAT" in result.stdout


def test_piped_output_meta_command_keeps_stdout_json(run_cli) -> None:
    result = run_cli("shell", stdin=f"\\output json\nSHOW METHODS IN {RESOURCE};\n")

    assert result.status == 0, result.explain()
    assert len(result.json_lines()) == 1


def test_labelled_statement_can_be_retried_after_an_api_failure(run_cli, module_emulator: Emulator) -> None:
    taken_name, taken = unique("Taken")
    module_emulator.signup(taken_name, taken)
    name, external_id = unique("Retry")
    script = (
        signup_sql(name, taken, label="acme")  # 409: this external_id is signed up already
        + "\n"
        + signup_sql(name, external_id, label="acme")  # fixed: the user runs it again
        + "\n"
    )

    result = run_cli("shell", "--endpoint", module_emulator.url, "-o", "jsonl", stdin=script)

    assert "409" in result.stderr
    assert "used twice" not in result.stderr, result.explain()
    assert name in [o["name"] for o in module_emulator.state()["organizations"]]
