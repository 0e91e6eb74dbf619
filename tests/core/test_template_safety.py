"""A template value is data: wherever it lands it is one SQL literal or one JSON value, never more SQL."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stackql_signups
from stackql_signups.cli import inputs
from stackql_signups.engine import prepare
from stackql_signups.manifest import Registry
from stackql_signups.render import render
from stackql_signups.sql.parser import parse
from stackql_signups.sql.splitter import split
from stackql_signups.sql.statements import Exec

from .support import ENTITLEMENT, ORGANIZATION, SIGNUPS, USER, sql_json

ORG_JSON = json.dumps(ORGANIZATION)
ENT_JSON = json.dumps(ENTITLEMENT)
SSO = json.dumps(ORGANIZATION["sso_config"])
USER_IN_SQL = json.dumps(USER).replace("'", "''")  # inside a SQL string

# Every place the README and the examples put a value, each with a value that plans one valid request.
POSITIONS: dict[str, tuple[str, Any]] = {
    # README: @dry_run={{ dry_run }} (the docs' templates), a value outside quotes
    "bare-boolean": (
        f"EXEC {SIGNUPS}.signup @dry_run={{{{ v }}}} @organization='{ORG_JSON}' @entitlement='{ENT_JSON}';",
        "true",
    ),
    # README Python API: @organization='{{ org }}'
    "whole-sql-string": (
        f"EXEC {SIGNUPS}.activate_signup @organization_id='{{{{ v }}}}' @user={sql_json(USER)};",
        "org-1",
    ),
    # examples/*.iql: "name": "{{ c.name }}" inside @@json
    "json-string": (
        f'EXEC {SIGNUPS}.signup @@json=\'{{"organization": {{"name": "{{{{ v }}}}", "sso_config": {SSO}}}, '
        f'"entitlement": {ENT_JSON}}}\';',
        "Acme",
    ),
    # a JSON value position inside @@json
    "json-value": (
        f'EXEC {SIGNUPS}.signup @@json=\'{{"organization": {{"name": {{{{ v }}}}, "sso_config": {SSO}}}, '
        f'"entitlement": {ENT_JSON}}}\';',
        "Acme",
    ),
    # through a {% set %} block holding template JSON around the value
    "set-block-json": (
        '{% set org %}{"name": "{{ v }}", "sso_config": ' + SSO + "}{% endset %}"
        f"EXEC {SIGNUPS}.signup @organization='{{{{ org }}}}' @entitlement='{ENT_JSON}';",
        "Acme",
    ),
    # through a {% set %} block holding only the value, then inside a JSON string
    "set-block-value": (
        "{% set n %}{{ v }}{% endset %}"
        f'EXEC {SIGNUPS}.signup @@json=\'{{"organization": {{"name": "{{{{ n }}}}", "sso_config": {SSO}}}, '
        f'"entitlement": {ENT_JSON}}}\';',
        "Acme",
    ),
    # through a macro that quotes its argument
    "macro": (
        "{% macro q(x) %}'{{ x }}'{% endmacro %}"
        f"EXEC {SIGNUPS}.activate_signup @organization_id={{{{ q(v) }}}} @user={sql_json(USER)};",
        "org-1",
    ),
    # through a filter and a loop
    "loop-filter": (
        "{% for c in [v] %}"
        f'EXEC {SIGNUPS}.signup @@json=\'{{"organization": {{"name": "{{{{ c | trim }}}}", '
        f'"sso_config": {SSO}}}, "entitlement": {ENT_JSON}}}\';'
        "{% endfor %}",
        "Acme",
    ),
    # a {% filter %} block
    "filter-block": (
        f"EXEC {SIGNUPS}.activate_signup @organization_id='{{% filter lower %}}{{{{ v }}}}{{% endfilter %}}' "
        f"@user={sql_json(USER)};",
        "org-1",
    ),
    # a comment with stars beside the value: `*` and `/` of the text next to it must not close it
    "comment-beside-stars": (
        f"EXEC {SIGNUPS}.activate_signup /* **{{{{ v }}}}** */ @organization_id='org-1' "
        f"@user={sql_json(USER)};",
        "weekly",
    ),
    # a value after a comment is still in a value position: one string literal
    "after-comment": (
        f"EXEC {SIGNUPS}.activate_signup @organization_id=/* id */{{{{ v }}}} @user={sql_json(USER)};",
        "org-1",
    ),
    "after-line-comment": (
        f"EXEC {SIGNUPS}.activate_signup @organization_id= -- id\n{{{{ v }}}} @user={sql_json(USER)};",
        "org-1",
    ),
    # a `$` of the template before the value, in a JSON string: no `${label.field}` spelled with it
    "dollar-before": (
        f"EXEC {SIGNUPS}.activate_signup @@json='{{\"organization_id\": \"${{{{ v }}}}\", "
        f"\"user\": {USER_IN_SQL}}}';",
        "100",
    ),
    # a label in a hint: one word
    "hint-label": (
        f"EXEC /*+ AS {{{{ v }}}} */ {SIGNUPS}.activate_signup @organization_id='o' @user={sql_json(USER)};",
        "lbl",
    ),
}

ATTACKS = [
    # the issue's example: replaces the body and adds a second request
    'true @organization=\'{"name":"EVIL","sso_config":{"kind":"AzureSSOConfig",'
    '"tenant_id":"t"}}\';'
    f" EXEC {SIGNUPS}.activate_signup @organization_id='x' @user={sql_json(USER)}",
    'Acme", "name": "Hijacked',
    'Acme"}, "user": {"email": "x@y.example", "given_name": "a", "family_name": "b"}, "z": {"a": "',
    "Acme' @dry_run=true @user='{}",
    "x'; SHOW PROVIDERS; --",
    '1, "extra": 2',
    "${acme.organization_id}",
    "\ue0000\ue001",
    "\ue000",
    "a\ue001b\ue0002",
    "*/ SHOW PROVIDERS; /*",
    "\\\"}}'",
    f"/; EXEC {SIGNUPS}.activate_signup @organization_id='EVIL' @user={sql_json(USER)} /*",
    "x*",
    "{acme.organization_id}",
    "acme.organization_id",
    "$",
    "NOT",
]


def shape(steps: list[Any]) -> list[tuple[str, str, Any]]:
    """What must not depend on a value: how many requests, their methods and paths, the body's keys."""

    def keys(body: Any) -> Any:
        if isinstance(body, dict):
            return {k: keys(v) for k, v in body.items()}
        return None

    return [
        (s.request.http_method, s.request.path, keys(s.request.body)) for s in steps if s.request is not None
    ]


def outcome(registry: Registry, template: str, value: Any) -> list[tuple[str, str, Any]] | Exception:
    try:
        return shape(prepare(template, {"v": value}, registry))
    except stackql_signups.Error as exc:
        return exc


@pytest.mark.parametrize("position", list(POSITIONS))
@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: repr(a)[:30])
def test_a_value_cannot_reshape_a_statement(registry: Registry, position: str, attack: str) -> None:
    template, good = POSITIONS[position]
    baseline = outcome(registry, template, good)
    assert isinstance(baseline, list) and len(baseline) == 1, baseline
    result = outcome(registry, template, attack)
    if isinstance(result, list):
        assert result == baseline
    else:
        assert isinstance(result, (stackql_signups.TemplateError, stackql_signups.ValidationError)), result


def test_a_value_inside_a_json_string_arrives_exactly() -> None:
    template, _ = POSITIONS["set-block-json"]
    for attack in ATTACKS:
        [statement] = parse(render(template, {"v": attack}))
        assert isinstance(statement, Exec)
        assert json.loads(str(statement.params[0].value))["name"] == attack


def test_the_issue_attack_plans_one_request_with_the_script_body(cli: Any) -> None:
    template, _ = POSITIONS["bare-boolean"]
    result = cli.run("exec", template, "--var", f"v={ATTACKS[0]}", "--dryrun", "-o", "json")
    assert result.status == 2, result.explain()
    assert result.stdout == ""
    assert "EVIL" not in result.stdout
    assert "@dry_run must be true or false" in result.stderr


def test_a_csv_cell_true_is_the_boolean_literal(cli: Any, tmp_path: Path) -> None:
    template, _ = POSITIONS["bare-boolean"]
    (tmp_path / "rows.csv").write_text("dry\ntrue\n", encoding="utf-8")
    script = "{% for r in rows %}" + template.replace("{{ v }}", "{{ r.dry }}") + "{% endfor %}"
    result = cli.run("exec", script, "-q", str(tmp_path / "rows.csv"), "--dryrun", "-o", "json")
    assert result.status == 0, result.explain()
    assert json.loads(result.stdout)[0]["url"].endswith("/partner/v2/signup?dry_run=true")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% set s %}{{ x }}{% endset %}{{ s | length }}", "5"),
        ("{% set s %}{{ x }}{% endset %}{{ s == 'hello' }}", "true"),
        ("{% set s %}{{ x }}{% endset %}@v='{{ s | replace('l', 'L') }}'", "@v='heLLo'"),
        ("{% set s %}<{{ x }}>{% endset %}{{ s | length }} '{{ s[0] }}'", "7 '<'"),
        ("{% macro m(a) %}{{ a }}!{% endmacro %}{{ m(x) | length }}", "6"),
        ("{% set s %}{{ x }}{% endset %}{% if s.startswith('he') %}yes{% endif %}", "yes"),
    ],
)
def test_set_blocks_and_macros_keep_jinja_semantics(template: str, expected: str) -> None:
    assert render(template, {"x": "hello"}) == expected


@pytest.mark.parametrize("value", ["x y", "a;b", "signups SHOW", "'", "--", "a.b c"], ids=lambda v: repr(v))
def test_a_value_that_is_not_one_token_outside_quotes_is_refused_with_its_name(value: str) -> None:
    with pytest.raises(stackql_signups.TemplateError) as caught:
        render("SHOW METHODS IN confluent.partner.{{ c.res }};", {"c": {"res": value}})
    assert "'c.res'" in caught.value.message
    assert "inside quotes" in (caught.value.hint or "")


def test_a_value_in_a_value_position_outside_quotes_is_one_string_literal() -> None:
    assert render("EXEC a.b.c.d @v={{ x }};", {"x": "acme.organization_id"}) == (
        "EXEC a.b.c.d @v='acme.organization_id';"
    )
    assert render("SHOW PROVIDERS LIKE {{ x }};", {"x": "c%' OR 1"}) == "SHOW PROVIDERS LIKE 'c%'' OR 1';"


def test_a_value_never_fuses_with_the_text_beside_it_into_a_comment_or_one_string(
    registry: Registry,
) -> None:
    assert render("SELECT 10 -{{ n }} AS x", {"n": -1}) == "SELECT 10 - -1 AS x"
    assert render("EXEC a.b.c.d @v={{ x }}'';", {"x": "a b"}) == "EXEC a.b.c.d @v='a b' '';"
    assert render("EXEC a.b.c.d @v=''{{ x }};", {"x": {"k": 1}}) == """EXEC a.b.c.d @v='' '{"k": 1}';"""
    # `--1` would have made the rest of the line a comment: a SELECT with nothing to fetch
    steps = prepare("SELECT 10 -{{ n }} AS x FROM confluent.partner.organizations;", {"n": -1}, registry)
    fetched = [f.resource_id for s in steps if s.query is not None for f in s.query.fetches]
    assert fetched == ["confluent.partner.organizations"]


@pytest.mark.parametrize(
    "document",
    [
        'v: !!set {"a\' : 1}; SELECT * FROM confluent.partner.entitlements; --\\"": null}',
        "v: !!binary eCc7IFNIT1cgUFJPVklERVJTOyAtLQ==",
        "v: 2001-12-14",
        "v: 2001-12-14t21:59:43.10-05:00",
    ],
)
def test_a_yaml_value_json_has_no_type_for_is_one_string_literal(document: str, tmp_path: Path) -> None:
    path = tmp_path / "data.yaml"
    path.write_text(document, encoding="utf-8")
    data = inputs.data_file(str(path))
    rendered = render("SELECT name FROM confluent.partner.organizations WHERE id = {{ v }};", data)
    assert len(list(split(rendered))) == 1, rendered
    assert rendered.startswith("SELECT name FROM confluent.partner.organizations WHERE id = '")


def test_a_value_in_a_json_string_is_read_whole_after_an_escaped_quote() -> None:
    rendered = render("""EXEC a.b.c.d @@json='{"a": "\\"{{ v }}"}';""", {"v": {"k": 1}})
    body = rendered.split("'", 1)[1].rsplit("'", 1)[0]
    assert json.loads(body) == {"a": '"{"k": 1}'}


def test_a_reference_spelled_by_data_stays_literal_text(registry: Registry) -> None:
    script = (
        f'EXEC /*+ AS acme */ {SIGNUPS}.signup @@json=\'{{"organization": {ORG_JSON}, '
        f'"entitlement": {ENT_JSON}}}\';\n'
        f"EXEC {SIGNUPS}.activate_signup @organization_id='{{{{ v }}}}' @user={sql_json(USER)};\n"
        f'EXEC {SIGNUPS}.activate_signup @@json=\'{{"organization_id": "{{{{ v }}}}", '
        f'"user": {USER_IN_SQL}}}\';\n'
        f"EXEC {SIGNUPS}.activate_signup @organization_id=acme.organization_id "
        f"@user='{{{{ u | tojson }}}}';"
    )
    data = {"v": "${acme.organization_id}", "u": {**USER, "email": "${acme.sso_url}"}}
    steps = prepare(script, data, registry)
    requests = [s.request for s in steps if s.request is not None]
    assert [r.body["organization_id"] for r in requests[1:3]] == ["${acme.organization_id}"] * 2
    assert requests[1].references == () and requests[2].references == ()
    # the script's own reference still is one; the data inside the same statement is not
    assert requests[3].references and requests[3].body["user"]["email"] == "${acme.sso_url}"
    assert all(path == ("organization_id",) for path, _ in requests[3].references)


def test_a_reference_written_in_the_script_still_chains(registry: Registry) -> None:
    script = (
        f'EXEC /*+ AS acme */ {SIGNUPS}.signup @@json=\'{{"organization": {ORG_JSON}, '
        f'"entitlement": {ENT_JSON}}}\';\n'
        f'EXEC {SIGNUPS}.activate_signup @@json=\'{{"organization_id": "${{acme.organization_id}}", '
        f'"user": {USER_IN_SQL}}}\';'
    )
    requests = [s.request for s in prepare(script, {}, registry) if s.request is not None]
    assert [path for path, _ in requests[1].references] == [("organization_id",)]
    bare = script.split("\n")[0] + f"\nEXEC {SIGNUPS}.activate_signup @organization_id=acme.organization_id "
    bare += f"@user='{USER_IN_SQL}';"
    requests = [s.request for s in prepare(bare, {}, registry) if s.request is not None]
    assert [path for path, _ in requests[1].references] == [("organization_id",)]  # once, not twice


@pytest.mark.parametrize(
    "value",
    ["\ue000", "\ue001", "\ue0000\ue001", "\ue000\ue000\ue001\ue001", "\U0010fffd", "\ufffe", "\uffff"],
    ids=lambda v: repr(v),
)
@pytest.mark.parametrize("position", ["'{{ v }}'", "{{ v }}", '\'{"k": "{{ v }}"}\'', "-- {{ v }}\n"])
def test_reserved_characters_in_values_neither_hang_nor_crash(value: str, position: str) -> None:
    template = "{% set s %}" + position + "{% endset %}" + "EXEC a.b.c.d @v=" + position + " {{ s }};"
    try:
        text = render(template, {"v": value})
    except stackql_signups.TemplateError as exc:
        assert "'v'" in exc.message
    else:
        assert value in text or json.dumps(value)[1:-1] in text


# --- property: the plan's shape never depends on the value's content, from any source ---------------

TEXT = st.text(max_size=40).filter(lambda s: "\x00" not in s)


def from_var(text: str, _: Path) -> Any:
    return inputs.variables(None, [f"v={text}"])["v"]


def from_yaml(text: str, folder: Path) -> Any:
    path = folder / "data.yaml"
    path.write_text(yaml.safe_dump({"v": text}, allow_unicode=True), encoding="utf-8")
    return inputs.data_file(str(path))["v"]


def from_csv(text: str, folder: Path) -> Any:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["v"], [text]])
    path = folder / "rows.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    rows = inputs.table_file(str(path))
    return rows[0]["v"] if rows else ""


SOURCES: dict[str, Callable[[str, Path], Any]] = {"var": from_var, "yaml": from_yaml, "csv": from_csv}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(position=st.sampled_from(sorted(POSITIONS)), source=st.sampled_from(sorted(SOURCES)), text=TEXT)
def test_the_plan_never_depends_on_a_value_s_content(
    registry: Registry, position: str, source: str, text: str
) -> None:
    template, good = POSITIONS[position]
    baseline = outcome(registry, template, good)
    with tempfile.TemporaryDirectory() as folder:
        try:
            value = SOURCES[source](text, Path(folder))
        except stackql_signups.UsageError:
            return  # the data file itself is refused, with a message: nothing is planned
    result = outcome(registry, template, value)
    if isinstance(result, list):
        assert result == baseline, (position, source, text)
    else:
        assert isinstance(result, stackql_signups.Error)
