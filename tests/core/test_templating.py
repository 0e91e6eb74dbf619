"""Templating: --var and -q data, quoting for where a value lands, the sandbox, the docs' templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from stackql_signups import TemplateError, UsageError
from stackql_signups.cli import inputs
from stackql_signups.render import render
from stackql_signups.sql.parser import parse
from stackql_signups.sql.statements import Exec

from .support import FIXTURES, LINK_TOKEN, SERVER, SIGNUPS, TEMPLATES, USER, run_all

MASK = "********"
DATA: dict[str, Any] = yaml.safe_load((TEMPLATES / "vars.yaml").read_text(encoding="utf-8"))


def plans(cli: Any, *args: str) -> tuple[list[dict[str, Any]], str]:
    """The --dryrun -o json plan of a run that must succeed, and its stderr."""
    result = cli.run("exec", *args, "--dryrun", "-o", "json")
    assert result.status == 0, result.explain()
    planned = json.loads(result.stdout)
    assert isinstance(planned, list)
    return planned, str(result.stderr)


def var_args(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        out += ["--var", f"{name}={json.dumps(DATA[name])}"]
    return out


# -- the provider docs' three EXEC templates, as printed ------------------------------------------------

DOCS_TEMPLATES = {
    "signup": ("/partner/v2/signup", ["dry_run", "organization", "user", "entitlement"]),
    "activate_signup": ("/partner/v2/signup/activate", ["user", "organization_id"]),
    "signup_partner_v2_link": (
        "/partner/v2/signup/link",
        ["dry_run", "token", "organization", "entitlement"],
    ),
}


def test_the_docs_templates_are_copied_verbatim() -> None:
    # From stackql-registry/stackql-provider-confluent: website/docs/services/partner/signups/index.md.
    page = FIXTURES / "signups_docs_page.provider-confluent.md"
    text = page.read_text(encoding="utf-8")
    for method in DOCS_TEMPLATES:
        template = (TEMPLATES / f"{method}.iql").read_text(encoding="utf-8")
        assert "```sql\n" + template + "```" in text


SOURCES = ("q-yaml", "q-json", "var")


def _template_args(method: str, source: str) -> tuple[str, ...]:
    args = ["exec", "-i", str(TEMPLATES / f"{method}.iql"), "--dryrun", "-o", "json"]
    if source == "q-yaml":
        args += ["-q", str(TEMPLATES / "vars.yaml")]
    elif source == "q-json":
        args += ["-q", str(TEMPLATES / "vars.json")]
    else:
        args += var_args(DOCS_TEMPLATES[method][1])
    return tuple(args)


@pytest.fixture(scope="module")
def template_runs(cli: Any) -> dict[tuple[str, str], Any]:
    jobs = {(m, s): (_template_args(m, s), {}) for m in DOCS_TEMPLATES for s in SOURCES}
    return run_all(cli, jobs)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("method", list(DOCS_TEMPLATES))
def test_docs_template_plans_the_right_request(
    template_runs: dict[Any, Any], method: str, source: str
) -> None:
    path, names = DOCS_TEMPLATES[method]
    result = template_runs[(method, source)]
    assert result.status == 0, result.explain()
    [plan] = json.loads(result.stdout)
    query = "?dry_run=true" if "dry_run" in names else ""
    assert plan["method"] == "POST"
    assert plan["url"] == f"{SERVER}{path}{query}"
    expected_body = {name: DATA[name] for name in names if name != "dry_run"}
    if "token" in expected_body:
        expected_body["token"] = MASK
    assert plan["body"] == expected_body
    assert DATA["token"] not in result.stdout + result.stderr


def test_docs_template_with_dry_run_false(cli: Any) -> None:
    [plan], _ = plans(
        cli, "-i", str(TEMPLATES / "signup.iql"), "-q", str(TEMPLATES / "vars.yaml"), "--var", "dry_run=false"
    )
    assert plan["url"] == f"{SERVER}/partner/v2/signup?dry_run=false"


# -- --var and -q ---------------------------------------------------------------------------------------


def test_var_values_are_json_when_they_are_valid_json_else_strings() -> None:
    found = inputs.variables(
        None,
        [
            "count=5",
            "ratio=1.5",
            "flag=true",
            "nothing=null",
            'quoted="5"',
            'org={"name": "Acme", "tags": ["a", "b"]}',
            "items=[1, 2]",
            "word=hello",
            "sentence=hello world",
            "broken={not json",
            "empty=",
            "eq=a=b",
        ],
    )
    assert found == {
        "count": 5,
        "ratio": 1.5,
        "flag": True,
        "nothing": None,
        "quoted": "5",
        "org": {"name": "Acme", "tags": ["a", "b"]},
        "items": [1, 2],
        "word": "hello",
        "sentence": "hello world",
        "broken": "{not json",
        "empty": "",
        "eq": "a=b",
    }
    assert type(found["count"]) is int and type(found["flag"]) is bool


def test_var_nan_and_infinity_are_strings() -> None:
    assert inputs.variables(None, ["a=NaN", "b=Infinity", "c=-Infinity"]) == {
        "a": "NaN",
        "b": "Infinity",
        "c": "-Infinity",
    }


def test_var_overrides_the_data_file(tmp_path: Path) -> None:
    data = tmp_path / "vars.yaml"
    data.write_text("a: from-file\nb: 2\n", encoding="utf-8")
    assert inputs.variables(str(data), ["a=from-var"]) == {"a": "from-var", "b": 2}


@pytest.mark.parametrize(
    "pair", ["novalue", "=1", "1abc=2", "has-dash=1", "has space=1"], ids=lambda p: repr(p)
)
def test_bad_var_is_a_usage_error(pair: str) -> None:
    with pytest.raises(UsageError) as caught:
        inputs.variables(None, [pair])
    assert "is not NAME=VALUE" in caught.value.message


def test_json_and_yaml_data_files_give_the_same_variables() -> None:
    from_yaml = inputs.data_file(str(TEMPLATES / "vars.yaml"))
    from_json = inputs.data_file(str(TEMPLATES / "vars.json"))
    assert from_yaml == from_json == DATA


def test_empty_data_file_is_no_variables(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("# nothing\n", encoding="utf-8")
    assert inputs.data_file(str(tmp_path / "empty.yaml")) == {}


# -- rendering: what a value becomes where it lands -----------------------------------------------------


@pytest.mark.parametrize(
    ("template", "value", "expected"),
    [
        # outside any quotes: objects and lists become SQL strings holding their JSON
        ("@v={{ x }}", {"a": 1, "b": [True, None]}, '@v=\'{"a": 1, "b": [true, null]}\''),
        ("@v={{ x }}", [1, "two"], "@v='[1, \"two\"]'"),
        ("@v={{ x }}", {"name": "O'Brien"}, "@v='{\"name\": \"O''Brien\"}'"),
        ("@v={{ x }}", True, "@v=true"),
        ("@v={{ x }}", None, "@v=null"),
        ("@v={{ x }}", 12, "@v=12"),
        ("@v={{ x }}", 2.5, "@v=2.5"),
        # inside a SQL string: JSON text, quotes doubled
        ("@v='{{ x }}'", {"a": "it's"}, "@v='{\"a\": \"it''s\"}'"),
        ("@v='{{ x }}'", ["a", 1], "@v='[\"a\", 1]'"),
        ("@v='{{ x }}'", "O'Brien", "@v='O''Brien'"),
        # inside a JSON string inside a SQL string: JSON-escaped
        ('@@json=\'{"k": "{{ x }}"}\'', 'say "hi"', '@@json=\'{"k": "say \\"hi\\""}\''),
        ('@@json=\'{"k": "{{ x }}"}\'', "back\\slash", '@@json=\'{"k": "back\\\\slash"}\''),
        ('@@json=\'{"k": "{{ x }}"}\'', "line\nbreak", '@@json=\'{"k": "line\\nbreak"}\''),
        ('@@json=\'{"k": "{{ x }}"}\'', "O'Brien", "@@json='{\"k\": \"O''Brien\"}'"),
        # a whole JSON string holding only the value takes an object as itself (the docs' templates)
        ('@@json=\'{"k": "{{ x }}"}\'', {"a": 'q"'}, '@@json=\'{"k": {"a": "q\\""}}\''),
        # an object as part of a longer JSON string: its JSON text, escaped as string content
        ('@@json=\'{"k": "id {{ x }}"}\'', {"a": 1}, '@@json=\'{"k": "id {\\"a\\": 1}"}\''),
        # a JSON value position: the value's JSON
        ("@@json='{\"k\": {{ x }}}'", {"a": "it's"}, '@@json=\'{"k": {"a": "it\'\'s"}}\''),
        ("@@json='{\"k\": {{ x | tojson }}}'", "s", '@@json=\'{"k": "s"}\''),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_values_are_written_for_where_they_land(template: str, value: object, expected: str) -> None:
    rendered = render(f"EXEC a.b.c.d {template};", {"x": value})
    assert rendered == f"EXEC a.b.c.d {expected};"


def test_render_leaves_plain_sql_alone() -> None:
    sql = 'EXEC a.b.c.d @@json=\'{"a": "{ not a template }"}\';'
    assert render(sql, {}) == sql


def test_loops_and_conditions(cli: Any) -> None:
    script = (
        "{% for org in orgs %}{% if org.active %}"
        f"EXEC {SIGNUPS}.activate_signup @organization_id='{{{{ org.id }}}}' @user='{{{{ user }}}}';\n"
        "{% endif %}{% endfor %}"
    )
    orgs = [{"id": "o-1", "active": True}, {"id": "o-2", "active": False}, {"id": "o'3", "active": True}]
    planned, _ = plans(cli, script, "--var", f"orgs={json.dumps(orgs)}", "--var", f"user={json.dumps(USER)}")
    assert [p["body"]["organization_id"] for p in planned] == ["o-1", "o'3"]
    assert all(p["body"]["user"] == USER for p in planned)


def test_single_quote_in_a_value_inside_a_sql_string(cli: Any) -> None:
    user = {**USER, "family_name": "O'Brien"}
    script = (
        f"EXEC {SIGNUPS}.activate_signup\n"
        "  @organization_id='{{ org_id }}'\n"
        '  @user=\'{"email": "{{ email }}", "given_name": "Sean", "family_name": "{{ family }}"}\';'
    )
    [plan], _ = plans(
        cli,
        script,
        "--var",
        "org_id=org-'quoted'",
        "--var",
        f"email={user['email']}",
        "--var",
        "family=O'Brien",
    )
    assert plan["body"] == {"organization_id": "org-'quoted'", "user": user}


def test_values_inside_json_strings_are_json_escaped(cli: Any, tmp_path: Path) -> None:
    family = 'Smith "Jr" \\ the 2nd\tsecond\nline'
    data = tmp_path / "vars.json"
    data.write_text(json.dumps({"family": family, "tenant": 'ten"ant'}), encoding="utf-8")
    script = (
        f"EXEC {SIGNUPS}.activate_signup @organization_id='o-1'\n"
        '@@json=\'{"user": {"email": "a@b.example", "given_name": "A", "family_name": "{{ family }}"}}\';'
    )
    [plan], _ = plans(cli, script, "-q", str(data))
    assert plan["body"]["user"]["family_name"] == family


def test_undefined_variable_is_an_error_naming_it_and_its_line(cli: Any) -> None:
    script = f"SHOW PROVIDERS;\nEXEC {SIGNUPS}.activate_signup\n  @organization_id='{{{{ org_id }}}}';"
    result = cli.run("exec", script, "--dryrun")
    assert result.status == 2, result.explain()
    assert result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first.startswith("template error: undefined variable 'org_id'")
    assert "line 3" in first
    assert "  @organization_id='{{ org_id }}';" in result.stderr
    assert "--var org_id=" in result.stderr  # says what to do next


def test_several_undefined_variables_are_all_named() -> None:
    with pytest.raises(TemplateError) as caught:
        render("{{ b }}\n{{ a }} {{ c }}", {"c": 1})
    assert "undefined variable 'b'" in caught.value.message
    assert "a" in caught.value.message.split("also not given:")[1]
    assert caught.value.location is not None and caught.value.location.line == 1


SANDBOX_ESCAPES = (
    "''.__class__",
    "cycler.__init__.__globals__",
    "''.__class__.__mro__[1].__subclasses__()",
    "lipsum.__globals__['os']",
    "x.__class__.__base__",
)


@pytest.fixture(scope="module")
def sandbox_runs(cli: Any) -> dict[str, Any]:
    jobs = {e: (("exec", f"SHOW METHODS IN {{{{ {e} }}}};", "--var", "x=1"), {}) for e in SANDBOX_ESCAPES}
    return run_all(cli, jobs)


@pytest.mark.parametrize("expression", SANDBOX_ESCAPES)
def test_the_sandbox_refuses_python_internals(sandbox_runs: dict[str, Any], expression: str) -> None:
    result = sandbox_runs[expression]
    assert result.status == 2, result.explain()
    assert result.stdout == ""
    assert result.stderr.startswith("template error:")
    assert "Traceback" not in result.stderr
    assert "<class" not in result.stderr and "<module" not in result.stderr


@pytest.mark.parametrize(
    "script",
    [
        "{% macro q(v) %}'{{ v }}'{% endmacro %}"
        f"EXEC {SIGNUPS}.activate_signup @organization_id={{{{ q(org) }}}} @user='{{{{ user }}}}';",
        "{% set oid %}{{ org }}{% endset %}"
        f"EXEC {SIGNUPS}.activate_signup @organization_id='{{{{ oid }}}}' @user='{{{{ user }}}}';",
    ],
    ids=["macro", "set-block"],
)
def test_macros_and_set_blocks_render_their_values(cli: Any, script: str) -> None:
    result = cli.run(
        "exec", script, "--var", "org=org-123", "--var", f"user={json.dumps(USER)}", "--dryrun", "-o", "json"
    )
    assert result.status == 0, result.explain()
    assert json.loads(result.stdout)[0]["body"]["organization_id"] == "org-123"


@pytest.mark.parametrize(
    ("script", "note"),
    [
        pytest.param(
            "-- customer: {{ note }}\nSHOW PROVIDERS;", "Acme\nSHOW SERVICES IN confluent;", id="line"
        ),
        pytest.param(
            "-- customer: {{ note }}\nSHOW PROVIDERS;", "Acme\r\nSHOW SERVICES IN confluent;", id="crlf"
        ),
        pytest.param(
            "/* customer: {{ note }} */ SHOW PROVIDERS;", "Acme */ SHOW SERVICES IN confluent; --", id="block"
        ),
        pytest.param(
            "/* customer: {{ note }} */ SHOW PROVIDERS;",
            "Acme */ SHOW SERVICES IN confluent; /*",
            id="block-reopened",
        ),
    ],
)
def test_a_value_in_a_comment_stays_in_the_comment(cli: Any, script: str, note: str) -> None:
    result = cli.run("exec", script, "--var", f"note={note}", "-o", "jsonl")
    assert result.status == 0, result.explain()
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"name": "confluent", "version": "v00.00.00000"}
    ]


def test_token_from_a_template_variable_is_masked(cli: Any) -> None:
    script = (
        f"EXEC {SIGNUPS}.signup_partner_v2_link @token='{{{{ token }}}}'\n"
        "@organization='{{ organization }}' @entitlement='{{ entitlement }}';"
    )
    data = {"token": LINK_TOKEN, "organization": {"sso_config": DATA["organization"]["sso_config"]}}
    data["entitlement"] = DATA["entitlement"]
    result = cli.run(
        "exec",
        script,
        *(a for k, v in data.items() for a in ("--var", f"{k}={json.dumps(v)}")),
        "--dryrun",
        "-o",
        "json",
    )
    assert result.status == 0, result.explain()
    assert json.loads(result.stdout)[0]["body"]["token"] == MASK
    assert LINK_TOKEN not in result.stdout + result.stderr


# -- properties: whatever the value, the statement carries exactly that value ------------------------

TEXT = st.text().filter(lambda s: "\x00" not in s and "\ue000" not in s and "\ue001" not in s)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_any_string_survives_a_sql_string_and_a_json_string(text: str) -> None:
    [in_sql] = parse(render("EXEC a.b.c.d @v='{{ x }}';", {"x": text}))
    assert isinstance(in_sql, Exec) and in_sql.params[0].value == text
    [in_json] = parse(render('EXEC a.b.c.d @@json=\'{"k": "{{ x }}"}\';', {"x": text}))
    assert isinstance(in_json, Exec) and in_json.json_body is not None
    assert json.loads(str(in_json.json_body.value)) == {"k": text}


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.lists(JSON_VALUES, max_size=3), st.dictionaries(TEXT, JSON_VALUES, max_size=3)))
def test_any_object_or_list_survives_every_position(value: object) -> None:
    for template in ("EXEC a.b.c.d @v={{ x }};", "EXEC a.b.c.d @v='{{ x }}';"):
        [statement] = parse(render(template, {"x": value}))
        assert isinstance(statement, Exec)
        assert json.loads(str(statement.params[0].value)) == value, template
    for template in ("EXEC a.b.c.d @@json='{\"k\": {{ x }}}';", 'EXEC a.b.c.d @@json=\'{"k": "{{ x }}"}\';'):
        [statement] = parse(render(template, {"x": value}))
        assert isinstance(statement, Exec) and statement.json_body is not None
        assert json.loads(str(statement.json_body.value)) == {"k": value}, template


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "{% if region is defined %}EXEC a.b.c.d @r='{{ region }}';{% endif %}SHOW PROVIDERS;",
            "SHOW PROVIDERS;",
        ),
        ("SHOW SERVICES IN {{ provider | default('confluent') }};", "SHOW SERVICES IN confluent;"),
    ],
    ids=["is-defined", "default-filter"],
)
def test_explicit_guards_for_missing_variables(template: str, expected: str) -> None:
    assert render(template, {}) == expected


def test_yaml_dates_inside_objects_do_not_crash(cli: Any, tmp_path: Path) -> None:
    data = tmp_path / "vars.yaml"
    data.write_text("org:\n  name: Acme\n  created: 2024-01-01\n", encoding="utf-8")
    result = cli.run(
        "exec",
        f"EXEC {SIGNUPS}.signup @organization={{{{ org }}}} @entitlement='{{}}';",
        "-q",
        str(data),
        "--dryrun",
    )
    assert "Traceback" not in result.stderr
    assert result.status == 2, result.explain()  # the body is invalid either way; the user must see why
    assert result.stderr.startswith(("template error:", "validation error:", "usage error:"))
