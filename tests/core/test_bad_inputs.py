"""A table of bad inputs, each run through the installed CLI.

Every one must end with exit status 2 (3 for a broken manifest), a short message on stderr that
contains the expected fragment, nothing on stdout, and no Python traceback anywhere. The runs are made
concurrently once per session; each case is then its own test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .support import (
    ENTITLEMENT,
    ORGANIZATION,
    SIGNUPS,
    acme_service_file,
    activate,
    copy_acme,
    edit,
    link,
    run_all,
    signup,
    sql_json,
)

MAX_STDERR_LINES = 12
FIRST_LINE = re.compile(r"^((usage|parse|template|bind|validation|manifest) error: |usage: )")


@dataclass(frozen=True)
class Bad:
    """One bad input: the arguments after `exec` (`{d}` is the case's own folder) and what to expect."""

    name: str
    args: tuple[str, ...]
    fragments: tuple[str, ...]
    status: int = 2
    stdin: bytes | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None
    bug: str | None = None


def sql(name: str, text: str, *fragments: str, extra: tuple[str, ...] = (), bug: str | None = None) -> Bad:
    return Bad(name, (text, *extra), fragments, bug=bug)


def with_file(
    name: str, args: tuple[str, ...], files: dict[str, bytes], *fragments: str, bug: str | None = None
) -> Bad:
    return Bad(name, args, fragments, files=files, bug=bug)


def broken_manifest(name: str, change: Callable[[Path], None], *fragments: str) -> Bad:
    def setup(case_dir: Path) -> None:
        change(copy_acme(case_dir))

    return Bad(
        name,
        ("SHOW METHODS IN acme.inventory.widgets", "--registry", "{d}/registry"),
        fragments,
        status=3,
        setup=setup,
    )


def _no_paths(root: Path) -> None:
    edit(acme_service_file(root), "\npaths:\n", "\nroutes:\n")


def _dangling_body_ref(root: Path) -> None:
    edit(acme_service_file(root), "'#/components/schemas/WidgetInput'", "'#/components/schemas/Gone'")


def _dangling_operation_ref(root: Path) -> None:
    edit(acme_service_file(root), "~1widgets/post'", "~1gizmos/post'")


def _bad_yaml(root: Path) -> None:
    acme_service_file(root).write_text("openapi: 3.0.0\npaths: {\n  /x: [1, 2\n", encoding="utf-8")


def _bad_provider_yaml(root: Path) -> None:
    (root / "acme" / "v1" / "provider.yaml").write_text("name: acme\nproviderServices: [\n", encoding="utf-8")


ENT_NO_PLAN = {k: v for k, v in ENTITLEMENT.items() if k != "plan_id"}
LINK_ORG = {"sso_config": ORGANIZATION["sso_config"]}

CASES: list[Bad] = [
    # -- malformed SQL ---------------------------------------------------------------------------------
    sql("unknown-verb", "FROB confluent;", "expected EXEC, SHOW, DESCRIBE", "(statement 1, line 1, col 1)"),
    sql("exec-without-name", "EXEC;", "expected a method name"),
    sql("name-with-five-parts", f"EXEC {SIGNUPS}.signup.more;", "at most 4 dotted parts"),
    sql("name-with-empty-part", "EXEC confluent..signups.signup;", "expected a name after '.'"),
    sql("param-without-equals", f"EXEC {SIGNUPS}.signup @dry_run true;", "expected '=' after @dry_run"),
    sql("param-without-value", f"EXEC {SIGNUPS}.signup @dry_run=;", "expected a value"),
    sql("unquoted-text-value", activate(organization_id="org1"), "quote text values with single quotes"),
    sql("double-quoted-value", activate(organization_id='"org1"'), "expected a value"),
    sql("word-after-params", signup()[:-1] + " please;", "expected @name=value"),
    sql("at-without-name", f"EXEC {SIGNUPS}.signup @=1;", "expected a parameter name"),
    sql("unknown-double-at", f"EXEC {SIGNUPS}.signup @@body='{{}}';", "unknown @@ parameter @@body"),
    sql("json-not-a-string", f"EXEC {SIGNUPS}.signup @@json={{}};", "a single-quoted JSON string"),
    sql("show-nothing", "SHOW;", "expected PROVIDERS or SERVICES"),
    sql("show-tables", "SHOW TABLES;", "expected PROVIDERS or SERVICES"),
    sql("show-methods-without-in", f"SHOW METHODS {SIGNUPS};", "expected IN <name> after SHOW METHODS"),
    sql("show-like-unquoted", "SHOW PROVIDERS LIKE conf;", "a quoted pattern after LIKE"),
    sql("show-where-no-operator", "SHOW PROVIDERS WHERE name;", "expected =, != or LIKE"),
    sql("show-trailing-word", "SHOW PROVIDERS please;", "expected end of statement"),
    sql("describe-nothing", "DESCRIBE;", "expected a name"),
    sql("use-dotted", "USE confluent.partner;", "at most 1 dotted parts"),
    sql(
        "error-on-statement-3-line-5",
        f"SHOW PROVIDERS;\nSHOW SERVICES IN confluent;\nEXEC {SIGNUPS}.signup\n  @organization='{{}}'\n"
        "  @dry_run=maybe;",
        "(statement 3, line 5, col 12)",
        "  @dry_run=maybe;",
    ),
    sql(
        "stray-commas",
        activate()[:-1].replace(" @user=", ",, @user=") + ";",
        "expected @name=value or @@json='...' after ','",
    ),
    sql(
        "trailing-comma",
        activate()[:-1] + ",;",
        "expected @name=value or @@json='...' after ','",
        "found end of statement",
    ),
    # -- unterminated strings and comments --------------------------------------------------------------
    sql(
        "unterminated-string",
        f"EXEC {SIGNUPS}.activate_signup @organization_id='org-1;",
        "unterminated string",
    ),
    sql("unterminated-json-string", f'EXEC {SIGNUPS}.signup @@json=\'{{"a": 1}};', "unterminated string"),
    sql("unterminated-comment", "SHOW PROVIDERS; /* never closed", "unterminated comment", "statement 2"),
    sql(
        "unterminated-identifier", 'EXEC "confluent.partner.signups.signup;', "unterminated quoted identifier"
    ),
    # -- bad JSON -------------------------------------------------------------------------------------
    sql("json-body-invalid", f"EXEC {SIGNUPS}.signup @@json='{{\"user\": }}';", "@@json is not valid JSON"),
    sql("json-body-trailing-comma", f"EXEC {SIGNUPS}.signup @@json='{{\"a\": 1,}}';", "@@json is not valid"),
    sql("json-body-single-quotes", f"EXEC {SIGNUPS}.signup @@json='{{''a'': 1}}';", "@@json is not valid"),
    sql("json-body-array", f"EXEC {SIGNUPS}.signup @@json='[1, 2]';", "@@json must be a JSON object"),
    sql("json-body-string", f"EXEC {SIGNUPS}.signup @@json='\"x\"';", "@@json must be a JSON object"),
    sql("json-param-invalid", signup(user="'{\"email\": '"), "@user must be a JSON object"),
    sql("json-param-not-json", signup(organization="'Acme'"), "@organization must be a JSON object"),
    # -- parameters -----------------------------------------------------------------------------------
    sql("missing-every-param", f"EXEC {SIGNUPS}.signup;", "could not find variable 'entitlement'"),
    sql("missing-user", activate(user=None), "could not find variable 'user'"),
    sql("missing-token", link(token=None), "could not find variable 'token'"),
    sql("unknown-param", signup(organisation="'x'"), "unknown parameter @organisation", "did you mean"),
    sql("duplicate-param", activate(organization_id="'a'")[:-1] + " @organization_id='b';", "given twice"),
    sql("duplicate-json", f"EXEC {SIGNUPS}.signup @@json='{{}}' @@json='{{}}';", "given twice"),
    sql(
        "param-and-json",
        f"EXEC {SIGNUPS}.signup @organization={sql_json(ORGANIZATION)} "
        f"@@json={sql_json({'organization': ORGANIZATION, 'entitlement': ENTITLEMENT})};",
        "given both as a parameter and inside @@json",
    ),
    sql("dry-run-yes", signup(dry_run="'yes'"), "@dry_run must be true or false"),
    sql("dry-run-number", signup(dry_run="1"), "@dry_run must be true or false"),
    # -- schema violations ----------------------------------------------------------------------------
    sql("entitlement-no-plan", signup(entitlement=ENT_NO_PLAN), "entitlement.plan_id: required property"),
    sql(
        "organization-read-only-id",
        signup(organization={**ORGANIZATION, "id": "o"}),
        "organization.id: read-only",
    ),
    sql("org-name-pattern", signup(organization={**ORGANIZATION, "name": "Acme<>"}), "organization.name:"),
    sql("org-name-too-long", signup(organization={**ORGANIZATION, "name": "x" * 32}), "organization.name:"),
    sql("user-is-a-string", signup(user="'\"sean\"'"), "user: must be an object, got a string"),
    sql("user-without-names", activate(user={"email": "a@b.example"}), "user.family_name: required property"),
    sql(
        "unknown-body-field",
        f"EXEC {SIGNUPS}.signup @@json={sql_json({'organization': ORGANIZATION, 'x': 1, 'entitlement': {}})}",
        "x: unknown field",
    ),
    sql("sso-config-no-tenant", link(organization={"sso_config": {"kind": "AzureSSOConfig"}}), "tenant_id"),
    sql("token-not-a-string", link(token="42"), "token: must be a string"),
    sql("empty-organization-id", activate(organization_id="''"), "organization_id: must not be empty"),
    # -- templates ------------------------------------------------------------------------------------
    sql(
        "undefined-variable",
        "SHOW PROVIDERS;\nSHOW SERVICES IN {{ provider }};",
        "undefined variable 'provider'",
        "line 2",
    ),
    sql("undefined-field", "SHOW SERVICES IN {{ p.name }};", "undefined value", extra=("--var", "p={}")),
    sql(
        "template-syntax-error",
        "SHOW PROVIDERS;\n{% if %}SHOW PROVIDERS;{% endif %}",
        "template syntax",
        "line 2",
    ),
    sql("template-unclosed-tag", "SHOW SERVICES IN {{ provider ;", "template syntax"),
    sql(
        "template-unknown-filter",
        "SHOW SERVICES IN {{ p | shout }};",
        "shout",
        extra=("--var", "p=x"),
    ),
    sql(
        "template-unknown-test",
        "SHOW SERVICES IN {% if p is shouty %}x{% endif %};",
        "shouty",
        extra=("--var", "p=x"),
    ),
    sql("sandbox-class", "SHOW SERVICES IN {{ ''.__class__ }};", "template error"),
    sql("sandbox-globals", "SHOW SERVICES IN {{ cycler.__init__.__globals__ }};", "template error"),
    sql(
        "reserved-characters",
        "SHOW PROVIDERS; -- \ue000 {{ x }}",
        "reserved characters",
        extra=("--var", "x=1"),
    ),
    # -- unknown names --------------------------------------------------------------------------------
    sql("unknown-provider", "EXEC confluentt.partner.signups.signup;", "unknown provider", "'confluent'"),
    sql("unknown-service", "EXEC confluent.partnr.signups.signup;", "unknown service", "'partner'"),
    sql("unknown-resource", "EXEC confluent.partner.signup.signup;", "unknown resource", "'signups'"),
    sql("unknown-method", f"EXEC {SIGNUPS}.signupp;", "could not find method for key = 'signupp'"),
    sql("three-parts-without-use", "EXEC partner.signups.signup;", "is not a method name", "USE"),
    sql("use-unknown-provider", "USE confluence;", "unknown provider", "'confluent'"),
    sql("show-unknown-resource", "SHOW METHODS IN confluent.partner.widgets;", "unknown resource"),
    sql("show-where-unknown-column", "SHOW PROVIDERS WHERE colour = 'red';", "no column 'colour'"),
    sql(
        "select-on-exec-only-resource", f"SELECT * FROM {SIGNUPS};", "SELECT not supported for this resource"
    ),
    sql("describe-exec-only-resource", f"DESCRIBE {SIGNUPS};", "SELECT not supported for this resource"),
    sql("insert-on-exec-only-resource", f"INSERT INTO {SIGNUPS} (a) SELECT 1;", "INSERT not supported"),
    # -- files and flags ------------------------------------------------------------------------------
    Bad("iqldata-missing", ("SHOW PROVIDERS", "-q", "{d}/nope.json"), ("does not exist",)),
    with_file(
        "iqldata-bad-json", ("SHOW PROVIDERS", "-q", "{d}/v.json"), {"v.json": b'{"a": '}, "not valid JSON"
    ),
    with_file(
        "iqldata-bad-yaml", ("SHOW PROVIDERS", "-q", "{d}/v.yaml"), {"v.yaml": b"a: [1,\n"}, "not valid YAML"
    ),
    with_file(
        "iqldata-json-list", ("SHOW PROVIDERS", "-q", "{d}/v.json"), {"v.json": b"[1]"}, "must hold a mapping"
    ),
    with_file(
        "iqldata-yaml-scalar", ("SHOW PROVIDERS", "-q", "{d}/v.yml"), {"v.yml": b"hello\n"}, "must hold a map"
    ),
    with_file(
        "iqldata-not-utf8", ("SHOW PROVIDERS", "-q", "{d}/v.yaml"), {"v.yaml": b"a: \xff\xfe\n"}, "not UTF-8"
    ),
    with_file("iqldata-nul-byte", ("SHOW PROVIDERS", "-q", "{d}/v.yaml"), {"v.yaml": b"a: 1\x00\n"}, "NUL"),
    Bad("iqldata-folder", ("SHOW PROVIDERS", "-q", "{d}"), ("is a folder",)),
    Bad("var-without-equals", ("SHOW PROVIDERS", "--var", "name"), ("is not NAME=VALUE",)),
    Bad("var-bad-name", ("SHOW PROVIDERS", "--var", "my-name=1"), ("is not NAME=VALUE",)),
    Bad("var-empty-name", ("SHOW PROVIDERS", "--var", "=1"), ("is not NAME=VALUE",)),
    Bad("infile-missing", ("-i", "{d}/nope.iql"), ("query file", "does not exist")),
    with_file(
        "query-and-infile", ("SHOW PROVIDERS", "-i", "{d}/q.iql"), {"q.iql": b"SHOW PROVIDERS;"}, "not both"
    ),
    with_file("infile-nul-byte", ("-i", "{d}/q.iql"), {"q.iql": b"SHOW PROVIDERS;\x00"}, "NUL character"),
    with_file("infile-not-utf8", ("-i", "{d}/q.iql"), {"q.iql": b"SHOW PROVIDERS; -- \xe9\n"}, "not UTF-8"),
    Bad("stdin-nul-byte", (), ("NUL character",), stdin=b"SHOW PROVIDERS;\x00"),
    Bad("stdin-not-utf8", (), ("not UTF-8",), stdin=b"SHOW \xc3\x28;"),
    Bad("empty-query", ("",), ("there is no statement to run",)),
    Bad(
        "empty-stdin",
        (),
        ("there is no statement to run",),
        stdin=b"",
    ),
    with_file(
        "empty-infile",
        ("-i", "{d}/q.iql"),
        {"q.iql": b""},
        "there is no statement to run",
    ),
    with_file(
        "comment-only-infile",
        ("-i", "{d}/q.iql"),
        {"q.iql": b"-- nothing to do yet;\n/* really */ ;\n"},
        "there is no statement to run",
    ),
    sql(
        "semicolons-only",
        " ; ;",
        "there is no statement to run",
    ),
    Bad("bad-output-format", ("SHOW PROVIDERS", "-o", "xml"), ("invalid choice: 'xml'",)),
    Bad("bad-delimiter", ("SHOW PROVIDERS", "-o", "csv", "-d", ";;"), ("must be one character",)),
    Bad("outfile-in-missing-folder", ("SHOW PROVIDERS", "-f", "{d}/no/such/out.txt"), ("cannot write",)),
    Bad("registry-missing-folder", ("SHOW PROVIDERS", "--registry", "{d}/nowhere"), ("does not exist",)),
    Bad("registry-bad-json", ("SHOW PROVIDERS", "--registry", '{"url": '), ("--registry is not valid JSON",)),
    Bad(
        "registry-remote",
        ("SHOW PROVIDERS", "--registry", "https://registry.example"),
        ("remote registries",),
    ),
    # -- broken manifests (exit 3) ------------------------------------------------------------------
    broken_manifest("manifest-without-paths", _no_paths, "inventory.yaml", "paths: is missing"),
    broken_manifest(
        "manifest-dangling-body-ref",
        _dangling_body_ref,
        "inventory.yaml",
        "'#/components/schemas/Gone'",
        "does not resolve",
    ),
    broken_manifest(
        "manifest-dangling-operation-ref",
        _dangling_operation_ref,
        "inventory.yaml",
        "x-stackQL-resources.widgets.methods.create_widget.operation",
        "does not resolve",
    ),
    broken_manifest("manifest-bad-yaml", _bad_yaml, "inventory.yaml", "not valid YAML at line"),
    broken_manifest("provider-bad-yaml", _bad_provider_yaml, "provider.yaml", "not valid YAML at line"),
]


def _prepare(case: Bad, case_dir: Path) -> tuple[str, ...]:
    case_dir.mkdir(parents=True)
    for name, data in case.files.items():
        (case_dir / name).write_bytes(data)
    if case.setup is not None:
        case.setup(case_dir)
    return tuple(a.replace("{d}", str(case_dir)) for a in case.args)


@pytest.fixture(scope="module")
def outcomes(cli: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("bad-inputs")
    jobs = {
        case.name: (("exec", *_prepare(case, base / case.name)), {"stdin": case.stdin, "cwd": base})
        for case in CASES
    }
    return run_all(cli, jobs)


def test_the_table_is_large_and_its_names_distinct() -> None:
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names)
    assert len(names) >= 50


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c, id=c.name, marks=pytest.mark.xfail(reason=f"BUG: {c.bug}", strict=True) if c.bug else ()
        )
        for c in CASES
    ],
)
def test_bad_input(outcomes: dict[str, Any], case: Bad) -> None:
    result = outcomes[case.name]
    assert result.status == case.status, result.explain()
    assert result.stdout == "", result.explain()
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in case.fragments:
        assert fragment in result.stderr, result.explain()
    lines = result.stderr.splitlines()
    assert 0 < len(lines) <= MAX_STDERR_LINES, result.explain()
    assert FIRST_LINE.match(lines[0]), result.explain()
