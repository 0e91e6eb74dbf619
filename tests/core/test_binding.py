"""Binding and validation: names, parameters and request bodies checked against the manifest."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stackql_signups import BindError, ValidationError
from stackql_signups.engine import Step, prepare
from stackql_signups.manifest import Registry
from stackql_signups.plan import PlannedRequest

from .support import (
    ENTITLEMENT,
    ENTITLEMENT_REFERENCE,
    ORGANIZATION,
    SIGNUPS,
    USER,
    activate,
    link,
    signup,
    sql_json,
)


def planned(registry: Registry, script: str, **variables: Any) -> list[PlannedRequest]:
    steps = prepare(script, variables, registry)
    return [s.request for s in steps if s.request is not None]


def request(registry: Registry, script: str) -> PlannedRequest:
    [req] = planned(registry, script)
    return req


def refused(registry: Registry, script: str, kind: type[Exception] = ValidationError) -> Any:
    with pytest.raises(kind) as caught:
        prepare(script, {}, registry)
    return caught.value


def violations(registry: Registry, script: str) -> tuple[str, ...]:
    error = refused(registry, script)
    assert isinstance(error, ValidationError)
    assert error.violations, error.describe()
    return tuple(error.violations)


# -- names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "unknown", "closest", "known"),
    [
        ("confluentt.partner.signups.signup", "confluentt", "confluent", ["confluent"]),
        ("confluent.partnr.signups.signup", "partnr", "partner", ["partner"]),
        (
            "confluent.partner.signup.signup",
            "signup",
            "signups",
            ["entitlements", "organizations", "signups"],
        ),
        (
            "confluent.partner.signups.sign_up",
            "sign_up",
            "signup",
            ["signup", "activate_signup", "signup_partner_v2_link"],
        ),
        (
            "confluent.partner.signups.activate",
            "activate",
            "activate_signup",
            ["signup", "activate_signup", "signup_partner_v2_link"],
        ),
    ],
    ids=["provider", "service", "resource", "method", "method-prefix"],
)
def test_unknown_names_list_what_exists_with_the_closest_match(
    registry: Registry, name: str, unknown: str, closest: str, known: list[str]
) -> None:
    error = refused(registry, f"EXEC {name} @dry_run=true;", BindError)
    assert f"'{unknown}'" in error.message
    assert error.hint is not None
    assert f"did you mean '{closest}'?" in error.hint
    listed = error.hint.split("known:", 1)[1]
    assert sorted(n.strip() for n in listed.split(",")) == sorted(known)
    assert error.location is not None and error.location.statement == 1


def test_unknown_method_uses_stackqls_words(registry: Registry) -> None:
    error = refused(registry, f"EXEC {SIGNUPS}.create;", BindError)
    assert "could not find method for key = 'create'" in error.message


def test_unknown_names_in_show_and_describe(registry: Registry) -> None:
    for sql in (
        "SHOW SERVICES IN confluence;",
        "SHOW RESOURCES IN confluent.partners;",
        "SHOW METHODS IN confluent.partner.signup;",
        "DESCRIBE METHOD confluent.partner.signups.signupp;",
        "USE confluence;",
    ):
        error = refused(registry, sql, BindError)
        assert error.hint is not None and "did you mean" in error.hint, sql


def test_three_part_name_without_use_is_explained(registry: Registry) -> None:
    error = refused(registry, "EXEC partner.signups.signup;", BindError)
    assert "'partner.signups.signup' is not a method name" in error.message
    assert error.hint is not None and "USE" in error.hint


def test_use_sets_the_provider_for_later_statements(registry: Registry) -> None:
    [req] = planned(registry, "USE confluent;\n" + activate().replace(f"{SIGNUPS}.", "partner.signups.", 1))
    assert req.method_key == f"{SIGNUPS}.activate_signup"
    assert req.statement == 2


# -- parameters -----------------------------------------------------------------------------------------


def test_body_params_given_one_by_one_form_the_body(registry: Registry) -> None:
    req = request(registry, signup(user=USER))
    assert req.http_method == "POST"
    assert req.url() == "https://api.confluent.cloud/partner/v2/signup"
    assert req.body == {"organization": ORGANIZATION, "entitlement": ENTITLEMENT, "user": USER}
    assert req.query == ()


def test_required_params_may_come_from_at_at_json(registry: Registry) -> None:
    body = {"organization": ORGANIZATION, "entitlement": ENTITLEMENT}
    from_json = request(registry, f"EXEC {SIGNUPS}.signup @@json={sql_json(body)};")
    from_params = request(registry, signup())
    assert from_json.body == from_params.body == body


def test_params_and_at_at_json_are_merged(registry: Registry) -> None:
    req = request(
        registry,
        f"EXEC {SIGNUPS}.signup @dry_run=true @organization={sql_json(ORGANIZATION)} "
        f"@@json={sql_json({'entitlement': ENTITLEMENT})};",
    )
    assert req.body == {"organization": ORGANIZATION, "entitlement": ENTITLEMENT}
    assert req.query == (("dry_run", "true"),)


@pytest.mark.parametrize(
    ("script", "missing"),
    [
        (f"EXEC {SIGNUPS}.signup;", "entitlement"),
        (signup(entitlement=None), "entitlement"),
        (signup(organization=None), "organization"),
        (activate(user=None), "user"),
        (activate(organization_id=None), "organization_id"),
        (link(token=None), "token"),
        (f"EXEC {SIGNUPS}.signup @@json={sql_json({'organization': ORGANIZATION})};", "entitlement"),
    ],
    ids=["nothing", "no-entitlement", "no-organization", "no-user", "no-org-id", "no-token", "json-partial"],
)
def test_missing_required_param(registry: Registry, script: str, missing: str) -> None:
    error = refused(registry, script, BindError)
    assert f"required param not supplied for exec: could not find variable '{missing}'" in error.message


def test_all_missing_params_are_named(registry: Registry) -> None:
    error = refused(registry, f"EXEC {SIGNUPS}.signup_partner_v2_link @dry_run=true;", BindError)
    assert "could not find variable 'entitlement'" in error.message
    assert "also missing: organization, token" in error.message


@pytest.mark.parametrize(
    ("param", "suggestion"),
    [("organisation", "organization"), ("dryrun", "dry_run"), ("colour", None)],
)
def test_unknown_parameters_are_refused(registry: Registry, param: str, suggestion: str | None) -> None:
    error = refused(registry, signup(**{param: "'x'"}), BindError)
    assert f"unknown parameter @{param} for method signup" in error.message
    assert error.hint is not None
    assert "dry_run, organization, user, entitlement" in error.hint
    if suggestion:
        assert f"did you mean @{suggestion}?" in error.hint
    else:
        assert "did you mean" not in error.hint


def test_a_param_given_twice_through_at_at_json_is_refused(registry: Registry) -> None:
    script = (
        f"EXEC {SIGNUPS}.signup @organization={sql_json(ORGANIZATION)} "
        f"@@json={sql_json({'organization': ORGANIZATION, 'entitlement': ENTITLEMENT})};"
    )
    error = refused(registry, script, BindError)
    assert "@organization is given both as a parameter and inside @@json" in error.message


@pytest.mark.parametrize(
    ("value", "query"),
    [("true", "true"), ("TRUE", "true"), ("false", "false"), ("'true'", "true"), ("'False'", "false")],
)
def test_dry_run_accepts_booleans(registry: Registry, value: str, query: str) -> None:
    req = request(registry, signup(dry_run=value))
    assert req.query == (("dry_run", query),)
    assert req.url().endswith(f"/partner/v2/signup?dry_run={query}")


@pytest.mark.parametrize("value", ["'yes'", "'no'", "''", "1", "0", "'1'", "NULL", "2.5"])
def test_dry_run_refuses_anything_else(registry: Registry, value: str) -> None:
    error = refused(registry, signup(dry_run=value))
    assert "@dry_run must be true or false" in error.message
    assert error.location is not None and error.location.line == 1


def test_without_dry_run_the_url_has_no_query(registry: Registry) -> None:
    assert "?" not in request(registry, signup()).url()


@pytest.mark.parametrize(
    ("param", "text"),
    [("organization", "'{\"name\": '"), ("user", "'not json'"), ("entitlement", "'[1,'")],
)
def test_body_param_must_hold_json(registry: Registry, param: str, text: str) -> None:
    error = refused(registry, signup(**{param: text}))
    assert f"@{param} must be a JSON object" in error.message


# -- schema ---------------------------------------------------------------------------------------------


def test_each_violation_is_listed_with_its_path(registry: Registry) -> None:
    entitlement = {k: v for k, v in ENTITLEMENT.items() if k != "plan_id"}
    organization = {**ORGANIZATION, "id": "org-1"}
    user = {"email": "a@b.example", "given_name": "A"}
    found = violations(registry, signup(organization=organization, entitlement=entitlement, user=user))
    assert "entitlement.plan_id: required property" in found
    assert any(v.startswith("organization.id: read-only") for v in found)
    assert "user.family_name: required property" in found
    assert len(found) == 3


def test_validation_error_text_lists_violations_one_per_line(registry: Registry) -> None:
    error = refused(registry, signup(entitlement={k: v for k, v in ENTITLEMENT.items() if k != "plan_id"}))
    text = error.describe()
    assert text.splitlines()[0].startswith(
        "validation error: the request body of signup is invalid (1 problem)"
    )
    assert "  - entitlement.plan_id: required property" in text.splitlines()


@pytest.mark.parametrize(
    ("where", "field", "value"),
    [
        ("organization", "id", "org-1"),
        ("organization", "kind", "Organization"),
        ("organization", "api_version", "partner/v2"),
        ("organization", "sso_url", "https://login.example/sso"),
        ("organization", "metadata", {"self": "https://api.example/org-1"}),
        ("entitlement", "id", "ent-1"),
        ("entitlement", "api_version", "partner/v2"),
    ],
)
def test_read_only_fields_are_refused(registry: Registry, where: str, field: str, value: object) -> None:
    base = {"organization": ORGANIZATION, "entitlement": ENTITLEMENT}[where]
    found = violations(registry, signup(**{where: {**base, field: value}}))
    assert [v for v in found if v.startswith(f"{where}.{field}")], found
    assert all("read-only" in v for v in found if v.startswith(f"{where}.{field}:"))


@pytest.mark.parametrize("char", list("<>#%'*^`{|}~\""))
def test_org_name_pattern_refuses_each_forbidden_character(registry: Registry, char: str) -> None:
    name = f"Acme{char}Org"
    found = violations(registry, signup(organization={**ORGANIZATION, "name": name}))
    assert len(found) == 1
    assert found[0].startswith("organization.name: ")
    assert "does not match the pattern" in found[0]


@pytest.mark.parametrize(
    ("name", "ok"),
    [("Acme Organization", True), ("A" * 31, True), ("Acmé Ørg & Co.", True), ("A" * 32, False), ("", False)],
    ids=["plain", "31-chars", "unicode", "32-chars", "empty"],
)
def test_org_name_length(registry: Registry, name: str, ok: bool) -> None:
    script = signup(organization={**ORGANIZATION, "name": name})
    if ok:
        assert request(registry, script).body["organization"]["name"] == name
    else:
        assert violations(registry, script)[0].startswith("organization.name: ")


@pytest.mark.parametrize(
    "entitlement",
    [
        ENTITLEMENT_REFERENCE,
        {**ENTITLEMENT_REFERENCE, "id": "ent-123", "environment": "env-1"},
    ],
    ids=["related-only", "with-id-and-environment"],
)
def test_entitlement_as_an_object_reference_is_accepted(
    registry: Registry, entitlement: dict[str, Any]
) -> None:
    assert request(registry, signup(entitlement=entitlement)).body["entitlement"] == entitlement
    assert request(registry, link(entitlement=entitlement)).body["entitlement"] == entitlement


@pytest.mark.parametrize(
    ("entitlement", "expected"),
    [
        ({}, "entitlement.external_id: required property"),
        ({**ENTITLEMENT, "related": "https://x.example/e"}, "entitlement.related: unknown field"),
        ({"related": ""}, "entitlement.related: must not be empty"),
        ({**ENTITLEMENT, "plan_id": 7}, "entitlement.plan_id: must be a string, got a number"),
        ("'\"ent-1\"'", "entitlement: "),
    ],
    ids=["empty", "details-and-reference", "empty-reference", "number", "string"],
)
def test_bad_entitlements(registry: Registry, entitlement: Any, expected: str) -> None:
    found = violations(registry, signup(entitlement=entitlement))
    assert [v for v in found if v.startswith(expected)], found


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("'\"sean@acme.example\"'", ["user: must be an object, got a string"]),
        ("'[\"sean\"]'", ["user: must be an object, got an array"]),
        (
            {},
            [
                "user.email: required property",
                "user.family_name: required property",
                "user.given_name: required property",
            ],
        ),
        ({**USER, "given_name": ""}, ["user.given_name: must not be empty"]),
        ({**USER, "email": 42}, ["user.email: must be a string, got a number"]),
    ],
    ids=["string", "array", "empty-object", "empty-given-name", "email-number"],
)
def test_user_must_be_an_object_with_email_and_names(
    registry: Registry, user: Any, expected: list[str]
) -> None:
    for script in (signup(user=user), activate(user=user)):
        assert list(violations(registry, script)) == expected


def test_user_object_is_accepted(registry: Registry) -> None:
    assert request(registry, activate()).body == {"organization_id": "org-1", "user": USER}


def test_unknown_body_fields_are_refused_with_the_allowed_ones(registry: Registry) -> None:
    body = {"organization": ORGANIZATION, "entitlement": ENTITLEMENT, "colour": "red"}
    found = violations(registry, f"EXEC {SIGNUPS}.signup @@json={sql_json(body)};")
    assert len(found) == 1
    assert found[0].startswith("colour: unknown field (allowed: entitlement, organization, user)")


def test_sso_config_is_checked(registry: Registry) -> None:
    org = {"name": "Acme", "sso_config": {"kind": "OktaSSOConfig"}}
    found = violations(registry, signup(organization=org))
    assert "organization.sso_config.tenant_id: required property" in found
    assert any(v.startswith("organization.sso_config.kind: 'OktaSSOConfig' is not one of") for v in found)


def test_link_organization_needs_only_sso_config(registry: Registry) -> None:
    req = request(registry, link())
    assert req.url() == "https://api.confluent.cloud/partner/v2/signup/link"
    assert req.body["organization"] == {"sso_config": ORGANIZATION["sso_config"]}
    found = violations(registry, link(organization={"name": "Acme"}))
    assert found == ("organization.sso_config: required property",)


def test_link_token_must_be_a_non_empty_string(registry: Registry) -> None:
    assert violations(registry, link(token="12345")) == ("token: must be a string, got a number",)
    assert violations(registry, link(token="''")) == ("token: must not be empty",)


def test_activate_organization_id_must_not_be_empty(registry: Registry) -> None:
    assert violations(registry, activate(organization_id="''")) == ("organization_id: must not be empty",)


def test_a_later_error_stops_the_whole_script(registry: Registry) -> None:
    script = "\n".join([signup(), activate(), signup(organization={"name": "Acme"})])
    error = refused(registry, script)
    assert error.location is not None and (error.location.statement, error.location.line) == (3, 3)


def test_await_hint_gives_a_warning_not_an_error(registry: Registry) -> None:
    steps = prepare(activate().replace("EXEC ", "EXEC /*+ AWAIT */ ", 1), {}, registry)
    [step] = steps
    assert isinstance(step, Step) and step.request is not None
    assert step.warning is not None and "activate_signup is not awaitable" in step.warning


def test_stage_and_cli_agree(cli: Any, registry: Registry) -> None:
    script = signup(dry_run="true", user=USER)
    req = request(registry, script)
    result = cli.run("exec", script, "--dryrun", "-o", "json")
    assert result.status == 0, result.explain()
    [plan] = json.loads(result.stdout)
    assert (plan["method"], plan["url"], plan["body"]) == (req.http_method, req.url(), req.body)


def test_unknown_parameter_error_points_at_the_parameter(registry: Registry) -> None:
    script = f"EXEC {SIGNUPS}.activate_signup @organization_id='o' @bogus=12345 @user='{{}}';"
    error = refused(registry, script, BindError)
    assert error.location is not None
    assert error.location.column == script.index("@bogus") + 1


# -- StackQL's older `data__` spelling of body fields --------------------------------------------------------


def test_data_prefixed_body_parameters_form_the_body(registry: Registry) -> None:
    req = request(
        registry,
        f"EXEC {SIGNUPS}.activate_signup @data__organization_id='org-1', @data__user={sql_json(USER)};",
    )
    assert req.body == {"organization_id": "org-1", "user": USER}


def test_data_prefix_is_only_for_body_fields(registry: Registry) -> None:
    error = refused(registry, f"EXEC {SIGNUPS}.signup @data__dry_run=true @@json='{{}}';", BindError)
    assert "unknown parameter @data__dry_run" in error.message
