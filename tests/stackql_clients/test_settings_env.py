"""STACKQL_SIGNUPS_ENDPOINT, _ON_CONFLICT and _STATE: read by every command; a flag wins over its variable."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

from ..e2e import CLI, RESOURCE, Emulator, run
from .stackql_clients_support import STACKQL, StackqlRunner, organizations_named, signup, unique

NOWHERE = "http://127.0.0.1:9"  # nothing listens on the discard port


def both(client_env: dict[str, str], tmp_path: Path, *args: str, **env: str) -> list:
    """The same exec through `stackql` and through `stackql-signups`."""
    return [
        run([str(command), "exec", *args], {**client_env, **env}, cwd=tmp_path) for command in (STACKQL, CLI)
    ]


def test_a_bad_endpoint_variable_is_named_and_nothing_is_sent(
    client_env: dict[str, str], tmp_path: Path, module_emulator: Emulator
) -> None:
    sent = len(module_emulator.requests())
    for done in both(client_env, tmp_path, signup(*unique("Bad")), STACKQL_SIGNUPS_ENDPOINT="ftp://x"):
        assert done.status == 2, done.explain()
        assert done.stdout == ""
        assert "STACKQL_SIGNUPS_ENDPOINT must be an http:// or https:// URL" in done.stderr, done.explain()
    for done in both(client_env, tmp_path, signup(*unique("Bad")), STACKQL_SIGNUPS_ON_CONFLICT="ignore"):
        assert done.status == 2, done.explain()
        assert "STACKQL_SIGNUPS_ON_CONFLICT must be fail or existing" in done.stderr, done.explain()
    assert len(module_emulator.requests()) == sent


def test_the_endpoint_variable_points_every_command_and_a_flag_wins(
    client_env: dict[str, str], tmp_path: Path, module_emulator: Emulator
) -> None:
    for command in (STACKQL, CLI):
        from_variable, flag_wins = unique("Env"), unique("Flag")
        done = run([str(command), "exec", signup(*from_variable)], client_env, cwd=tmp_path)
        assert done.status == 0, done.explain()
        done = run(
            [str(command), "exec", signup(*flag_wins), "--endpoint", module_emulator.url],
            {**client_env, "STACKQL_SIGNUPS_ENDPOINT": NOWHERE},
            cwd=tmp_path,
        )
        assert done.status == 0, done.explain()
        assert len(organizations_named(module_emulator, from_variable[0])) == 1
        assert len(organizations_named(module_emulator, flag_wins[0])) == 1


def test_on_conflict_variable_turns_a_known_customer_into_its_row(
    run_stackql: StackqlRunner, module_emulator: Emulator
) -> None:
    name, external_id = unique("Again")
    first = run_stackql("exec", signup(name, external_id), "--output", "json")
    [created] = json.loads(first.stdout)

    again = run_stackql(
        "exec", signup(name, external_id), "--output", "json", env={"STACKQL_SIGNUPS_ON_CONFLICT": "existing"}
    )
    assert again.status == 0, again.explain()
    assert json.loads(again.stdout)[0]["organization_id"] == created["organization_id"]
    assert "already there" in again.stderr

    flagged = run_stackql(
        "exec",
        signup(name, external_id),
        "--on-conflict",
        "fail",
        env={"STACKQL_SIGNUPS_ON_CONFLICT": "existing"},
    )
    assert flagged.status == 1 and flagged.stderr.startswith("http response status code: 409")
    assert len(organizations_named(module_emulator, name)) == 1


def test_state_variable_places_the_local_emulators_state(client_env: dict[str, str], tmp_path: Path) -> None:
    state = tmp_path / "chosen" / "partner.sqlite3"
    name, external_id = unique("Local")
    for done in both(
        client_env,
        tmp_path,
        signup(name, external_id),
        "--output",
        "json",
        STACKQL_SIGNUPS_ENDPOINT="local",
        STACKQL_SIGNUPS_STATE=str(state),
        STACKQL_SIGNUPS_ON_CONFLICT="existing",
    ):
        assert done.status == 0, done.explain()
    with sqlite3.connect(state) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert tables  # the emulator's state is there, not in the default data folder
    assert not (Path(client_env["XDG_DATA_HOME"]) / "stackql-signups").exists()


def test_the_emulator_command_reads_the_state_variable(client_env: dict[str, str], tmp_path: Path) -> None:
    state = tmp_path / "served.sqlite3"
    env = {**client_env, "STACKQL_SIGNUPS_STATE": str(state)}
    log = tmp_path / "emulator.err"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [str(CLI), "emulator", "--port", "0"], stdout=subprocess.PIPE, stderr=err, env=env
        )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().decode().startswith("emulator listening on http://127.0.0.1:")
        deadline = time.monotonic() + 10
        while str(state) not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert f"state in {state}" in log.read_text()
        assert state.exists()
    finally:
        process.terminate()  # the emulator stops on SIGTERM as on Ctrl-C
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_show_needs_no_endpoint(run_stackql: StackqlRunner) -> None:
    done = run_stackql(
        "exec", f"SHOW METHODS IN {RESOURCE}", "-o", "json", env={"STACKQL_SIGNUPS_ENDPOINT": NOWHERE}
    )
    assert done.status == 0 and len(json.loads(done.stdout)) == 3, done.explain()


def test_approot_holds_the_local_emulators_state_unless_a_state_is_named(
    run_stackql: StackqlRunner, client_env: dict[str, str], tmp_path: Path
) -> None:
    approot = tmp_path / "approot"
    local = {"STACKQL_SIGNUPS_ENDPOINT": "local"}
    done = run_stackql("exec", signup(*unique("Approot")), "--approot", str(approot), env=local)
    assert done.status == 0, done.explain()
    assert (approot / "stackql-signups" / "emulator.sqlite3").is_file()
    named = tmp_path / "named.sqlite3"
    done = run_stackql(
        "exec",
        signup(*unique("Named")),
        "--approot",
        str(tmp_path / "other"),
        "--state",
        str(named),
        env=local,
    )
    assert done.status == 0, done.explain()
    assert named.is_file() and not (tmp_path / "other").exists()
