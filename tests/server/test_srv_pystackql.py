"""pystackql's server mode (`StackQL(server_mode=True)`, unchanged) against `srv`."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from ..e2e import CLI, RESOURCE, USER, Emulator, clean_env, signup_sql
from .server_support import Server

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


def _readme_exec() -> str:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    return text.split("<!-- srv-exec -->\n```sql\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize("client", ["psql", "pystackql"])
def test_the_readmes_exec_runs_as_written(tmp_path: Path, emulator: Emulator, client: str) -> None:
    server = Server(["--endpoint", emulator.url], clean_env(tmp_path / "home"), tmp_path)
    try:
        if client == "psql":
            done = server.psql("-w", "-A", "-t", "-c", _readme_exec())
            assert done.status == 0, done.explain()
            organization_id = done.stdout.split("|")[0].strip()
        else:
            stackql = pystackql.StackQL(server_mode=True, server_address=server.host, server_port=server.port)
            [row] = stackql.execute(_readme_exec())
            organization_id = row["organization_id"]
    finally:
        assert server.stop() == 0, server.log
    [org] = emulator.state()["organizations"]
    assert org["id"] == organization_id and org["name"] == "Acme"
    [user] = emulator.state()["users"]
    assert user["email"] == "jane.doe@acme.example"


def test_stackql_srv_serves_pystackql_with_stackqls_flags(tmp_path: Path, emulator: Emulator) -> None:
    stackql_command = CLI.with_name(CLI.name.replace("stackql-signups", "stackql"))
    if not stackql_command.is_file():
        pytest.skip(f"the stackql command is not installed beside {CLI}")
    flags = ["--endpoint", emulator.url, "--apirequesttimeout", "20", "--concurrency", "4"]
    server = Server(flags, clean_env(tmp_path / "home"), tmp_path, command=stackql_command)
    tag = uuid.uuid4().hex[:8]
    try:
        client = pystackql.StackQL(server_mode=True, server_address=server.host, server_port=server.port)
        assert client.execute("SHOW PROVIDERS") == [{"name": "confluent", "version": "v00.00.00000"}]
        [row] = client.execute(signup_sql(f"Via stackql {tag}", f"ext-{tag}", user=USER))
    finally:
        assert server.stop() == 0, server.log
    [org] = emulator.state()["organizations"]
    assert org["id"] == row["organization_id"]
