"""The compiled fast check never disagrees with jsonschema: on random schemas, and on the shipped ones."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackql_signups.fastcheck import _MAX_INLINE_DEPTH, compile_check
from stackql_signups.manifest import Registry
from stackql_signups.validate import BodyValidator, SchemaValidator

from .support import ENTITLEMENT, ENTITLEMENT_REFERENCE, LINK_TOKEN, ORGANIZATION, USER

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([1.0, 2.5, -0.0])
    | st.text(alphabet="ab@ .<", max_size=5)
)
NAMES = st.sampled_from(["a", "b", "c", "d"])
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(NAMES, children, max_size=3),
    max_leaves=10,
)
TYPES = st.sampled_from(["object", "array", "string", "boolean", "null", "number", "integer"])
LEAF_SCHEMAS = st.fixed_dictionaries(
    {},
    optional={
        "type": TYPES | st.lists(TYPES, min_size=1, max_size=3, unique=True),
        "minLength": st.integers(0, 3),
        "maxLength": st.integers(0, 3),
        "pattern": st.sampled_from(["^a", "b$", "@", "^[^<>]{1,3}$"]),
        "enum": st.lists(st.text(alphabet="ab", max_size=2), min_size=1, max_size=3),
        "format": st.sampled_from(["email", "uri"]),
        "readOnly": st.booleans(),
        "description": st.just("an annotation"),
    },
)


def _compound(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "type": st.just("object"),
            "properties": st.dictionaries(NAMES, children, max_size=3),
            "required": st.lists(NAMES, max_size=2, unique=True),
            "additionalProperties": st.just(False),
            "allOf": st.lists(children, min_size=1, max_size=2),
            "anyOf": st.lists(children, min_size=1, max_size=2),
            "oneOf": st.lists(children, min_size=1, max_size=3),
        },
    )


SCHEMAS = st.recursive(LEAF_SCHEMAS, _compound, max_leaves=8)


def _jsonschema(schema: dict[str, Any]) -> SchemaValidator:
    return SchemaValidator({}, schema)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=SCHEMAS, instances=st.lists(JSON, min_size=1, max_size=6))
def test_random_schemas_agree_with_jsonschema(schema: dict[str, Any], instances: list[Any]) -> None:
    check = compile_check(schema)
    assert check is not None
    authority = _jsonschema(schema)
    fronted = BodyValidator({}, schema)
    for instance in instances:
        violations = authority.violations(instance)
        # What matters: a body the check calls valid is valid; any other is left to jsonschema.
        if check(instance) is True:
            assert violations == [], f"accepted what jsonschema refuses: {schema} {instance!r}"
        assert fronted.violations(instance) == violations


def test_deep_schemas_compile_through_helper_functions() -> None:
    schema: dict[str, Any] = {"type": "string", "minLength": 2}
    instance: Any = "ok"
    for _ in range(_MAX_INLINE_DEPTH * 3):
        schema = {"type": "object", "required": ["a"], "properties": {"a": schema}}
        instance = {"a": instance}
    check = compile_check(schema)
    assert check is not None
    assert check(instance) is True
    broken = copy.deepcopy(instance)
    node = broken
    while isinstance(node["a"], dict):
        node = node["a"]
    node["a"] = "x"
    assert check(broken) is False


def test_unknown_keywords_and_bad_values_disable_the_check() -> None:
    assert compile_check({"type": "object", "patternProperties": {"a": {}}}) is None
    assert compile_check({"properties": {"a": {"const": 1}}}) is None
    assert compile_check({"enum": [1, 2]}) is None
    assert compile_check({"pattern": "("}) is None
    assert compile_check({"additionalProperties": {"type": "string"}}) is None
    assert compile_check({"$ref": "#/components/schemas/X"}) is None


_SHIPPED = {
    "signup": [
        {"organization": ORGANIZATION, "entitlement": ENTITLEMENT, "user": USER},
        {"organization": ORGANIZATION, "entitlement": ENTITLEMENT_REFERENCE},
    ],
    "activate_signup": [{"organization_id": "org-1", "user": USER}],
    "signup_partner_v2_link": [
        {
            "token": LINK_TOKEN,
            "organization": {"sso_config": ORGANIZATION["sso_config"]},
            "entitlement": ENTITLEMENT,
        }
    ],
}
FIELDS = st.sampled_from(
    ["organization", "user", "entitlement", "token", "name", "sso_config", "kind", "tenant_id", "id", "email"]
)


@st.composite
def _near_valid(draw: st.DrawFn) -> tuple[str, Any]:
    method = draw(st.sampled_from(sorted(_SHIPPED)))
    body = copy.deepcopy(draw(st.sampled_from(_SHIPPED[method])))
    for _ in range(draw(st.integers(0, 3))):
        node = body
        while isinstance(node, dict) and node and draw(st.booleans()):
            child = node[draw(st.sampled_from(sorted(node)))]
            if not isinstance(child, dict):
                break
            node = child
        action = draw(st.sampled_from(["remove", "replace", "add"]))
        if action == "remove" and node:
            del node[draw(st.sampled_from(sorted(node)))]
        elif action == "replace" and node:
            node[draw(st.sampled_from(sorted(node)))] = draw(JSON)
        else:
            node[draw(FIELDS)] = draw(JSON)
    return method, body


@pytest.fixture(scope="module")
def validators() -> dict[str, tuple[BodyValidator, SchemaValidator]]:
    found = {}
    target = Registry().resource_target(("confluent", "partner", "signups"), None)
    for method in target.resource.methods:
        document = target.service.document
        assert method.body_schema is not None
        found[method.name] = (
            BodyValidator(document, method.body_schema),
            SchemaValidator(document, method.body_schema),
        )
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_near_valid())
def test_engine_validator_reports_what_jsonschema_reports(
    validators: dict[str, tuple[BodyValidator, SchemaValidator]], case: tuple[str, Any]
) -> None:
    method, body = case
    fronted, authority = validators[method]
    assert fronted.fast is not None
    assert fronted.violations(body) == authority.violations(body)
