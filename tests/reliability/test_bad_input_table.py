"""A table of named bad inputs, each run through the installed CLI against its own live emulator.

Every one must be refused with exit status 2 and a message that says what is wrong, print nothing on
stdout, show no traceback, and send NOTHING: the emulator's request log (`GET /_emulator/requests`) stays
at 0. Classes: SQL, JSON, schema, template, file, encoding, size and flags. The cases run concurrently
(a thread each, bounded) and each test then checks its own case's record.
"""

# ruff: noqa: E501 - the table keeps one case per line where it can

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from stackql_signups.emulator import DEFAULT_API_KEY, DEFAULT_API_SECRET, EmulatorConfig, EmulatorServer

from ..e2e import clean_env, require_cli
from .reliability_support import CLI, RESOURCE, signup_body

ADMIN = (DEFAULT_API_KEY, DEFAULT_API_SECRET)  # the /_emulator/ routes need the emulator's credentials

SIGNUP = f"{RESOURCE}.signup"
ACTIVATE = f"{RESOURCE}.activate_signup"
LINK = f"{RESOURCE}.signup_partner_v2_link"
MIB = 1024 * 1024
BODY = signup_body("Acme", "acme-1", user=True)


def sql_json(value: object) -> str:
    return "'" + json.dumps(value, ensure_ascii=False).replace("'", "''") + "'"


def with_field(path: str, value: object) -> str:
    """A signup whose body has `value` at the dotted `path` (None removes the field)."""
    body = json.loads(json.dumps(BODY))
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value
    return f"EXEC {SIGNUP} @@json={sql_json(body)};"


VALID = with_field("user.email", "jane@acme.example")


@dataclass(frozen=True)
class Bad:
    name: str
    kind: str
    args: tuple[str, ...]
    fragments: tuple[str, ...]
    files: tuple[tuple[str, bytes], ...] = ()
    stdin: bytes = b""
    big: tuple[tuple[str, int, bytes], ...] = field(default=())  # (name, size, filler): made on disk


def q(name: str, kind: str, query: str, *fragments: str, extra: tuple[str, ...] = ()) -> Bad:
    """A bad query given as the argument (from a file when it is too long for a command line)."""
    if len(query) > 100_000:
        return Bad(name, kind, ("exec", "-i", "{dir}/q.iql", *extra), fragments, (("q.iql", query.encode()),))
    return Bad(name, kind, ("exec", query, *extra), fragments)


def f(name: str, kind: str, content: bytes, *fragments: str, suffix: str = ".iql") -> Bad:
    """A bad query file given with -i."""
    return Bad(
        name, kind, ("exec", "-i", f"{{dir}}/query{suffix}"), fragments, files=((f"query{suffix}", content),)
    )


CASES: list[Bad] = [
    # --- SQL: the statement cannot be read, or names something that does not exist -----------------
    q("sql-garbage", "sql", "FOO BAR;", "expected EXEC, SHOW, DESCRIBE"),
    q("sql-unterminated-string", "sql", f"EXEC {SIGNUP} @dry_run='true;", "unterminated string"),
    q("sql-unterminated-comment", "sql", f"EXEC {SIGNUP} /* no end", "unterminated comment"),
    q("sql-unterminated-identifier", "sql", f'EXEC "{SIGNUP}', "unterminated quoted identifier"),
    q("sql-missing-equals", "sql", f"EXEC {SIGNUP} @dry_run true;", "'=' after @dry_run"),
    q("sql-parameter-twice", "sql", f"EXEC {SIGNUP} @dry_run=true @dry_run=false;", "given twice"),
    q("sql-unknown-double-at", "sql", f"EXEC {SIGNUP} @@body='{{}}';", "unknown @@ parameter @@body"),
    q("sql-json-not-a-string", "sql", f"EXEC {SIGNUP} @@json=1;", "a single-quoted JSON string after @@json="),
    q("sql-five-part-name", "sql", f"EXEC {SIGNUP}.x;", "at most 4 dotted parts"),
    q("sql-unknown-provider", "sql", "EXEC nope.partner.signups.signup @@json='{}';", "unknown provider: 'nope'"),
    q("sql-unknown-method", "sql", f"EXEC {RESOURCE}.signupp @@json='{{}}';", "could not find method"),
    q("sql-unknown-parameter", "sql", f"EXEC {SIGNUP} @colour='red';", "unknown parameter @colour"),
    q("sql-missing-required", "sql", f"EXEC {SIGNUP} @dry_run=true;", "required param not supplied"),
    q("sql-not-a-boolean", "sql", VALID[:-1] + " @dry_run='maybe';", "@dry_run must be true or false"),
    q("sql-bare-word-value", "sql", f"EXEC {SIGNUP} @dry_run=maybe;", "a value"),
    q("sql-unknown-label", "sql", f"EXEC {ACTIVATE} @organization_id=nobody.organization_id "
      "@user='{\"email\": \"a@b.co\", \"given_name\": \"A\", \"family_name\": \"B\"}';", "refers to label 'nobody', which no earlier EXEC defines"),
    q("sql-label-twice", "sql", VALID.replace("EXEC ", "EXEC /*+ AS a */ ") * 2, "label 'a' is used twice"),
    q("sql-unknown-response-field", "sql", VALID.replace("EXEC ", "EXEC /*+ AS a */ ")
      + f"EXEC {ACTIVATE} @organization_id=a.colour @user='{{\"email\": \"a@b.co\", \"given_name\": \"A\", "
      "\"family_name\": \"B\"}';", "no field 'colour'"),
    q("sql-select", "sql", f"SELECT * FROM {RESOURCE};", "SELECT not supported for this resource"),
    q("sql-show-tables", "sql", "SHOW TABLES;", "expected PROVIDERS"),
    q("sql-use-unknown-provider", "sql", "USE nope; " + VALID, "unknown provider: 'nope'"),
    q("sql-empty", "sql", "", "no statement"),
    q("sql-only-comments", "sql", "-- nothing here\n/* nor here */", "no statement"),
    q("sql-typo-on-line-40", "sql", VALID.replace(";", ";\n") * 39 + "EXEC confluent.partner.signups.signpu "
      "@@json='{}';", "line 40", "could not find method"),
    q("sql-statement-after-valid-ones", "sql", VALID * 3 + f" EXEC {SIGNUP} @dry_run=true;", "statement 4"),
    # --- JSON: the body is not JSON, or not an object ------------------------------------------------
    q("json-invalid", "json", f"EXEC {SIGNUP} @@json='{{\"organization\": }}';", "@@json is not valid JSON"),
    q("json-trailing-comma", "json", f"EXEC {SIGNUP} @@json='{{\"a\": 1,}}';", "@@json is not valid JSON"),
    q("json-array", "json", f"EXEC {SIGNUP} @@json='[1, 2]';", "must be a JSON object, got list"),
    q("json-string", "json", f"EXEC {SIGNUP} @@json='\"signup\"';", "must be a JSON object, got str"),
    q("json-single-quoted-keys", "json", f"EXEC {SIGNUP} @@json='{{''a'': 1}}';", "not valid JSON"),
    q("json-nested-too-deeply", "json", f"EXEC {SIGNUP} @@json='{'[' * 100_000}';", "nested too deeply"),
    q("json-parameter-not-an-object", "json", f"EXEC {SIGNUP} @organization='{{bad' @entitlement='{{}}';",
      "@organization must be a JSON object"),
    q("json-field-given-twice", "json", VALID[:-1] + " @organization='{}';", "given both as a parameter"),
    q("json-unpaired-surrogate", "json", VALID.replace('"Acme"', '"Acme \\ud800"'),
      "unpaired UTF-16 surrogate"),
    q("json-nan-is-not-json", "json", f"EXEC {SIGNUP} @@json='{{\"organization\": NaN, \"entitlement\": {{}}}}';",
      "@@json is not valid JSON: NaN is not a JSON value"),
    q("json-infinity-in-a-parameter", "json", f"EXEC {SIGNUP} @organization='{{\"name\": Infinity}}' @entitlement='{{}}';",
      "@organization is not valid JSON: Infinity"),
    q("json-huge-integer", "json", f"EXEC {SIGNUP} @@json='{{\"a\": {'9' * 5000}}}';", "more than 4300 digits"),
    q("sql-huge-integer", "sql", f"EXEC {SIGNUP} @dry_run={'9' * 5000};", "at most 4300 digits"),
    q("json-nan-in-a-string-field", "json", VALID.replace('"tenant-1"', "NaN"), "NaN is not a JSON value"),
    # --- schema: JSON, but not what the API accepts ----------------------------------------------------
    q("schema-missing-plan", "schema", with_field("entitlement.plan_id", None), "entitlement.plan_id"),
    q("schema-name-pattern", "schema", with_field("organization.name", "Acme<>"), "does not match the pattern"),
    q("schema-name-too-long", "schema", with_field("organization.name", "A" * 32), "does not match the pattern"),
    q("schema-organization-a-string", "schema", with_field("organization", "Acme"), "must be an object"),
    q("schema-unknown-field", "schema", with_field("colour", "red"), "colour: unknown field"),
    q("schema-read-only-field", "schema", with_field("organization.id", "org-1"), "read-only"),
    q("schema-sso-kind", "schema", with_field("organization.sso_config.kind", "OktaSSOConfig"),
      "is not one of AzureSSOConfig"),
    q("schema-empty-tenant", "schema", with_field("organization.sso_config.tenant_id", ""), "must not be empty"),
    q("schema-user-without-email", "schema", with_field("user.email", None), "user.email: required property"),
    q("schema-short-email", "schema", with_field("user.email", "a@"), "at least 3 characters"),
    q("schema-two-entitlement-forms", "schema", with_field("entitlement.related", 7), "entitlement.related: unknown field"),
    q("schema-activate-without-user", "schema", f"EXEC {ACTIVATE} @organization_id='org-1';",
      "could not find variable 'user'"),
    q("schema-link-without-token", "schema", f"EXEC {LINK} @organization={sql_json(BODY['organization'])} "
      f"@entitlement={sql_json(BODY['entitlement'])};", "could not find variable 'token'"),
    q("schema-link-empty-token", "schema", f"EXEC {LINK} @token='' @organization="
      f"{sql_json(BODY['organization'])} @entitlement={sql_json(BODY['entitlement'])};", "token: must not be empty"),
    # --- templates: undefined, malformed, or reaching outside the sandbox --------------------------------
    q("template-undefined", "template", "EXEC {{ nope }};", "undefined variable 'nope'"),
    q("template-syntax", "template", "{{ a + }}", "template syntax"),
    q("template-class", "template", "SHOW METHODS IN {{ ''.__class__ }};", "may not do", "__class__"),
    q("template-globals", "template", "{{ cycler.__init__.__globals__ }}", "may not do"),
    q("template-mro", "template", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "may not do"),
    q("template-include-passwd", "template", "{% include '/etc/passwd' %}", "templates cannot read files"),
    q("template-import", "template", "{% import 'os' as os %}{{ os }}", "templates cannot read files"),
    q("template-extends", "template", "{% extends '/etc/hosts' %}", "templates cannot read files"),
    q("template-missing-attribute", "template", "SHOW METHODS IN {{ c.missing }};", "undefined value",
      extra=("--var", "c={}")),
    q("template-unknown-filter", "template", "{{ 'a' | shout }}", "No filter named 'shout'"),
    q("template-division-by-zero", "template", "{{ 1 / 0 }}", "ZeroDivisionError"),
    q("template-huge-range", "template", "{{ range(10**9) | list }}", "Range too big"),
    q("template-huge-power", "template", "{{ 9 ** (9 ** 9) }}", "too large"),
    q("template-huge-repeat", "template", "{{ 'a' * 10**10 }}", "repetition"),
    q("template-endless-output", "template",
      "{% for i in range(100000) %}{% for j in range(1000) %}" + "x" * 40 + "{% endfor %}{% endfor %}",
      "larger than 64 MiB"),
    q("template-reserved-characters", "template", "{{ 1 }} \ue000", "reserved characters"),
    q("template-value-is-not-one-token", "template", "SHOW METHODS IN confluent.partner.{{ r }};",
      "the value of 'r'", extra=("--var", "r=signups; SHOW PROVIDERS")),
    q("template-value-rewrites-the-statement", "template", VALID[:-1] + " @dry_run={{ d }};",
      "@dry_run must be true or false", extra=("--var", "d=true @user='{}'; EXEC " + SIGNUP + " @@json='{}'")),
    q("template-format-width", "template", "{{ '%070000000d' % 1 }}", "format width"),
    q("template-padding", "template", "{{ 'x'.center(10**8) }}", "more than 1048576"),
    # --- files ---------------------------------------------------------------------------------------
    Bad("file-missing", "file", ("exec", "-i", "{dir}/nope.iql"), ("does not exist",)),
    Bad("file-is-a-folder", "file", ("exec", "-i", "{dir}"), ("is a folder",)),
    Bad("file-data-missing", "file", ("exec", VALID, "-q", "{dir}/nope.yaml"), ("does not exist",)),
    Bad("file-data-bad-yaml", "file", ("exec", VALID, "-q", "{dir}/d.yaml"), ("not valid YAML",),
        files=(("d.yaml", b"a: [1, 2\n"),)),
    Bad("file-data-bad-json", "file", ("exec", VALID, "-q", "{dir}/d.json"), ("not valid JSON",),
        files=(("d.json", b'{"a": '),)),
    Bad("file-data-not-a-mapping", "file", ("exec", VALID, "-q", "{dir}/d.yaml"), ("mapping",),
        files=(("d.yaml", b"- 1\n- 2\n"),)),
    Bad("file-var-not-a-pair", "file", ("exec", VALID, "--var", "novalue"), ("is not NAME=VALUE",)),
    Bad("file-var-bad-name", "file", ("exec", VALID, "--var", "1a=2"), ("is not NAME=VALUE",)),
    Bad("file-outfile-unwritable", "file", ("exec", VALID, "-f", "{dir}/no/such/folder/out.txt"),
        ("cannot write -f/--outfile",)),
    Bad("file-outfile-full-disk", "file", ("exec", "SHOW PROVIDERS;", "-f", "/dev/full"),
        ("cannot write -f/--outfile /dev/full", "nothing was sent")),
    Bad("file-outfile-full-disk-dryrun", "file", ("exec", VALID, "--dryrun", "-f", "/dev/full"),
        ("cannot write -f/--outfile /dev/full",)),
    Bad("file-data-huge-integer", "file", ("exec", VALID, "-q", "{dir}/d.yaml"), ("more than 4300 digits",),
        files=(("d.yaml", b"n: " + b"7" * 5000 + b"\n"),)),
    Bad("file-data-json-huge-integer", "file", ("exec", VALID, "-q", "{dir}/d.json"), ("more than 4300 digits",),
        files=(("d.json", b'{"n": ' + b"7" * 5000 + b"}"),)),
    Bad("file-data-alias-loop", "file", ("exec", VALID, "-q", "{dir}/d.yaml"), ("contains itself",),
        files=(("d.yaml", b"a: &a [*a]\n"),)),
    Bad("file-data-alias-bomb", "file", ("exec", VALID, "-q", "{dir}/d.yaml"), ("expands to more than",),
        files=(("d.yaml", b"a: &a [x,x,x,x,x,x,x,x,x,x]\n" + b"".join(
            b"%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n" % ((98 + i, 98 + i) + (97 + i,) * 10)
            for i in range(9))),)),
    Bad("file-var-nested-5000-deep", "file", ("exec", VALID, "--var", "a=" + "[" * 5000 + "]" * 5000),
        ("--var a is nested too deeply",)),
    Bad("file-report-unwritable", "file", ("exec", VALID, "--report", "{dir}/no/such/folder/r.jsonl"),
        ("cannot write --report",)),
    # --- encodings -----------------------------------------------------------------------------------
    f("encoding-latin-1", "encoding", "SHOW METHODS IN confluent.partner.signups; -- café".encode("latin-1"),
      "is not UTF-8 text"),
    f("encoding-utf-16", "encoding", VALID.encode("utf-16"), "is not UTF-8 text"),
    f("encoding-nul", "encoding", b"SHOW METHODS\x00 IN confluent.partner.signups;", "NUL character"),
    f("encoding-binary", "encoding", bytes(range(256)) * 4, "is not UTF-8 text"),
    Bad("encoding-stdin-latin-1", "encoding", ("exec",), ("standard input", "not UTF-8"),
        stdin="SHOW METHODS IN confluent.partner.signups; -- é".encode("latin-1")),
    Bad("encoding-data-latin-1", "encoding", ("exec", VALID, "-q", "{dir}/d.yaml"), ("not UTF-8",),
        files=(("d.yaml", "name: café".encode("latin-1")),)),
    # --- sizes ---------------------------------------------------------------------------------------
    Bad("size-script-over-64-mib", "size", ("exec", "-i", "{dir}/big.iql"),
        ("larger than the limit of 64 MiB",), big=(("big.iql", 64 * MIB + 1, b"-- padding padding padding\n"),)),
    Bad("size-data-over-64-mib", "size", ("exec", VALID, "-q", "{dir}/big.yaml"),
        ("larger than the limit of 64 MiB",), big=(("big.yaml", 64 * MIB + 1, b"# padding padding\n"),)),
    Bad("size-stdin-over-64-mib", "size", ("exec",), ("larger than the limit of 64 MiB",),
        stdin=b"-- padding padding padding\n" * (64 * MIB // 27 + 1)),
    q("size-body-over-1-mib", "size", with_field("organization.sso_config.tenant_id", "t" * (MIB + 1)),
      "larger than the limit of 1048576 bytes"),
    q("size-many-statements-one-over-1-mib", "size", VALID * 5
      + with_field("entitlement.name", "n" * (2 * MIB)), "statement 6", "larger than the limit"),
    # --- flags ---------------------------------------------------------------------------------------
    Bad("flag-output-format", "flag", ("exec", VALID, "-o", "xml"), ("invalid choice: 'xml'",)),
    Bad("flag-endpoint-scheme", "flag", ("exec", VALID, "--endpoint", "ftp://127.0.0.1"),
        ("must be an http:// or https:// URL",)),
    Bad("flag-timeout-negative", "flag", ("exec", VALID, "--timeout", "-1"), ("must be a number of seconds from",)),
    Bad("flag-timeout-tiny", "flag", ("exec", VALID, "--timeout", "1e-300"), ("must be a number of seconds from",)),
    Bad("flag-timeout-huge", "flag", ("exec", VALID, "--connect-timeout", "1e308"), ("must be a number of seconds from",)),
    Bad("flag-auth-type-a-list", "flag", ("exec", VALID, "--auth", '{"confluent": {"type": ["basic"]}}'),
        ("auth type missing or not a string",)),
    Bad("flag-state-not-sqlite", "flag", ("exec", VALID, "--endpoint", "local", "--state", "{dir}/s.db"),
        ("cannot use this file as the emulator's state",), files=(("s.db", b"not a database\n" * 100),)),
    Bad("flag-state-a-folder", "flag", ("exec", VALID, "--endpoint", "local", "--state", "{dir}"),
        ("cannot use this file as the emulator's state",)),
    Bad("flag-state-dev-null", "flag", ("exec", VALID, "--endpoint", "local", "--state", "/dev/null"),
        ("cannot use this file as the emulator's state",)),
    Bad("flag-retries-too-many", "flag", ("exec", VALID, "--retries", "99"), ("between 0 and 10",)),
    Bad("flag-concurrency-zero", "flag", ("exec", VALID, "--concurrency", "0"), ("between 1 and 64",)),
    Bad("flag-on-error", "flag", ("exec", VALID, "--on-error", "ignore"), ("must be stop or continue",)),
    Bad("flag-on-conflict", "flag", ("exec", VALID, "--on-conflict", "skip"), ("must be fail or existing",)),
    Bad("flag-auth-not-json", "flag", ("exec", VALID, "--auth", "{"), ("--auth is not valid JSON",)),
    Bad("flag-auth-unknown-type", "flag", ("exec", VALID, "--auth", '{"confluent": {"type": "kerberos"}}'),
        ("'kerberos' is not supported",)),
    Bad("flag-auth-secret-on-command-line", "flag",
        ("exec", VALID, "--auth", '{"confluent": {"type": "basic", "username_var": "my key!"}}'),
        ("must be the name of an environment variable",)),
    Bad("flag-query-and-file", "flag", ("exec", VALID, "-i", "{dir}/q.iql"), ("not both",),
        files=(("q.iql", VALID.encode()),)),
    Bad("flag-delimiter", "flag", ("exec", VALID, "-d", ";;"), ("must be one character",)),
    Bad("flag-dry-run-misspelt", "flag", ("exec", VALID, "--dry-run"), ("exec has no flag --dry-run", "did you mean --dryrun?")),
    Bad("flag-endpoint-misspelt", "flag", ("exec", VALID, "--endpont", "http://127.0.0.1:9"), ("did you mean --endpoint?",)),
    Bad("flag-on-conflict-on-show", "flag", ("exec", "SHOW PROVIDERS;", "--on-conflict", "skip"), ("must be fail or existing",)),
    Bad("flag-concurrency-on-show", "flag", ("exec", "SHOW PROVIDERS;", "--concurrency", "0"), ("between 1 and 64",)),
    Bad("file-data-placeholder-token", "file", ("exec", "-i", "{dir}/link.iql", "-q", "{dir}/link.yaml"),
        ("token still holds a placeholder",),
        files=(("link.iql", (Path(__file__).parents[2] / "examples" / "link.iql").read_bytes()),
               ("link.yaml", (Path(__file__).parents[2] / "examples" / "link.yaml").read_bytes()))),
    Bad("file-data-placeholder-field", "file", ("exec", VALID.replace('"tenant-1"', '"<tenant id>"')),
        ("organization.sso_config.tenant_id still holds '<tenant id>'",)),
]  # fmt: skip


@dataclass(frozen=True)
class Seen:
    status: int
    stdout: str
    stderr: str
    requests: int
    paths: tuple[str, ...]


def run_case(case: Bad, root: Path, env: dict[str, str]) -> Seen:
    folder = root / case.name
    folder.mkdir()
    for name, content in case.files:
        (folder / name).write_bytes(content)
    for name, size, filler in case.big:
        with (folder / name).open("wb") as handle:
            handle.write(filler * (size // len(filler)) + filler[: size % len(filler)])
    args = [a.replace("{dir}", str(folder)) for a in case.args]
    with EmulatorServer(EmulatorConfig(state_path=folder / "state.sqlite3")) as emulator:
        if "--endpoint" not in args and "--help" not in args:
            args += ["--endpoint", emulator.url]
        done = subprocess.run(
            [str(CLI), *args], input=case.stdin, capture_output=True, env=env, cwd=folder, timeout=120
        )
        log = httpx.get(f"{emulator.url}/_emulator/requests", auth=ADMIN, timeout=10).json()
    for name, _, _ in case.big:
        os.remove(folder / name)
    return Seen(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
        int(log["total"]),
        tuple(r["path"] for r in log["requests"]),
    )


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Seen]]:
    require_cli()
    root = tmp_path_factory.mktemp("bad-inputs")
    env = clean_env(root / "home")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {case.name: pool.submit(run_case, case, root, env) for case in CASES}
        yield {name: future.result(timeout=300) for name, future in futures.items()}


def test_the_table_covers_every_class_of_bad_input() -> None:
    kinds = Counter(case.kind for case in CASES)
    assert len(CASES) >= 60 and len({c.name for c in CASES}) == len(CASES)
    assert set(kinds) == {"sql", "json", "schema", "template", "file", "encoding", "size", "flag"}, kinds


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_with_status_2_and_nothing_sent(case: Bad, seen: dict[str, Seen]) -> None:
    result = seen[case.name]
    shown = f"exit {result.status}\n--- stdout ---\n{result.stdout[:2000]}\n--- stderr ---\n"
    shown += result.stderr[:3000]
    assert result.status == 2, shown
    for fragment in case.fragments:
        assert fragment in result.stderr, shown
    assert "Traceback" not in result.stderr, shown
    assert "root:" not in result.stderr + result.stdout  # no file's content leaks through a template
    assert result.stdout == "", shown
    assert result.requests == 0, f"the emulator received {result.paths}\n{shown}"
    assert len(result.stderr) < 20_000, "an error message should be short, not an echo of the input"


def test_the_emulator_itself_refuses_a_body_over_1_mib_with_413(tmp_path: Path) -> None:
    with EmulatorServer(EmulatorConfig(state_path=tmp_path / "s.sqlite3")) as emulator:
        body = json.dumps(signup_body("Acme", "big-1")).replace("tenant-1", "t" * (MIB + 1)).encode()
        answer = httpx.post(
            f"{emulator.url}/partner/v2/signup",
            content=body,
            headers={"Content-Type": "application/json"},
            auth=("emulator-key", "emulator-secret"),
            timeout=30,
        )
        assert answer.status_code == 413
        assert answer.json()["errors"][0]["code"] == "request_too_large"
        state = httpx.get(f"{emulator.url}/_emulator/state", auth=ADMIN, timeout=10).json()
        assert state["organizations"] == []
