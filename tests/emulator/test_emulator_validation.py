"""The emulator's compiled fast check agrees with jsonschema (the authority) on every body it decides."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackql_signups.emulator.schemas import BodyValidator, RequestSchemas, load_schemas
from stackql_signups.fastcheck import compile_check

from .emulator_support import entitlement, organization, signup_body, user

SCHEMAS = load_schemas()
VALID: dict[str, Any] = {
    "signup": signup_body("v"),
    "signup_without_user": signup_body("v", with_user=False),
    "signup_reference": {
        "organization": organization(),
        "entitlement": {"related": "https://x/partner/v2/entitlements/e"},
    },
    "activate": {"user": user(), "organization_id": "org-1"},
    "link": {
        "token": "t",
        "organization": {"sso_config": organization()["sso_config"]},
        "entitlement": entitlement(),
    },
    "entitlement": entitlement(),
}
FOR = {
    "signup": "signup",
    "signup_without_user": "signup",
    "signup_reference": "signup",
    "activate": "activate",
    "link": "link",
    "entitlement": "entitlement",
}


def validator(name: str) -> BodyValidator:
    found: BodyValidator = getattr(SCHEMAS, FOR[name])
    return found


def test_every_operation_schema_has_a_fast_check() -> None:
    assert isinstance(SCHEMAS, RequestSchemas)
    for name in ("signup", "activate", "link", "entitlement"):
        assert getattr(SCHEMAS, name).fast is not None


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_bodies_are_decided_by_the_fast_check(name: str) -> None:
    check = validator(name)
    assert check.slow.violations(VALID[name]) == []
    expected = None if name == "signup_reference" else True  # `related` has format: uri, left to jsonschema
    assert check.fast is not None and check.fast(VALID[name]) is expected


def test_unknown_keywords_disable_the_fast_check() -> None:
    assert compile_check({"type": "object", "patternProperties": {"a": {}}}) is None
    assert compile_check({"not": {}}) is None
    assert compile_check({"type": "string", "description": "ok", "x-any": 1}) is not None


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, width=16)
    | st.text(max_size=8)
)
JSON = st.recursive(
    SCALARS
    | st.sampled_from(
        ["", "a@b", "not-an-email", "x" * 40, "AzureSSOConfig", "Entitlement", "bad<", "1.0", "@", "a@b@c"]
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    [
        "organization",
        "user",
        "entitlement",
        "token",
        "organization_id",
        "name",
        "sso_config",
        "kind",
        "tenant_id",
        "external_id",
        "plan_id",
        "product_id",
        "related",
        "id",
        "metadata",
        "email",
        "given_name",
        "family_name",
        "sso_url",
        "api_version",
        "environment",
    ]
)


@st.composite
def near_valid(draw: st.DrawFn) -> tuple[str, Any]:
    name = draw(st.sampled_from(sorted(VALID)))
    body = copy.deepcopy(VALID[name])
    for _ in range(draw(st.integers(1, 3))):
        node = body
        while isinstance(node, dict) and node and draw(st.booleans()):
            child = node[draw(st.sampled_from(sorted(node)))]
            if not isinstance(child, dict):
                break
            node = child
        if not isinstance(node, dict):
            continue
        action = draw(st.sampled_from(["remove", "replace", "add"]))
        if action == "remove" and node:
            del node[draw(st.sampled_from(sorted(node)))]
        elif action == "replace" and node:
            node[draw(st.sampled_from(sorted(node)))] = draw(JSON)
        else:
            node[draw(FIELDS | st.text(max_size=4))] = draw(JSON)
    return name, body


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=near_valid() | st.tuples(st.sampled_from(sorted(VALID)), JSON))
def test_fast_check_never_disagrees_with_jsonschema(case: tuple[str, Any]) -> None:
    name, body = case
    check = validator(name)
    assert check.fast is not None
    verdict = check.fast(body)
    violations = check.slow.violations(body)
    if verdict is True:
        assert violations == [], f"fast check accepted what jsonschema refuses: {violations}"
    elif verdict is False:
        assert violations, "fast check refused what jsonschema accepts"
    assert check.violations(body) == violations
