"""The installed `stackql` command, run as pystackql and stackql-deploy run it, against a real emulator."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pystackql.utils.params import generate_params_for_execution

import stackql_signups

from ..e2e import CLI, RESOURCE, Emulator, run
from .stackql_clients_support import StackqlRunner, organizations_named, signup, unique

#: What pystackql 3.8.5 passes on every call (pystackql/utils/params.py), after `exec '<query>'`.
PYSTACKQL_FLAGS = generate_params_for_execution({})[1:]


def test_version_first_line_has_stackqls_shape(run_stackql: StackqlRunner) -> None:
    done = run_stackql("--version")
    assert done.status == 0, done.explain()
    first = done.stdout.splitlines()[0]
    assert re.fullmatch(r"stackql v\S+ \S+ \(\S+\)", first), first
    words = first.split(" ")
    assert words[1] == f"v{stackql_signups.__version__}"  # pystackql's version: word 2
    assert words[3] == "(stackql-signups)"  # its sha, word 4: says which `stackql` this is


def test_every_flag_pystackql_passes_is_accepted(run_stackql: StackqlRunner) -> None:
    assert "--apirequesttimeout" in PYSTACKQL_FLAGS and "--execution.concurrency.limit" in PYSTACKQL_FLAGS
    done = run_stackql("exec", f"SHOW METHODS IN {RESOURCE}", *PYSTACKQL_FLAGS)
    assert done.status == 0, done.explain()
    assert [r["MethodName"] for r in json.loads(done.stdout)] == [
        "activate_signup",
        "signup",
        "signup_partner_v2_link",
    ]


def test_every_optional_pystackql_flag_is_accepted(run_stackql: StackqlRunner, tmp_path: Path) -> None:
    flags = generate_params_for_execution(
        {},
        {
            "output": "csv",
            "sep": ";",
            "header": False,
            "backend_storage_mode": "file",
            "backend_file_storage_location": str(tmp_path / "stackql.db"),
            "app_root": str(tmp_path / "approot"),
            "http_debug": True,
            "custom_auth": {"confluent": {"type": "basic", "username_var": "K", "password_var": "S"}},
            "proxy_host": "127.0.0.1",
            "proxy_port": 3128,
            "proxy_user": "u",
            "proxy_password": "p",
            "max_results": 10,
            "page_limit": 2,
            "max_depth": 3,
            "api_timeout": 5,
        },
    )[1:]
    for expected in ("--sqlBackend", "--approot", "--http.log.enabled", "--http.proxy.host", "--auth"):
        assert expected in flags
    done = run_stackql("exec", f"SHOW METHODS IN {RESOURCE}", *flags)
    assert done.status == 0, done.explain()
    # csv, ';' as delimiter, no header: as pystackql asked
    assert done.stdout.splitlines() == [
        "activate_signup;organization_id, user;EXEC",
        "signup;entitlement, organization;EXEC",
        "signup_partner_v2_link;entitlement, organization, token;EXEC",
    ]
    assert "http.proxy" in done.stderr  # a proxy that is not used is said, not silently dropped
    assert not (tmp_path / "stackql.db").exists()


def test_flags_may_stand_before_the_command_and_in_pflag_form(run_stackql: StackqlRunner) -> None:
    done = run_stackql("--output=csv", "--hideheaders=true", "exec", f"SHOW METHODS IN {RESOURCE}")
    assert done.status == 0, done.explain()
    assert done.stdout.splitlines()[0] == 'activate_signup,"organization_id, user",EXEC'
    done = run_stackql("--output=csv", "--hideheaders=false", "exec", f"SHOW METHODS IN {RESOURCE}")
    assert done.stdout.splitlines()[0] == "MethodName,RequiredParams,SQLVerb"


def test_exec_returns_the_response_row_and_creates_one_customer(
    run_stackql: StackqlRunner, module_emulator: Emulator
) -> None:
    name, external_id = unique("Exec")
    done = run_stackql("exec", signup(name, external_id), *PYSTACKQL_FLAGS)
    assert done.status == 0, done.explain()
    [row] = json.loads(done.stdout)
    [organization] = organizations_named(module_emulator, name)
    assert row["organization_id"] == organization["id"]
    assert done.stderr.startswith("The operation was despatched successfully")


def test_api_failure_leaves_stdout_empty_and_starts_stderr_with_the_status(
    run_stackql: StackqlRunner, module_emulator: Emulator, tmp_path: Path
) -> None:
    name, external_id = unique("Twice")
    assert run_stackql("exec", signup(name, external_id)).status == 0
    outfile = tmp_path / "out.json"

    done = run_stackql("exec", signup(name, external_id), *PYSTACKQL_FLAGS, "-f", str(outfile))

    assert done.status == 1, done.explain()
    assert done.stdout == ""
    first = done.stderr.splitlines()[0]
    prefix = "http response status code: 409, response body: "
    assert first.startswith(prefix), done.explain()
    body = json.loads(first.removeprefix(prefix))  # the API's body, as it came
    assert body["errors"][0]["code"] == "resource_already_exists"
    assert external_id in body["errors"][0]["detail"]
    assert "Traceback" not in done.stderr
    assert not outfile.exists()  # nothing written for a failed run
    assert len(organizations_named(module_emulator, name)) == 1


def test_input_errors_start_with_error_and_send_nothing(
    run_stackql: StackqlRunner, module_emulator: Emulator
) -> None:
    sent = len(module_emulator.requests())
    for query in (
        f"EXEC {RESOURCE}.signup @@json='{{\"organization\": {{}}}}'",  # invalid body
        f"EXEC {RESOURCE}.nope",  # unknown method
        "EXEC",  # not a statement
        f"SHOW METHODS IN {RESOURCE}; EXEC {RESOURCE}.signup @organization=",  # the second is broken
    ):
        done = run_stackql("exec", query, *PYSTACKQL_FLAGS)
        assert done.status == 2, done.explain()
        assert done.stdout == ""
        assert done.stderr.startswith("error: "), done.explain()
        assert "Traceback" not in done.stderr
    assert len(module_emulator.requests()) == sent


def test_bad_flags_are_clear_errors(run_stackql: StackqlRunner) -> None:
    for args in (
        ("exec", "SHOW PROVIDERS", "--no-such-flag"),
        ("exec", "SHOW PROVIDERS", "--output", "xml"),
        ("exec", "SHOW PROVIDERS", "--http.log.enabled=maybe"),
        ("exec", "SHOW PROVIDERS", "--apirequesttimeout", "soon"),
        ("shell", "SHOW PROVIDERS"),
        (),
    ):
        done = run_stackql(*args)
        assert done.status == 2, done.explain()
        assert done.stdout == ""
        assert done.stderr.startswith("error: "), done.explain()
        assert "Traceback" not in done.stderr


def test_several_statements_give_one_json_document(
    run_stackql: StackqlRunner, module_emulator: Emulator
) -> None:
    name, external_id = unique("Several")
    query = f"SHOW PROVIDERS; {signup(name, external_id)}; REGISTRY LIST confluent"
    done = run_stackql("exec", query, *PYSTACKQL_FLAGS)
    assert done.status == 0, done.explain()
    rows = json.loads(done.stdout)  # one document, not one per line
    assert rows[0] == {"name": "confluent", "version": "v00.00.00000"}
    assert rows[1]["organization_id"] == organizations_named(module_emulator, name)[0]["id"]
    assert rows[2] == {"provider": "confluent", "versions": "v00.00.00000"}


def test_registry_pull_answers_from_the_embedded_registry(run_stackql: StackqlRunner) -> None:
    done = run_stackql("exec", "REGISTRY PULL confluent v00.00.00000", *PYSTACKQL_FLAGS)
    assert done.status == 0, done.explain()
    assert done.stdout == ""
    assert done.stderr.startswith("confluent provider, version 'v00.00.00000' successfully installed")
    listed = run_stackql("exec", "REGISTRY LIST", *PYSTACKQL_FLAGS)
    assert json.loads(listed.stdout) == [{"provider": "confluent", "version": "v00.00.00000"}]
    for query, says in (("REGISTRY PULL aws", "'aws'"), ("REGISTRY PULL confluent v1.2", "'v1.2'")):
        done = run_stackql("exec", query, *PYSTACKQL_FLAGS)
        assert done.status == 2 and done.stdout == "", done.explain()
        assert done.stderr.startswith("error: ") and says in done.stderr, done.explain()


def test_http_log_enabled_logs_each_request(run_stackql: StackqlRunner) -> None:
    done = run_stackql("exec", signup(*unique("Logged")), *PYSTACKQL_FLAGS, "--http.log.enabled")
    assert done.status == 0, done.explain()
    assert re.search(r"^> POST http://127\.0\.0\.1:\d+/partner/v2/signup ", done.stderr, re.M), done.stderr
    assert re.search(r"^< 201 ", done.stderr, re.M), done.stderr
    assert "emulator-secret" not in done.stderr


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A port on 127.0.0.1 that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_apirequesttimeout_bounds_the_wait(run_stackql: StackqlRunner, silent_server: str) -> None:
    started = time.monotonic()
    done = run_stackql(
        "exec",
        signup(*unique("Slow")),
        *PYSTACKQL_FLAGS[:-2],
        "--apirequesttimeout",
        "1",
        env={"STACKQL_SIGNUPS_ENDPOINT": silent_server},
    )
    assert time.monotonic() - started < 15  # the default read timeout is 30 s
    assert done.status == 1, done.explain()
    assert done.stdout == ""
    assert done.stderr.startswith("error: network error"), done.explain()


def test_dryrun_sends_nothing(run_stackql: StackqlRunner, module_emulator: Emulator) -> None:
    sent = len(module_emulator.requests())
    done = run_stackql("exec", signup(*unique("Dry")), "--dryrun", "--output", "json")
    assert done.status == 0, done.explain()
    [plan] = json.loads(done.stdout)
    assert plan["url"].startswith(module_emulator.url)
    assert len(module_emulator.requests()) == sent


def test_shell_runs_piped_statements(run_stackql: StackqlRunner) -> None:
    done = run_stackql("shell", "--colorscheme", "null", "--output", "csv", stdin="SHOW PROVIDERS;\n")
    assert done.status == 0, done.explain()
    assert "confluent,v00.00.00000" in done.stdout.splitlines()


def test_what_succeeded_before_a_failure_is_told_on_stderr(
    run_stackql: StackqlRunner, module_emulator: Emulator
) -> None:
    taken_name, taken_id = unique("Taken")
    assert run_stackql("exec", signup(taken_name, taken_id)).status == 0
    new_name, new_id = unique("New")

    done = run_stackql(
        "exec", f"{signup(new_name, new_id)}; {signup(taken_name, taken_id)}", *PYSTACKQL_FLAGS
    )

    assert done.status == 1 and done.stdout == "", done.explain()
    assert done.stderr.startswith("http response status code: 409")
    [created] = organizations_named(module_emulator, new_name)
    assert "2 statements: 1 succeeded, 1 failed" in done.stderr
    assert f'statement 1 succeeded before the failure: {{"organization_id": "{created["id"]}"' in done.stderr


def test_registry_statements_in_stackql_signups_exec_too(client_env: dict[str, str], tmp_path: Path) -> None:
    done = run(
        [str(CLI), "exec", "REGISTRY LIST; REGISTRY PULL confluent", "-o", "csv"], client_env, cwd=tmp_path
    )
    assert done.status == 0, done.explain()
    assert done.stdout.splitlines() == ["provider,version", "confluent,v00.00.00000"]
    assert "confluent provider, version 'v00.00.00000' successfully installed" in done.stderr
    for bad, says in (("REGISTRY PULL nope", "'nope'"), ("REGISTRY FETCH confluent", "REGISTRY LIST")):
        done = run([str(CLI), "exec", bad], client_env, cwd=tmp_path)
        assert done.status == 2 and done.stdout == "", done.explain()
        assert says in done.stderr and "Traceback" not in done.stderr
