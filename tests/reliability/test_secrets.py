"""Secrets never leak: ONE test runs every command path with canary credentials and scans everything.

Canaries: the Cloud API key and secret (in CONFLUENT_CLOUD_API_KEY/SECRET, the emulator started with the
same), a wrong secret, an OAuth client id and secret (another emulator accepts them), a link token that is
not valid, and a real link token issued by the emulator. Paths: exec (success, API errors 400/401/409/500,
a read timeout, a refused connection, --on-conflict existing), --dryrun, errors of each kind (usage,
template, parse, bind, validation) on statements that carry the token, -v/--verbose, --report, -f outfile,
--endpoint local, the shell in a pseudo-terminal (and its history file), the shell piped, the Python API
(exceptions, their str/repr/traceback, plan(), debug logging). Then every stdout, stderr, transcript and
file written (report, outfile, history, the emulators' own output) is scanned for each canary, for the
base64 of key:secret, and for any Authorization value that is not masked.

Also here: templates cannot reach Python internals or files; the emulator listens on 127.0.0.1 by default
and checks credentials on every operation.
"""

# ruff: noqa: E501 - one scenario, one command per line

from __future__ import annotations

import base64
import io
import json
import logging
import re
import socket
import sys
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import stackql_signups

from ..e2e import clean_env
from .reliability_support import CLI, RESOURCE, Run, StartEmulator, run_cli, signup_body, signup_sql

SIGNUP = f"{RESOURCE}.signup"
LINK = f"{RESOURCE}.signup_partner_v2_link"
ORGANIZATION = json.dumps({"sso_config": {"kind": "AzureSSOConfig", "tenant_id": "tenant-1"}})


def canary(kind: str) -> str:
    return f"canary-{kind}-{uuid.uuid4().hex}"


def link_sql(token: str, external_id: str, organization: str = ORGANIZATION) -> str:
    entitlement = json.dumps(signup_body("Acme", external_id)["entitlement"])
    return f"EXEC {LINK} @token='{token}' @organization='{organization}' @entitlement='{entitlement}';"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


UNMASKED_AUTH = re.compile(r"\b(Basic|Bearer)\s+(?!\*{8})[A-Za-z0-9+/=._~-]{8,}")


def test_no_command_path_shows_a_secret(
    tmp_path: Path, start_emulator: StartEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, secret, wrong = canary("key"), canary("secret"), canary("wrong-secret")
    oauth_id, oauth_secret = canary("oauth-id"), canary("oauth-secret")
    bad_token = canary("link-token")
    home = tmp_path / "home"
    env = clean_env(home, CONFLUENT_CLOUD_API_KEY=key, CONFLUENT_CLOUD_API_SECRET=secret)
    env.update(MY_OAUTH_ID=oauth_id, MY_OAUTH_SECRET=oauth_secret)
    basic = start_emulator(state=tmp_path / "basic.sqlite3", environ=env)
    oauth_env = dict(env, CONFLUENT_CLOUD_API_KEY=oauth_id, CONFLUENT_CLOUD_API_SECRET=oauth_secret)
    slow = start_emulator("--latency", "400", state=tmp_path / "oauth.sqlite3", environ=oauth_env)
    failing = start_emulator("--fail-rate", "1", state=tmp_path / "failing.sqlite3", environ=env)
    seen: list[tuple[str, str]] = []  # (what, text) of everything a user or a log could see

    def cli(what: str, *args: str, stdin: str = "", environ: dict[str, str] | None = None) -> Run:
        run = run_cli(list(args), environ or env, tmp_path, stdin=stdin, timeout=60)
        seen.append((f"{what}: stdout", run.stdout))
        seen.append((f"{what}: stderr", run.stderr))
        return run

    oauth = json.dumps(
        {
            "confluent": {
                "type": "oauth2",
                "client_id_var": "MY_OAUTH_ID",
                "client_secret_var": "MY_OAUTH_SECRET",
                "scopes": ["partner:create", "partner:describe"],
            }
        }
    )
    vars_file = tmp_path / "secret-vars.yaml"
    vars_file.write_text(f"link_token: {bad_token}\n", encoding="utf-8")
    templated_link = link_sql("{{ link_token }}", "link-var")

    # --- exec: success, then the link token paths --------------------------------------------------
    report = tmp_path / "report.jsonl"
    created = cli(
        "signup -v", "exec", signup_sql("Acme", "acme-1", label="acme"), "--endpoint", basic.url,
        "-o", "json", "-v", "--report", str(report),
    )  # fmt: skip
    assert created.status == 0, created.explain()
    organization = json.loads(created.stdout.splitlines()[0])[0]["organization_id"]
    answer = httpx.post(
        f"{basic.url}/_emulator/link-tokens",
        json={"organization_id": organization},
        auth=basic.admin_auth,
        timeout=10,
    )
    real_token = answer.json()["token"]
    linked = cli("link real token -v", "exec", link_sql(real_token, "link-1"), "--endpoint", basic.url, "-v")
    assert linked.status == 0, linked.explain()
    refused = cli(
        "link bad token (-q) -v", "exec", templated_link, "-q", str(vars_file), "--endpoint", basic.url, "-v"
    )
    assert refused.status == 1 and "400 Bad Request" in refused.stderr, refused.explain()
    refused_var = cli(
        "link bad token (--var)", "exec", templated_link, "--var", f"link_token={bad_token}",
        "--endpoint", basic.url, "-o", "json",
    )  # fmt: skip
    assert refused_var.status == 1, refused_var.explain()
    cli("link bad token inline", "exec", link_sql(bad_token, "link-2"), "--endpoint", basic.url, "-v")

    # --- --dryrun, outfile, report -------------------------------------------------------------------
    for fmt in ("json", "table", "csv", "text", "jsonl"):
        planned = cli(f"dryrun {fmt}", "exec", link_sql(bad_token, "d-1") + templated_link, "-q", str(vars_file),
                      "--dryrun", "-o", fmt)  # fmt: skip
        assert planned.status == 0, planned.explain()
    outfile = tmp_path / "out.json"
    cli(
        "outfile",
        "exec",
        link_sql(real_token, "link-3"),
        "--endpoint",
        basic.url,
        "-o",
        "json",
        "-f",
        str(outfile),
    )

    # --- errors of each kind, on statements that carry the token -------------------------------------
    errors = {
        "parse": link_sql(bad_token, "e-1").replace("@organization=", "@organization "),
        "bind": link_sql(bad_token, "e-2")[:-1] + " @colour='red';",
        "validation": link_sql(bad_token, "e-3", organization='{"sso_config": {"kind": "Okta"}}'),
        "validation-token-type": link_sql(bad_token, "e-4").replace(
            f"@token='{bad_token}'", "@token=12345678"
        ),
        "bad json": link_sql(bad_token, "e-5").replace("@entitlement='{", "@entitlement='{,"),
        "template": link_sql(bad_token, "e-6") + "{{ undefined_thing }}",
        "unterminated": f"EXEC {LINK} @token='{bad_token}",
    }
    for kind, script in errors.items():
        for args in ((), ("--dryrun",), ("-q", str(vars_file))):
            failed = cli(f"{kind} error {args}", "exec", script, "--endpoint", basic.url, *args)
            assert failed.status == 2, failed.explain()
    usage = cli(
        "usage: secret pasted into --auth", "exec", signup_sql("Acme", "u-1"), "--endpoint", basic.url,
        "--auth", json.dumps({"confluent": {"type": "basic", "username_var": secret, "password_var": wrong}}),
    )  # fmt: skip
    assert usage.status == 2, usage.explain()

    # --- API and network failures ----------------------------------------------------------------------
    duplicate = cli("409", "exec", signup_sql("Acme", "acme-1"), "--endpoint", basic.url, "-v")
    assert duplicate.status == 1 and "409 Conflict" in duplicate.stderr
    existing = cli("409 existing", "exec", signup_sql("Acme", "acme-1"), "--endpoint", basic.url, "-v",
                   "--on-conflict", "existing", "--report", str(tmp_path / "existing.jsonl"))  # fmt: skip
    assert existing.status == 0, existing.explain()
    wrong_env = dict(env, CONFLUENT_CLOUD_API_SECRET=wrong)
    unauthorized = cli(
        "401", "exec", link_sql(bad_token, "w-1"), "--endpoint", basic.url, "-v", environ=wrong_env
    )
    assert unauthorized.status == 1 and "401 Unauthorized" in unauthorized.stderr, unauthorized.explain()
    server_error = cli("500", "exec", link_sql(bad_token, "f-1"), "--endpoint", failing.url, "-v")
    assert server_error.status == 1 and "the outcome is unknown" in server_error.stderr
    refused_port = f"http://127.0.0.1:{closed_port()}"
    no_server = cli(
        "refused", "exec", link_sql(bad_token, "n-1"), "--endpoint", refused_port, "--retries", "0", "-v"
    )
    assert no_server.status == 1 and "could not connect" in no_server.stderr

    # --- OAuth: token request, success, a read timeout, a refused client secret ------------------------
    good = cli("oauth -v", "exec", signup_sql("Acme", "o-1"), "--endpoint", slow.url, "--auth", oauth, "-v")
    assert good.status == 0, good.explain()
    timeout = cli("oauth timeout", "exec", link_sql(bad_token, "o-2"), "--endpoint", slow.url, "--auth", oauth,
                  "--timeout", "0.2", "-v")  # fmt: skip
    assert timeout.status == 1 and "unknown" in timeout.stderr, timeout.explain()
    bad_client = cli("oauth refused", "exec", signup_sql("Acme", "o-3"), "--endpoint", slow.url, "--auth", oauth,
                     "-v", environ=dict(env, MY_OAUTH_SECRET=wrong))  # fmt: skip
    assert bad_client.status == 1 and "401" in bad_client.stderr, bad_client.explain()

    # --- the built-in emulator never receives the user's credentials -----------------------------------
    local = cli("local -v", "exec", signup_sql("Acme", "l-1"), "--endpoint", "local", "--state",
                str(tmp_path / "local.sqlite3"), "-v")  # fmt: skip
    assert local.status == 0, local.explain()

    # --- the shell: in a pseudo-terminal (history file included), and piped --------------------------
    seen.append(("shell tty", shell_session(env, basic.url, vars_file, bad_token, real_token)))
    piped = cli("shell piped", "shell", "--endpoint", basic.url, "-v", "-q", str(vars_file),
                stdin=link_sql(bad_token, "p-1") + "\n" + templated_link + "\n" + errors["parse"] + "\n")  # fmt: skip
    assert piped.status == 2, piped.explain()  # it holds a parse error: bad input, as exec says it

    # --- the Python API: exceptions, their str/repr/traceback, plan(), debug logging ------------------
    monkeypatch.setenv("CONFLUENT_CLOUD_API_KEY", key)
    monkeypatch.setenv("CONFLUENT_CLOUD_API_SECRET", secret)
    seen.append(("python api", python_api(basic.url, refused_port, bad_token, real_token)))

    # --- every file written: the report, the outfile, the history, the emulators' own output ----------
    files = [report, tmp_path / "existing.jsonl", outfile, *sorted(home.rglob("*"))]
    files += [emulator.out_path for emulator in (basic, slow, failing)]
    files += [emulator.err_path for emulator in (basic, slow, failing)]
    for path in files:
        if path.is_file():
            seen.append((f"file {path.name}", path.read_text("utf-8", "replace")))
    assert any(name == "file history" for name, _ in seen), "the shell wrote no history file"

    canaries = {
        "API key": key,
        "API secret": secret,
        "wrong secret": wrong,
        "base64(key:secret)": base64.b64encode(f"{key}:{secret}".encode()).decode(),
        "base64(key:wrong)": base64.b64encode(f"{key}:{wrong}".encode()).decode(),
        "OAuth client id": oauth_id,
        "OAuth client secret": oauth_secret,
        "base64(oauth id:secret)": base64.b64encode(f"{oauth_id}:{oauth_secret}".encode()).decode(),
        "link token (not valid)": bad_token,
        "link token (issued)": real_token,
    }
    leaks = [
        f"{label} in {what}: ...{text[max(0, text.find(value) - 120) : text.find(value) + 40]!r}..."
        for what, text in seen
        for label, value in canaries.items()
        if value in text
    ]
    leaks += [
        f"unmasked {m.group(0)[:16]}... in {what}"
        for what, text in seen
        for m in UNMASKED_AUTH.finditer(text)
    ]
    assert not leaks, "\n".join(leaks)
    assert len(seen) > 80  # (what, text) pairs scanned
    assert "Authorization: Basic ********" in created.stderr  # -v did log the requests, masked
    assert "Authorization: Bearer ********" in good.stderr and "/oauth2/token" in good.stderr


def shell_session(env: dict[str, str], url: str, vars_file: Path, bad_token: str, real_token: str) -> str:
    """Type statements carrying tokens into `stackql-signups shell`; the whole transcript."""
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(
        str(CLI), ["shell", "--endpoint", url, "-v", "-q", str(vars_file)],
        env={**env, "TERM": "xterm"}, encoding="utf-8", timeout=20, dimensions=(50, 400),
    )  # fmt: skip
    transcript = io.StringIO()
    child.logfile_read = transcript
    prompt = "stackql-signups=> "
    typed = (
        link_sql("{{ link_token }}", "s-1"),
        link_sql(bad_token, "s-2"),
        link_sql(real_token, "s-3"),
        link_sql(bad_token, "s-4").replace("@organization=", "@organization "),
        link_sql(bad_token, "s-5")[:-1] + " @colour='red';",
        link_sql(bad_token, "{{ nope }}"),
    )
    try:
        child.expect_exact(prompt)
        for statement in typed:
            child.send(statement + "\r")
            child.expect_exact(prompt)
        child.send("\x04")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    text = transcript.getvalue()
    for statement in typed:  # the terminal echoes what the user typed: that is not the tool's output
        assert statement in text
        text = text.replace(statement, "<typed>")
    return text


def python_api(url: str, refused_port: str, bad_token: str, real_token: str) -> str:
    """Errors of every kind through connect(); their text, repr and traceback; debug logs meanwhile."""
    shown: list[str] = []
    records = io.StringIO()
    handler = logging.StreamHandler(records)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)

    def caught(call: Callable[[], Any]) -> None:
        try:
            shown.append(repr(call()))
        except stackql_signups.Error as exc:
            shown.extend([str(exc), repr(exc), exc.describe(), repr(exc.args), repr(vars(exc))])
            shown.append("".join(traceback.format_exception(exc)))

    try:
        with stackql_signups.connect(endpoint=url) as db:
            caught(lambda: db.execute(link_sql("{{ t }}", "py-1"), vars={"t": bad_token}))
            caught(lambda: db.execute(link_sql(bad_token, "py-2")))
            caught(lambda: db.execute(link_sql(real_token, "py-3")))
            caught(lambda: db.plan(link_sql(bad_token, "py-4")))
            caught(
                lambda: db.execute(link_sql(bad_token, "py-5").replace("@organization=", "@organization "))
            )
            caught(lambda: db.execute(link_sql(bad_token, "py-6", organization='{"sso_config": {}}')))
            caught(
                lambda: db.execute(
                    link_sql("{{ t }}", "py-7")[:-1] + " @colour='red';", vars={"t": bad_token}
                )
            )
            shown.append(repr(vars(db)))
        with stackql_signups.connect(endpoint=refused_port, retries=0) as db:
            caught(lambda: db.execute(link_sql(bad_token, "py-8")))

        async def in_async() -> None:
            async with stackql_signups.connect_async(endpoint=url) as adb:
                try:
                    await adb.execute(link_sql(bad_token, "py-9"))
                except stackql_signups.Error as exc:
                    shown.extend([str(exc), repr(exc), "".join(traceback.format_exception(exc))])

        import asyncio

        asyncio.run(in_async())
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert any("400 Bad Request" in text for text in shown)
    return "\n".join(shown) + "\n--- logging ---\n" + records.getvalue()


# --- templates cannot reach Python internals or files ----------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__.os }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{{ self._TemplateReference__context }}",
        "{{ config }}",
        "{% include '/etc/passwd' %}",
        "{% import '/etc/passwd' as p %}",
        "{% from '/etc/passwd' import x %}",
        "{% extends '/etc/passwd' %}",
        "{{ v.__class__ }}",
        "{{ v.keys.__self__ }}",
        "{% set x = v.update({'a': 1}) %}",
    ],
)
def test_templates_cannot_reach_python_internals_or_files(template: str, tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home")
    run = run_cli(
        ["exec", f"SHOW METHODS IN {RESOURCE}; -- {template}", "--var", "v={}", "--dryrun"], env, tmp_path
    )
    assert run.status == 2, run.explain()
    assert run.stderr.startswith("template error"), run.explain()
    assert "root:" not in run.stdout + run.stderr and "uid=" not in run.stdout + run.stderr
    assert "Traceback" not in run.stderr


# --- the emulator: loopback by default, credentials on every operation ---------------------------------


def test_the_emulator_listens_on_loopback_and_checks_credentials_on_every_operation(
    start_emulator: StartEmulator,
) -> None:
    emulator = start_emulator()
    assert emulator.url.startswith("http://127.0.0.1:")
    operations = [
        ("POST", "/partner/v2/signup"),
        ("POST", "/partner/v2/signup?dry_run=true"),
        ("POST", "/partner/v2/signup/activate"),
        ("POST", "/partner/v2/signup/link"),
        ("POST", "/partner/v2/entitlements"),
        ("GET", "/partner/v2/entitlements/some-id"),
    ]
    body = json.dumps(signup_body("Acme", "auth-1")).encode()
    wrong = [
        None,
        "Basic " + base64.b64encode(b"emulator-key:wrong").decode(),
        "Basic " + base64.b64encode(b"nobody:emulator-secret").decode(),
        "Basic not-base64!",
        "Bearer made-up-token",
        "Digest username=emulator-key",
    ]
    with httpx.Client(base_url=emulator.url, timeout=10) as http:
        for method, path in operations:
            for authorization in wrong:
                headers = {"Content-Type": "application/json"}
                if authorization is not None:
                    headers["Authorization"] = authorization
                answer = http.request(
                    method, path, content=body if method == "POST" else None, headers=headers
                )
                assert answer.status_code == 401, (method, path, authorization, answer.text)
                assert answer.headers["WWW-Authenticate"]
        assert emulator.state() == {"organizations": [], "users": [], "entitlements": []}
        right = http.post("/partner/v2/signup", content=body, headers={"Content-Type": "application/json"},
                          auth=("emulator-key", "emulator-secret"))  # fmt: skip
        assert right.status_code == 201
    assert sys.platform == "win32" or "127.0.0.1" in emulator.output()
