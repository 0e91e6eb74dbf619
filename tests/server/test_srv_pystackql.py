"""pystackql's server mode (`StackQL(server_mode=True)`, unchanged) against `srv`."""

from __future__ import annotations

import uuid

import pytest
from server_support import Server
from signups_e2e import RESOURCE, USER, Emulator, signup_sql

pystackql = pytest.importorskip("pystackql")


@pytest.fixture
def stackql(module_server: Server) -> object:
    return pystackql.StackQL(
        server_mode=True, server_address=module_server.host, server_port=module_server.port
    )


def test_connection_test_and_show_statements(stackql: object) -> None:
    assert stackql.test_connection() is True  # type: ignore[attr-defined]
    providers = stackql.execute("SHOW PROVIDERS")  # type: ignore[attr-defined]
    assert providers == [{"name": "confluent", "version": "v00.00.00000"}]
    methods = stackql.execute(f"SHOW METHODS IN {RESOURCE}")  # type: ignore[attr-defined]
    assert [m["MethodName"] for m in methods] == ["activate_signup", "signup", "signup_partner_v2_link"]


def test_exec_returns_the_new_organization(stackql: object, module_emulator: Emulator) -> None:
    tag = uuid.uuid4().hex[:8]

    rows = stackql.execute(signup_sql(f"Pystackql {tag}", f"ext-{tag}", user=USER))  # type: ignore[attr-defined]

    [row] = rows
    [org] = [o for o in module_emulator.state()["organizations"] if o["name"] == f"Pystackql {tag}"]
    assert row["organization_id"] == org["id"]
    assert row["sso_url"].endswith(org["id"])


def test_execute_stmt_returns_the_command_tag(stackql: object, module_emulator: Emulator) -> None:
    tag = uuid.uuid4().hex[:8]

    assert stackql.executeStmt("USE confluent") == [{"message": "USE"}]  # type: ignore[attr-defined]
    done = stackql.executeStmt(signup_sql(f"Stmt {tag}", f"ext-{tag}"))  # type: ignore[attr-defined]

    assert done == [{"message": "EXEC"}]
    assert [o for o in module_emulator.state()["organizations"] if o["name"] == f"Stmt {tag}"]
