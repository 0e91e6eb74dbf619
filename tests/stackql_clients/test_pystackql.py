"""pystackql 3.8.5 from PyPI, unchanged, local mode: `StackQL(download_dir=<venv bin>)` runs our stackql."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import stackql_signups

from ..e2e import BIN, RESOURCE, Emulator
from .stackql_clients_support import organizations_named, signup, unique

METHODS = [
    {"MethodName": "activate_signup", "RequiredParams": "organization_id, user", "SQLVerb": "EXEC"},
    {"MethodName": "signup", "RequiredParams": "entitlement, organization", "SQLVerb": "EXEC"},
    {
        "MethodName": "signup_partner_v2_link",
        "RequiredParams": "entitlement, organization, token",
        "SQLVerb": "EXEC",
    },
]


def test_construction_reads_our_version(pystackql: Callable[..., Any]) -> None:
    stackql = pystackql()
    assert stackql.bin_path == os.path.join(str(BIN), "stackql")
    assert stackql.version == f"v{stackql_signups.__version__}"
    assert stackql.sha == "stackql-signups"


def test_show_methods_returns_the_three_rows_as_dicts(pystackql: Callable[..., Any]) -> None:
    assert pystackql().execute(f"SHOW METHODS IN {RESOURCE}") == METHODS


def test_exec_returns_the_organization_id(pystackql: Callable[..., Any], module_emulator: Emulator) -> None:
    name, external_id = unique("Notebook")
    [row] = pystackql().execute(signup(name, external_id))
    [organization] = organizations_named(module_emulator, name)
    assert row["organization_id"] == organization["id"]
    assert row["sso_url"] == organization["sso_url"]


def test_a_second_identical_signup_is_an_error_from_execute_and_execute_stmt(
    pystackql: Callable[..., Any], module_emulator: Emulator
) -> None:
    stackql = pystackql()
    name, external_id = unique("Duplicate")
    query = signup(name, external_id)
    assert "organization_id" in stackql.execute(query)[0]

    [from_execute] = stackql.execute(query, suppress_errors=False)
    from_statement = stackql.executeStmt(query)

    for result in (from_execute, from_statement[0]):
        assert set(result) == {"error"}
        assert result["error"].startswith("http response status code: 409, response body: ")
        assert external_id in result["error"]
    # pystackql's own default, suppress_errors=True, hides errors by design: an empty list, never rows.
    assert stackql.execute(query) == []
    assert len(organizations_named(module_emulator, name)) == 1


def test_execute_stmt_returns_the_despatch_message(pystackql: Callable[..., Any]) -> None:
    result = pystackql().executeStmt(signup(*unique("Stmt")))
    assert result["message"].startswith("The operation was despatched successfully")


def test_an_input_error_is_an_error_shape_and_sends_nothing(
    pystackql: Callable[..., Any], module_emulator: Emulator
) -> None:
    sent = len(module_emulator.requests())
    stackql = pystackql()
    body = '{"organization": {"name": "x"}, "entitlement": {"name": "e"}}'
    bad = f"EXEC {RESOURCE}.signup @@json='{body}'"
    [from_execute] = stackql.execute(bad, suppress_errors=False)
    [from_statement] = stackql.executeStmt(bad)
    for result in (from_execute, from_statement):
        assert result["error"].startswith("error: validation error"), result
    assert len(module_emulator.requests()) == sent


def test_csv_output_and_several_statements(pystackql: Callable[..., Any]) -> None:
    csv = pystackql(output="csv", sep=":", header=True).execute(f"SHOW METHODS IN {RESOURCE}")
    assert csv.splitlines()[:2] == [
        "MethodName:RequiredParams:SQLVerb",
        "activate_signup:organization_id, user:EXEC",
    ]
    rows = pystackql().execute(f"SHOW PROVIDERS; SHOW METHODS IN {RESOURCE}")
    assert rows == [{"name": "confluent", "version": "v00.00.00000"}, *METHODS]


def test_custom_auth_and_env_vars_per_call(pystackql: Callable[..., Any], module_emulator: Emulator) -> None:
    from stackql_signups.emulator.config import DEFAULT_API_KEY, DEFAULT_API_SECRET

    auth = {"confluent": {"type": "basic", "username_var": "PARTNER_KEY", "password_var": "PARTNER_SECRET"}}
    stackql = pystackql()
    name, external_id = unique("Auth")
    [refused] = stackql.execute(
        signup(name, external_id),
        suppress_errors=False,
        custom_auth=auth,
        env_vars={"PARTNER_KEY": DEFAULT_API_KEY, "PARTNER_SECRET": "not-the-secret"},
    )
    assert refused["error"].startswith("http response status code: 401"), refused
    assert "not-the-secret" not in refused["error"]
    [row] = stackql.execute(
        signup(name, external_id),
        custom_auth=auth,
        env_vars={"PARTNER_KEY": DEFAULT_API_KEY, "PARTNER_SECRET": DEFAULT_API_SECRET},
    )
    assert row["organization_id"] == organizations_named(module_emulator, name)[0]["id"]


def test_registry_commands_as_stackql_deploy_sends_them(pystackql: Callable[..., Any]) -> None:
    stackql = pystackql()
    assert stackql.execute("REGISTRY LIST confluent") == [
        {"provider": "confluent", "versions": "v00.00.00000"}
    ]
    assert "successfully installed" in stackql.executeStmt("REGISTRY PULL confluent v00.00.00000")["message"]
    [missing] = stackql.executeStmt("REGISTRY PULL aws")
    assert missing["error"].startswith("error: ") and "'aws'" in missing["error"]
