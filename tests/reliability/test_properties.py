"""Bad input, generated: arbitrary text, JSON payloads and variable values through render, parse, bind
and validate (`engine.prepare`). Every outcome is a result or a `stackql_signups.Error`, never another
exception. And an EXEC printed back as SQL (`sql.printer.to_sql`) parses to the same statement."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import stackql_signups
from stackql_signups.engine import Step, prepare
from stackql_signups.manifest import Registry, root_from_option
from stackql_signups.sql.parser import parse
from stackql_signups.sql.printer import to_sql
from stackql_signups.sql.statements import Exec, Reference

REGISTRY = Registry(root_from_option(None))
SIGNUP = "confluent.partner.signups.signup"
FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID_BODY: dict[str, Any] = {
    "organization": {"name": "Acme", "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "t-1"}},
    "entitlement": {
        "external_id": "acme-1",
        "name": "Acme production",
        "plan_id": "confluent-cloud-payg-prod",
        "product_id": "confluent-cloud-kafka-service-azure",
    },
    "user": {"email": "jane@acme.example", "given_name": "Jane", "family_name": "Doe"},
}

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)

# Pieces of the language, so that generated scripts get past the first token more often than noise does.
PIECES = st.sampled_from(
    [
        "EXEC ", "exec ", "SHOW ", "DESCRIBE ", "USE ", "SELECT * FROM ", "METHODS IN ", "EXTENDED ",
        SIGNUP, "confluent.partner.signups", "confluent", ".", "@", "@@json=", "@dry_run=", "@organization=",
        "@entitlement=", "@user=", "@token=", "=", "'", "''", '"', "`", ";", ",", " ", "\n", "-- c\n", "/*",
        "*/", "/*+ AS x */", "/*+ AWAIT */", "{{", "}}", "{%", "%}", "{#", "#}", "{{ v }}", "{% if v %}",
        "{% endif %}", "true", "NULL", "1", "-2.5e3", "x.organization_id", '{"', '":', "}", "[", "]",
        "\\", "\x00", "\ue000", "\ud7ff", "é", "😀", "'{}'",
    ]
)  # fmt: skip
SCRIPTS = st.lists(PIECES | st.text(max_size=8), max_size=30).map("".join)


def outcome(script: str, variables: dict[str, Any] | None = None) -> list[Step] | stackql_signups.Error:
    """What prepare makes of a script: its steps, or the Error it raised (anything else fails the test)."""
    try:
        return prepare(script, variables or {}, REGISTRY)
    except stackql_signups.Error as exc:
        assert exc.describe()  # the user-facing text can always be built
        assert exc.exit_status in (2, 3)  # nothing was sent: an input (or manifest) error
        return exc


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- arbitrary text ------------------------------------------------------------------------------------


@MANY
@given(script=st.text(max_size=300))
def test_any_text_is_a_result_or_an_error(script: str) -> None:
    outcome(script)


@MANY
@given(script=SCRIPTS, value=JSON)
def test_any_script_of_language_pieces_is_a_result_or_an_error(script: str, value: Any) -> None:
    outcome(script, {"v": value})


# --- arbitrary JSON payloads ---------------------------------------------------------------------------


@FAST
@given(payload=JSON)
def test_any_json_payload_is_a_result_or_an_error(payload: Any) -> None:
    text = json.dumps(payload)
    result = outcome(f"EXEC {SIGNUP} @@json={sql_string(text)};")
    # A payload holding Jinja markers ({{, {%, {#) is a template first, and may fail as one.
    if not isinstance(payload, dict) and not any(marker in text for marker in ("{{", "{%", "{#")):
        assert isinstance(result, stackql_signups.ValidationError)


def replace_at(body: Any, path: list[str], value: Any) -> Any:
    if not path:
        return value
    copy = dict(body) if isinstance(body, dict) else {}
    copy[path[0]] = replace_at(copy.get(path[0]), path[1:], value)
    return copy


FIELDS = st.sampled_from(
    [
        ["organization"], ["organization", "name"], ["organization", "sso_config"],
        ["organization", "sso_config", "kind"], ["organization", "sso_config", "tenant_id"],
        ["entitlement"], ["entitlement", "external_id"], ["entitlement", "related"],
        ["entitlement", "plan_id"],
        ["user"], ["user", "email"], ["user", "given_name"], ["extra"], ["organization", "id"],
    ]
)  # fmt: skip


@FAST
@given(path=FIELDS, value=JSON)
def test_any_value_in_any_field_of_a_valid_body_is_a_result_or_a_validation_error(
    path: list[str], value: Any
) -> None:
    body = replace_at(VALID_BODY, path, value)
    text = json.dumps(body, ensure_ascii=False)
    result = outcome(f"EXEC {SIGNUP} @@json={sql_string(text)};")
    if isinstance(result, list):
        assert result[0].request is not None and result[0].request.body == body
    elif any(marker in text for marker in ("{{", "{%", "{#")):
        # The whole script is a template: Jinja markers inside a payload are read as template syntax.
        assert isinstance(result, (stackql_signups.ValidationError, stackql_signups.TemplateError)), result
    else:
        assert isinstance(result, stackql_signups.ValidationError), result


# --- arbitrary variable values -------------------------------------------------------------------------

TEMPLATES = [
    # value as a whole parameter, inside a JSON string, as a whole JSON value, in a comment, as a name part
    f"EXEC {SIGNUP} @organization={{{{ v }}}} @entitlement='{json.dumps(VALID_BODY['entitlement'])}';",
    f'EXEC {SIGNUP} @@json=\'{{"organization": {{"name": "{{{{ v }}}}", "sso_config": '
    f'{{"kind": "AzureSSOConfig", "tenant_id": "t"}}}}, "entitlement": '
    f"{json.dumps(VALID_BODY['entitlement'])}}}';",
    f"EXEC {SIGNUP} @@json='{{{{ v | tojson }}}}';",
    "-- customer {{ v }}\nSHOW METHODS IN confluent.partner.signups;",
    "SHOW METHODS IN confluent.partner.{{ v }};",
    "EXEC confluent.partner.signups.activate_signup @organization_id='{{ v }}' @user='{{ v }}';",
]


@FAST
@given(template=st.sampled_from(TEMPLATES), value=JSON)
def test_any_variable_value_anywhere_is_a_result_or_an_error(template: str, value: Any) -> None:
    outcome(template, {"v": value})


@FAST
@given(name=st.text(min_size=1, max_size=31))
def test_an_organization_name_from_a_variable_arrives_intact_or_is_refused(name: str) -> None:
    result = outcome(TEMPLATES[1], {"v": name})
    if isinstance(result, list):
        request = result[0].request
        assert request is not None and request.body["organization"]["name"] == name
    else:
        assert isinstance(result, stackql_signups.ValidationError), result
        assert "organization.name" in result.describe()


# --- to_sql round trip ---------------------------------------------------------------------------------


def same(statement: Exec) -> tuple[Any, ...]:
    """What an EXEC means: name, parameters with typed values, @@json text, hints, label (not positions)."""

    def typed(value: Any) -> Any:
        return (
            type(value).__name__,
            value if not isinstance(value, float) or not math.isnan(value) else "nan",
        )

    json_text = statement.json_body.value if statement.json_body is not None else None
    return (
        statement.name,
        tuple((p.name, typed(p.value)) for p in statement.params),
        json_text,
        statement.hints,
        statement.label,
    )


WORD = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
NAME_PART = WORD | st.text(min_size=0, max_size=8).filter(lambda t: "\x00" not in t)
LABEL = WORD.filter(lambda w: w.upper() not in ("AS", "TRUE", "FALSE", "NULL"))
VALUES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.builds(Reference, label=LABEL, field=NAME_PART)
)


@st.composite
def execs(draw: st.DrawFn) -> str:
    """A random EXEC written out by hand (a deliberately different spelling from the printer's)."""
    name = draw(st.lists(NAME_PART, min_size=1, max_size=4))
    names = draw(st.lists(WORD, max_size=5, unique_by=str.lower).filter(lambda ns: "json" not in ns))
    label = draw(st.none() | LABEL)
    hints = draw(st.lists(st.sampled_from(["AWAIT", "SHOWRESULTS", "X1", "REQUIRED"]), max_size=3))
    parts = ["exec"]
    if label or hints:
        parts.append("/*+ " + (f"as {label} " if label else "") + " ".join(h.lower() for h in hints) + " */")
    parts.append(".".join('"' + p.replace('"', '""') + '"' for p in name))
    for n in names:
        value = draw(VALUES)
        if isinstance(value, Reference):
            text = f'"{value.label}"."{value.field.replace(chr(34), chr(34) * 2)}"'
        elif isinstance(value, bool):
            text = "TRUE" if value else "FALSE"
        elif value is None:
            text = "null"
        elif isinstance(value, float):
            text = repr(value) if math.isfinite(value) else ("1e999" if value > 0 else "-1e999")
            text = text if any(c in text for c in ".eE") else text + ".0"
        elif isinstance(value, int):
            text = str(value)
        else:
            text = sql_string(value)
        parts.append(f"@{n} = {text},")
    if draw(st.booleans()):
        parts.append(f"@@json={sql_string(json.dumps(draw(JSON)))}")
    return "\n  ".join(parts).rstrip(",")


@settings(max_examples=600, deadline=None)
@given(text=execs())
def test_an_exec_printed_back_parses_to_the_same_statement(text: str) -> None:
    try:
        statements = parse(text)
    except stackql_signups.ParseError:
        assume(False)  # a spelling the generator got wrong; counted by hypothesis, not a failure
        raise
    (statement,) = statements
    assert isinstance(statement, Exec)
    printed = to_sql(statement)
    (again,) = parse(printed)
    assert isinstance(again, Exec)
    assert same(again) == same(statement), printed
    assert to_sql(again) == printed  # printing is a fixed point


@MANY
@given(script=SCRIPTS | st.text(max_size=120))
def test_any_exec_that_parses_prints_back_to_the_same_statement(script: str) -> None:
    try:
        statements = parse(script)
    except stackql_signups.Error:
        return
    for statement in statements:
        if isinstance(statement, Exec):
            (again,) = parse(to_sql(statement))
            assert isinstance(again, Exec) and same(again) == same(statement), to_sql(statement)
