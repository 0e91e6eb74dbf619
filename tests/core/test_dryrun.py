"""`--dryrun -o json`: the planned requests, secrets masked, nothing sent."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from .support import (
    ENTITLEMENT,
    ENTITLEMENT_REFERENCE,
    LINK_TOKEN,
    ORGANIZATION,
    SERVER,
    SIGNUPS,
    USER,
    activate,
    link,
    run_all,
    signup,
    sql_json,
)

MASK = "********"
API_KEY = "KEY-4f1d6b0e-never-printed"
API_SECRET = "SECRET-9c2e77aa-never-printed"


def dry_run(cli: Any, script: str, *args: str, env: dict[str, str] | None = None) -> tuple[list[Any], str]:
    result = cli.run("exec", script, "--dryrun", "-o", "json", *args, env=env)
    assert result.status == 0, result.explain()
    plan = json.loads(result.stdout)
    assert isinstance(plan, list)
    return plan, str(result.stderr)


def test_plan_is_a_json_array_with_one_object_per_exec(cli: Any) -> None:
    script = "\n".join(
        [signup(dry_run="true", user=USER), activate(), link(entitlement=ENTITLEMENT_REFERENCE)]
    )
    plan, stderr = dry_run(cli, script)
    assert len(plan) == 3
    for item in plan:
        assert {"method", "url", "headers", "body"} <= set(item)
        assert item["method"] == "POST"
        assert isinstance(item["body"], dict)
        assert item["headers"]["Content-Type"] == "application/json"
    assert [p["url"] for p in plan] == [
        f"{SERVER}/partner/v2/signup?dry_run=true",
        f"{SERVER}/partner/v2/signup/activate",
        f"{SERVER}/partner/v2/signup/link",
    ]
    assert plan[0]["body"] == {"organization": ORGANIZATION, "entitlement": ENTITLEMENT, "user": USER}
    assert plan[1]["body"] == {"organization_id": "org-1", "user": USER}
    assert plan[2]["body"] == {
        "token": MASK,
        "organization": {"sso_config": ORGANIZATION["sso_config"]},
        "entitlement": ENTITLEMENT_REFERENCE,
    }
    assert "3 requests planned, none sent" in stderr


@pytest.mark.parametrize(
    ("dry_run_sql", "suffix"),
    [(None, ""), ("true", "?dry_run=true"), ("false", "?dry_run=false"), ("'TRUE'", "?dry_run=true")],
)
def test_dry_run_query_only_when_given(cli: Any, dry_run_sql: str | None, suffix: str) -> None:
    [item], _ = dry_run(cli, signup(dry_run=dry_run_sql))
    assert item["url"] == f"{SERVER}/partner/v2/signup{suffix}"


@pytest.mark.parametrize(
    "script",
    [
        link(),
        link(token=None)[:-1] + f" @@json={sql_json({'token': LINK_TOKEN})};",
        "EXEC confluent.partner.signups.signup_partner_v2_link\n"
        f"  @token='{LINK_TOKEN}' -- the link token\n"
        f"  @organization={sql_json({'sso_config': ORGANIZATION['sso_config']})}\n"
        f"  @entitlement={sql_json(ENTITLEMENT)};",
    ],
    ids=["param", "json-body", "one-per-line"],
)
def test_link_token_is_masked_and_never_printed(cli: Any, script: str) -> None:
    [item], stderr = dry_run(cli, script, env={"CONFLUENT_CLOUD_API_KEY": API_KEY})
    assert item["body"]["token"] == MASK
    assert LINK_TOKEN not in json.dumps(item)
    assert LINK_TOKEN not in stderr
    # Not even a piece of it.
    assert "TOP-SECRET" not in json.dumps(item) + stderr


def test_credentials_are_masked_and_never_printed(cli: Any) -> None:
    env = {"CONFLUENT_CLOUD_API_KEY": API_KEY, "CONFLUENT_CLOUD_API_SECRET": API_SECRET}
    formats = ("json", "jsonl", "csv", "table", "text")
    results = run_all(cli, {f: (("exec", signup(), "--dryrun", "-o", f), {"env": env}) for f in formats})
    for fmt, result in results.items():
        assert result.status == 0, result.explain()
        shown = result.stdout + result.stderr
        assert API_KEY not in shown and API_SECRET not in shown, fmt
        assert "********" in result.stdout, fmt
    [item], _ = dry_run(cli, signup(), env=env)
    assert item["headers"]["Authorization"] == f"Basic {MASK}"


def test_dryrun_needs_no_credentials(cli: Any) -> None:
    [item], stderr = dry_run(cli, activate())
    assert item["url"] == f"{SERVER}/partner/v2/signup/activate"
    # It plans all the same, and says what a real run would miss (issue 9: it used to say nothing).
    assert "credentials are missing: CONFLUENT_CLOUD_API_KEY, CONFLUENT_CLOUD_API_SECRET" in stderr


def test_dryrun_opens_no_connection(cli: Any) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        endpoint = f"http://127.0.0.1:{port}"
        plan, _ = dry_run(cli, signup() + "\n" + activate(), "--endpoint", endpoint)
        assert [p["url"] for p in plan] == [
            f"{endpoint}/partner/v2/signup",
            f"{endpoint}/partner/v2/signup/activate",
        ]
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody knocked


def test_dryrun_against_a_closed_port_still_succeeds(cli: Any) -> None:
    [item], _ = dry_run(cli, activate(), "--endpoint", "http://127.0.0.1:9")
    assert item["url"] == "http://127.0.0.1:9/partner/v2/signup/activate"


def test_dryrun_answers_show_statements_too(cli: Any) -> None:
    result = cli.run(
        "exec", f"SHOW METHODS IN {SIGNUPS} LIKE 'act%';\n" + activate(), "--dryrun", "-o", "jsonl"
    )
    assert result.status == 0, result.explain()
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0] == {
        "MethodName": "activate_signup",
        "RequiredParams": "organization_id, user",
        "SQLVerb": "EXEC",
    }
    assert records[1]["url"] == f"{SERVER}/partner/v2/signup/activate"
    assert len(records) == 2
    assert "1 request planned, none sent" in result.stderr


def test_a_failing_statement_prints_no_plan_at_all(cli: Any) -> None:
    result = cli.run("exec", signup() + "\n" + activate(user={"email": "x@y.z"}), "--dryrun", "-o", "json")
    assert result.status == 2, result.explain()
    assert result.stdout == ""
    assert "statement 2" in result.stderr


@pytest.mark.parametrize(
    "script",
    [
        link(organization={"sso_config": {"kind": "AzureSSOConfig"}}),
        link(colour="'red'"),
        link(dry_run="maybe"),
        link(token=None)[:-1] + f' @@json=\'{{"token": "{LINK_TOKEN}", \';',
        "SHOW PROVIDERS; " + link(organization={"sso_config": {}}),
        link(token=f"'{LINK_TOKEN}'")[:-1] + " @token='again';",
        link(organization="'{\"sso_config\": '"),
        link(token=LINK_TOKEN),
    ],
    ids=[
        "schema-violation",
        "unknown-param",
        "parse-error",
        "bad-json",
        "second-statement",
        "duplicate-token",
        "bad-json-param",
        "unquoted-token",
    ],
)
def test_errors_never_show_the_link_token(cli: Any, script: str) -> None:
    result = cli.run("exec", script, "--dryrun", "-o", "json")
    assert result.status == 2, result.explain()
    assert LINK_TOKEN not in result.stdout + result.stderr


def test_errors_never_show_a_token_from_a_variable(cli: Any) -> None:
    script = (
        f"EXEC {SIGNUPS}.signup_partner_v2_link @token='{{{{ token }}}}' "
        f"@organization={sql_json({'sso_config': {'kind': 'AzureSSOConfig'}})} "
        f"@entitlement={sql_json(ENTITLEMENT)};"
    )
    result = cli.run("exec", script, "--var", f"token={LINK_TOKEN}", "--dryrun", "-o", "json")
    assert result.status == 2, result.explain()
    assert LINK_TOKEN not in result.stderr


def test_a_script_file_with_bom_crlf_and_tabs(cli: Any, tmp_path: Any) -> None:
    script = (
        "\ufeffSHOW PROVIDERS;\r\n"
        f"\tEXEC {SIGNUPS}.activate_signup\r\n"
        "\t@organization_id='org-1' -- the org\r\n"
        f"\t@user={sql_json({**USER, 'given_name': 'Zoë'})};\r\n"
    )
    path = tmp_path / "script.iql"
    path.write_bytes(script.encode("utf-8"))
    result = cli.run("exec", "-i", str(path), "--dryrun", "-o", "json")
    assert result.status == 0, result.explain()
    providers, [item] = (json.loads(line) for line in result.stdout.splitlines())
    assert providers == [{"name": "confluent", "version": "v00.00.00000"}]
    assert item["body"] == {"organization_id": "org-1", "user": {**USER, "given_name": "Zoë"}}


@pytest.mark.parametrize("flags", [("--dryrun",), ()], ids=["dryrun", "exec"])
def test_a_body_over_1_mib_is_refused_with_and_without_dryrun(
    cli: Any, tmp_path: Any, flags: tuple[str, ...]
) -> None:
    script = tmp_path / "big.iql"
    script.write_text(signup(dry_run="true", entitlement={**ENTITLEMENT, "name": "n" * (1 << 20)}))
    result = cli.run("exec", "-i", str(script), *flags, "--endpoint", "http://127.0.0.1:9", env={})
    assert result.status == 2, result.explain()
    assert "larger than the limit of 1048576 bytes" in result.stderr
    assert result.stdout == ""
