"""psycopg 3 against `srv`: SQLSTATEs, the extended protocol past psycopg's prepare threshold (each statement
sent once), 16 connections at once, a cancel, a client that goes away, and a stop that finishes its work."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from psycopg import errors
from psycopg.pq import DiagnosticField

from ..e2e import RESOURCE, USER, Emulator, clean_env, signup_sql
from .server_support import PSQL, Server, require_psql


def _unique(prefix: str) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"{prefix} {tag}", f"ext-{tag}"


def _sent(emulator: Emulator) -> int:
    return len([r for r in emulator.requests() if r["path"].startswith("/partner/")])


@pytest.mark.parametrize(
    ("statement", "sqlstate", "words"),
    [
        (f"EXEC {RESOURCE}.signup @@json='{{", "42601", "parse error: unterminated string"),
        (f"EXEC {RESOURCE}.nope", "42704", "unknown method of confluent.partner.signups: 'nope'"),
        ("SHOW METHODS IN confluent.partner.nothing", "42704", "unknown resource"),
        (f"EXEC {RESOURCE}.signup @nope=1 @@json='{{}}'", "22023", "unknown parameter @nope"),
        (
            f'EXEC {RESOURCE}.signup @@json=\'{{"organization": {{}}, "entitlement": {{}}}}\'',
            "22023",
            "validation error: the request body of signup is invalid",
        ),
    ],
)
def test_bad_statements_raise_with_a_sqlstate_and_send_nothing(
    module_server: Server, module_emulator: Emulator, statement: str, sqlstate: str, words: str
) -> None:
    before = _sent(module_emulator)
    with module_server.connect() as conn:
        with pytest.raises(psycopg.Error) as raised:
            conn.execute(statement)
        assert raised.value.sqlstate == sqlstate
        assert words in str(raised.value)
        # The same connection goes on.
        assert len(conn.execute(f"SHOW METHODS IN {RESOURCE}").fetchall()) == 3
    assert _sent(module_emulator) == before


def test_an_api_error_carries_its_http_status(module_server: Server, module_emulator: Emulator) -> None:
    name, external_id = _unique("Twice")
    with module_server.connect() as conn:
        [row] = conn.execute(signup_sql(name, external_id)).fetchall()
        with pytest.raises(psycopg.Error) as raised:
            conn.execute(signup_sql(name, external_id))
        assert raised.value.sqlstate == "PA409"
        assert "already exists" in str(raised.value)
        assert conn.execute("SELECT 'still here' AS test_value").fetchone() == ("still here",)
    assert f"organization_id {row[0]}" in module_server.log


def test_results_have_column_names_types_and_tags(module_server: Server) -> None:
    with module_server.connect() as conn:
        cur = conn.execute(f"DESCRIBE METHOD {RESOURCE}.signup")
        assert cur.description is not None and cur.statusmessage == "DESCRIBE"
        assert [c.name for c in cur.description][:1] == ["name"]
        cur = conn.execute("SHOW PROVIDERS")
        assert [(c.name, c.type_code) for c in cur.description or []] == [("name", 25), ("version", 25)]
        assert cur.fetchall() == [("confluent", "v00.00.00000")]
        assert conn.execute("USE confluent").statusmessage == "USE"
        assert conn.execute("SHOW server_version").fetchone() is not None  # Postgres's SHOW still works
        for statement in (
            f"DESCRIBE METHOD EXTENDED {RESOURCE}.signup",
            f"SHOW EXTENDED METHODS IN {RESOURCE}",
        ):
            simple = conn.execute(statement, prepare=False)
            extended = conn.execute(statement, prepare=True)  # Parse, Bind, Describe, Execute
            assert [(c.name, c.type_code) for c in extended.description or []] == [
                (c.name, c.type_code) for c in simple.description or []
            ]
            assert extended.fetchall() == simple.fetchall()


def test_the_extended_protocol_past_the_prepare_threshold(module_server: Server) -> None:
    with module_server.connect(prepare_threshold=5) as conn:
        for _ in range(8):  # psycopg prepares the sixth: Parse, then Bind/Execute each time
            rows = conn.execute(f"SHOW METHODS IN {RESOURCE}").fetchall()
            assert [r[0] for r in rows] == ["activate_signup", "signup", "signup_partner_v2_link"]
        assert conn.execute("SHOW PROVIDERS", prepare=True).fetchall() == [("confluent", "v00.00.00000")]


def test_a_prepared_exec_is_sent_exactly_once(module_server: Server, module_emulator: Emulator) -> None:
    before = _sent(module_emulator)
    name, external_id = _unique("Prepared")
    with module_server.connect() as conn:
        # Parse, Describe (which must not send), Bind, Execute.
        cur = conn.execute(signup_sql(name, external_id, user=USER), prepare=True)
        assert [c.name for c in cur.description or []] == ["organization_id", "sso_url", "display_message"]
        [row] = cur.fetchall()
    assert _sent(module_emulator) == before + 1
    assert [o["id"] for o in module_emulator.state()["organizations"] if o["name"] == name] == [row[0]]


def test_sixteen_connections_sign_customers_up_at_once(
    module_server: Server, module_emulator: Emulator
) -> None:
    customers = [_unique(f"Many {i}") for i in range(32)]

    def sign_up(pair: list[tuple[str, str]]) -> list[tuple[str, str]]:
        with module_server.connect() as conn:
            return [(name, conn.execute(signup_sql(name, ext)).fetchone()[0]) for name, ext in pair]

    with ThreadPoolExecutor(16) as pool:
        results = [r for batch in pool.map(sign_up, [customers[i::16] for i in range(16)]) for r in batch]

    organizations = module_emulator.state()["organizations"]
    for name, organization_id in results:
        assert [o["id"] for o in organizations if o["name"] == name] == [organization_id]
    assert sorted(n for n, _ in results) == sorted(n for n, _ in customers)
    for _, organization_id in results:  # every outcome is in the server's log
        assert f"succeeded, 201, organization_id {organization_id}" in module_server.log


@pytest.fixture
def slow_setup(tmp_path: Path) -> tuple[Emulator, Server]:
    """An emulator that takes 3 s per answer, and a server in front of it."""
    env = clean_env(tmp_path / "home")
    emulator = Emulator(tmp_path / "slow.db", env, tmp_path, "--latency", "3000")
    server = Server(["--endpoint", emulator.url], env, tmp_path)
    yield emulator, server
    server.stop()
    emulator.stop()


def test_a_cancel_stops_waiting_and_never_resends(slow_setup: tuple[Emulator, Server]) -> None:
    emulator, server = slow_setup
    name, external_id = _unique("Cancelled")
    with server.connect() as conn:
        threading.Timer(0.5, conn.cancel_safe).start()
        with pytest.raises(errors.QueryCanceled) as raised:
            conn.execute(signup_sql(name, external_id))
        # It stopped waiting before the answer came: no outcome yet, and the client is told so.
        assert "succeeded" not in server.log
        detail = str(raised.value.diag.message_detail)
        assert "0 request(s) had finished" in detail and "never sent again" in detail
        assert conn.execute("SHOW PROVIDERS").fetchall()  # the connection goes on
    deadline = time.monotonic() + 10
    while f"{name}" not in json.dumps(emulator.state()) or "succeeded" not in server.log:
        assert time.monotonic() < deadline, server.log
        time.sleep(0.1)
    assert len([o for o in emulator.state()["organizations"] if o["name"] == name]) == 1
    assert len([r for r in emulator.requests() if r["path"] == "/partner/v2/signup"]) == 1


def test_a_client_that_goes_away_loses_no_outcome(slow_setup: tuple[Emulator, Server]) -> None:
    require_psql()
    emulator, server = slow_setup
    name, external_id = _unique("Gone")
    client = subprocess.Popen(
        [
            PSQL,
            "-X",
            "-w",
            "-h",
            server.host,
            "-p",
            str(server.port),
            "-U",
            "stackql",
            "-d",
            "stackql",
            "-c",
            signup_sql(name, external_id),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=server.env,
    )
    time.sleep(0.7)
    client.kill()
    client.wait()
    deadline = time.monotonic() + 10
    while "succeeded, 201" not in server.log:
        assert time.monotonic() < deadline, server.log
        time.sleep(0.1)
    [org] = [o for o in emulator.state()["organizations"] if o["name"] == name]
    assert f"organization_id {org['id']}" in server.log
    assert "Traceback" not in server.log


def test_sigterm_finishes_the_statement_in_flight(slow_setup: tuple[Emulator, Server]) -> None:
    emulator, server = slow_setup
    name, external_id = _unique("Finish")
    with server.connect() as conn:
        threading.Timer(0.5, server.process.send_signal, [signal.SIGTERM]).start()
        [row] = conn.execute(signup_sql(name, external_id)).fetchall()
    assert server.stop() == 0, server.log
    assert [o["id"] for o in emulator.state()["organizations"] if o["name"] == name] == [row[0]]
    with pytest.raises(psycopg.OperationalError):
        server.connect(connect_timeout=2)


def test_api_credentials_stay_in_the_servers_environment(tmp_path: Path, emulator: Emulator) -> None:
    secret = "wrong-secret-" + uuid.uuid4().hex
    env = {
        **clean_env(tmp_path / "home"),
        "CONFLUENT_CLOUD_API_KEY": "someone",
        "CONFLUENT_CLOUD_API_SECRET": secret,
    }
    server = Server(["--endpoint", emulator.url], env, tmp_path)
    try:
        with server.connect() as conn:
            with pytest.raises(psycopg.Error) as raised:
                conn.execute(signup_sql(*_unique("Creds")))
            assert raised.value.sqlstate == "PA401"
            seen = [
                str(raised.value),
                str(raised.value.diag.message_detail),
                str(raised.value.diag.message_hint),
            ]
            for query in (
                "SHOW CONFLUENT_CLOUD_API_SECRET",
                "SELECT current_setting('CONFLUENT_CLOUD_API_SECRET')",
            ):
                seen.append(str(conn.execute(query).fetchall()))
    finally:
        assert server.stop() == 0, server.log
    assert not [text for text in seen if secret in text]
    assert secret not in server.log + server.stdout


def test_sigterm_tells_idle_clients_and_exits_0(tmp_path: Path, module_emulator: Emulator) -> None:
    server = Server(["--endpoint", module_emulator.url], clean_env(tmp_path / "home"), tmp_path)
    with server.connect() as idle:
        assert idle.execute("SHOW PROVIDERS").fetchall()
        assert server.stop() == 0, server.log
        with pytest.raises(psycopg.OperationalError) as ended:
            idle.execute("SHOW PROVIDERS")
    assert "the server is stopping" in str(ended.value)


def _body(name: str, external_id: str) -> dict[str, object]:
    return json.loads(signup_sql(name, external_id).split("@@json='", 1)[1].rsplit("'", 1)[0])


def test_query_parameters_past_the_prepare_threshold(
    module_server: Server, module_emulator: Emulator
) -> None:
    before = _sent(module_emulator)
    customers = [_unique(f"Param {i}") for i in range(7)]
    with module_server.connect(prepare_threshold=5) as conn:
        organizations = [
            conn.execute(f"EXEC {RESOURCE}.signup @@json=%s", [json.dumps(_body(*c))]).fetchone()[0]
            for c in customers
        ]
        # Typed parameters: a boolean is written as true, a JSON document as a string, text with
        # template markers stays text.
        name, external_id = _unique("Typed")
        body = _body(name, external_id)
        entitlement = {**body["entitlement"], "name": "prod {{ not a variable }}"}  # type: ignore[dict-item]
        [row] = conn.execute(
            f"EXEC {RESOURCE}.signup @organization=%s @entitlement=%s @dry_run=%s",
            [json.dumps(body["organization"]), json.dumps(entitlement), True],
        ).fetchall()
        assert "Dry run" in row[2]
        # Below psycopg's own placeholder check: a $2 with one value is the server's to refuse.
        answer = conn.pgconn.exec_params(f"SHOW METHODS IN {RESOURCE} LIKE $2".encode(), [b"sign%"])
        assert answer.error_field(DiagnosticField.SQLSTATE) == b"42P02"
        assert conn.execute("SHOW PROVIDERS").fetchall()
    state = module_emulator.state()["organizations"]
    for (name, _), organization_id in zip(customers, organizations, strict=True):
        assert [o["id"] for o in state if o["name"] == name] == [organization_id]
    assert _sent(module_emulator) == before + len(customers) + 1


def test_on_error_continue_tells_what_became_of_later_statements(
    tmp_path: Path, module_emulator: Emulator
) -> None:
    server = Server(
        ["--endpoint", module_emulator.url, "--on-error", "continue"], clean_env(tmp_path / "home"), tmp_path
    )
    taken, fresh = _unique("Taken"), _unique("Fresh")
    try:
        with server.connect() as conn:
            conn.execute(signup_sql(*taken))
            with pytest.raises(psycopg.Error) as raised:
                conn.execute(signup_sql(*taken) + "\n" + signup_sql(*fresh))
    finally:
        assert server.stop() == 0, server.log
    assert raised.value.sqlstate == "PA409"
    [org] = [o for o in module_emulator.state()["organizations"] if o["name"] == fresh[0]]
    detail = str(raised.value.diag.message_detail)
    assert f"later statements:\nstatement 2: succeeded, 201, organization_id {org['id']}" in detail


def test_ctrl_c_in_psql_cancels_and_says_what_became_of_the_statement(
    slow_setup: tuple[Emulator, Server],
) -> None:
    pexpect = pytest.importorskip("pexpect")
    require_psql()
    emulator, server = slow_setup
    name, external_id = _unique("CtrlC")
    argv = ["-X", "-w", "-h", server.host, "-p", str(server.port), "-U", "stackql", "-d", "stackql"]
    psql = pexpect.spawn(PSQL, argv, env=server.env, encoding="utf-8", timeout=20)
    try:
        psql.expect("stackql=> ")
        psql.sendline(signup_sql(name, external_id))
        time.sleep(0.7)  # the request is on its way to the slow emulator
        psql.sendintr()  # Ctrl-C: psql sends a cancel request
        psql.expect("ERROR:  canceling statement due to user request: stopped waiting for it")
        psql.expect("never sent again")
        psql.expect("stackql=> ")
        psql.sendline("SHOW PROVIDERS;")  # the session goes on
        psql.expect("confluent")
        psql.sendline("\\q")
        psql.expect(pexpect.EOF)
    finally:
        psql.close(force=True)
    deadline = time.monotonic() + 10
    while "succeeded, 201" not in server.log:
        assert time.monotonic() < deadline, server.log
        time.sleep(0.1)
    assert len([o for o in emulator.state()["organizations"] if o["name"] == name]) == 1
