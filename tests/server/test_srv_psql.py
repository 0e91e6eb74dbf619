"""psql against `srv`: StackQL's own statements, errors that leave the connection usable, passwords, TLS."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from ..e2e import CLI, RESOURCE, USER, Emulator, clean_env, run, self_signed_certificate, signup_sql
from .server_support import Server

pytestmark = pytest.mark.usefixtures("needs_psql")
FIRST_USER = {"email": "a@b.example", "given_name": "A", "family_name": "B"}


def test_show_methods_prints_the_three_methods(module_server: Server) -> None:
    shown = module_server.psql("-w", "-c", f"SHOW METHODS IN {RESOURCE}")

    assert shown.status == 0, shown.explain()
    lines = shown.stdout.splitlines()
    assert lines[0].split("|")[0].strip() == "MethodName"
    names = [line.split("|")[0].strip() for line in lines[2:5]]
    assert names == ["activate_signup", "signup", "signup_partner_v2_link"]
    assert "(3 rows)" in shown.stdout


def test_exec_from_psql_signs_a_customer_up(module_server: Server, module_emulator: Emulator) -> None:
    tag = uuid.uuid4().hex[:8]

    done = module_server.psql("-w", "-A", "-t", "-c", signup_sql(f"Psql {tag}", f"ext-{tag}", user=USER))

    assert done.status == 0, done.explain()
    organization_id, sso_url, _message = done.stdout.strip().split("|")
    [org] = [o for o in module_emulator.state()["organizations"] if o["name"] == f"Psql {tag}"]
    assert org["id"] == organization_id
    assert organization_id in sso_url


def test_a_failed_statement_leaves_the_session_usable(
    module_server: Server, module_emulator: Emulator
) -> None:
    before = len(module_emulator.requests())

    shown = module_server.psql(
        "-w",
        "-v",
        "VERBOSITY=verbose",
        "-c",
        f"EXEC {RESOURCE}.sigup @@json='{{}}'",
        "-c",
        f"EXEC {RESOURCE}.signup @@json='{{\"organization\": 5}}'",
        "-c",
        f"SHOW METHODS IN {RESOURCE} LIKE 'sign%'",
    )

    assert "ERROR:  42704: bind error: unknown method" in shown.stderr, shown.explain()
    assert "did you mean 'signup'?" in shown.stderr
    assert "ERROR:  22023: " in shown.stderr
    assert "signup_partner_v2_link" in shown.stdout  # the third statement ran on the same connection
    assert len(module_emulator.requests()) == before  # nothing was sent for the bad statements
    assert "Traceback" not in module_server.log


def test_a_script_in_one_query_runs_in_order_with_labels(
    module_server: Server, module_emulator: Emulator
) -> None:
    tag = uuid.uuid4().hex[:8]
    script = (
        "USE confluent;\n"
        + signup_sql(f"Chain {tag}", f"ext-{tag}", label="acme").replace(f"{RESOURCE}", "partner.signups")
        + "\nEXEC partner.signups.activate_signup @organization_id=acme.organization_id "
        + f"@@json='{json.dumps({'user': FIRST_USER})}';"
    )

    done = module_server.psql("-w", "-c", script)

    assert done.status == 0, done.explain()
    [org] = [o for o in module_emulator.state()["organizations"] if o["name"] == f"Chain {tag}"]
    assert done.stdout.startswith("USE\n")
    assert done.stdout.count("(1 row)") == 2  # both EXECs answered with the new organization
    assert done.stdout.count(f" {org['id']} ") == 2
    users = [u for u in module_emulator.state()["users"] if u["organization_id"] == org["id"]]
    assert [u["email"] for u in users] == ["a@b.example"]


def test_use_and_labels_belong_to_one_connection(module_server: Server) -> None:
    with module_server.connect() as first, module_server.connect() as second:
        first.execute("USE confluent")
        assert len(first.execute("SHOW METHODS IN partner.signups").fetchall()) == 3
        with pytest.raises(Exception) as refused:
            second.execute("SHOW METHODS IN partner.signups")
        assert getattr(refused.value, "sqlstate", None) == "42704"


def _server(tmp_path: Path, emulator: Emulator, *flags: str, **env: str) -> Server:
    return Server(["--endpoint", emulator.url, *flags], {**clean_env(tmp_path / "home"), **env}, tmp_path)


@pytest.mark.parametrize(("method", "source"), [("scram-sha-256", "file"), ("md5", "environment")])
def test_a_password_is_required_when_one_is_set(
    tmp_path: Path, module_emulator: Emulator, method: str, source: str
) -> None:
    if source == "file":
        secret = tmp_path / "password"
        secret.write_text("s3cret-pass\n")
        server = _server(
            tmp_path, module_emulator, "--pgsrv.password-file", str(secret), "--pgsrv.auth", method
        )
    else:
        server = _server(
            tmp_path, module_emulator, "--pgsrv.auth", method, STACKQL_SIGNUPS_SRV_PASSWORD="s3cret-pass"
        )
    try:
        refused = server.psql("-w", "-c", "SHOW PROVIDERS", env={"PGPASSWORD": "wrong"})
        allowed = server.psql("-w", "-c", "SHOW PROVIDERS", env={"PGPASSWORD": "s3cret-pass"})
    finally:
        assert server.stop() == 0, server.log
    assert refused.status != 0
    assert "password authentication failed" in refused.stderr
    assert allowed.status == 0, allowed.explain()
    assert "confluent" in allowed.stdout
    assert "s3cret-pass" not in server.stdout + server.log


def test_tls_is_declined_cleanly_without_a_certificate(module_server: Server) -> None:
    refused = module_server.psql("-w", "-c", "SHOW PROVIDERS", env={"PGSSLMODE": "require"})
    assert refused.status != 0
    assert "server does not support SSL" in refused.stderr
    assert "Traceback" not in module_server.log
    assert module_server.psql("-w", "-c", "SHOW PROVIDERS").status == 0  # and in the clear it works


def test_a_non_loopback_address_without_a_password_is_refused(tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home")

    refused = run([str(CLI), "srv", "--pgsrv.address", "0.0.0.0", "--pgsrv.port", "0"], env, timeout=30)

    assert refused.status == 2, refused.explain()
    assert "not a loopback address, needs a password" in refused.stderr
    assert "STACKQL_SIGNUPS_SRV_PASSWORD" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_tls_is_offered_with_a_certificate(tmp_path: Path, module_emulator: Emulator) -> None:
    cert, key = self_signed_certificate(tmp_path)
    server = _server(tmp_path, module_emulator, "--pgsrv.tls.cert", str(cert), "--pgsrv.tls.key", str(key))
    try:
        with server.connect(sslmode="require") as conn:
            assert conn.pgconn.ssl_in_use
            assert len(conn.execute(f"SHOW METHODS IN {RESOURCE}").fetchall()) == 3
        shown = server.psql("-w", "-c", "SHOW PROVIDERS", env={"PGSSLMODE": "require"})
    finally:
        assert server.stop() == 0, server.log
    assert shown.status == 0, shown.explain()
    assert "TLS offered" in server.stdout
