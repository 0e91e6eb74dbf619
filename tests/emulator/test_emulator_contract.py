"""Every answer of the three operations conforms to the API's own OpenAPI document (partner.2024-10-30.yaml).

A property-based test sends arbitrary methods, queries, credentials, content types and JSON bodies (random,
and mutations of valid ones) and checks each answer: a declared status (never 5xx), the declared content
type, a body valid against the declared schema, the declared headers. Examples then cover the statuses
that only faults produce (403, 429, 500).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from stackql_signups.emulator import EmulatorConfig, EmulatorServer

from .emulator_support import (
    ACTIVATE,
    AUTH,
    LINK,
    SIGNUP,
    entitlement,
    link_token,
    organization,
    signup_body,
    user,
)

# The API's own document, copied from stackql/stackql-provider-registry
# (providers/src/confluent/v00.00.00000/services/partner.yaml @ 293826e4, 2024-10-30): unflattened schemas.
UPSTREAM = Path(__file__).resolve().parent / "contract" / "partner.2024-10-30.yaml"
OPERATIONS = (SIGNUP, ACTIVATE, LINK)
URI = "urn:partner-2024-10-30"


class Contract:
    """The declared responses of the three operations, with validators for their bodies."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(dict(document), default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(URI, resource)

    def resolve(self, node: Any) -> Any:
        while isinstance(node, Mapping) and "$ref" in node:
            target: Any = self.document
            for part in node["$ref"][2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def responses(self, path: str, method: str = "post") -> dict[str, Any]:
        operation = self.document["paths"][path][method]
        return {code: self.resolve(answer) for code, answer in operation["responses"].items()}

    def check(self, path: str, method: str, answer: httpx.Response) -> None:
        """Assert that one answer is what the document declares for this operation."""
        assert answer.status_code < 500, f"{method} {path}: {answer.status_code} {answer.text}"
        assert answer.headers.get("x-request-id"), "every answer carries X-Request-Id"
        if method != "POST":  # the document declares POST only; other methods are refused by HTTP
            assert answer.status_code == 405 and answer.headers["allow"] == "POST"
            return
        declared = self.responses(path)
        assert str(answer.status_code) in declared, (
            f"{path}: undeclared status {answer.status_code}: {answer.text}"
        )
        self.check_declared(declared[str(answer.status_code)], answer)

    def inline(self, schema: Any) -> Any:
        """A schema written inline in an operation, its `$ref`s pointed into the registered document."""
        if isinstance(schema, Mapping):
            return {k: (URI + v if k == "$ref" else self.inline(v)) for k, v in schema.items()}
        if isinstance(schema, list):
            return [self.inline(v) for v in schema]
        return schema

    def check_read(self, template: str, method: str, answer: httpx.Response) -> None:
        """Assert that an answer of the read and create operations is what the document declares."""
        assert answer.headers.get("x-request-id"), "every answer carries X-Request-Id"
        declared = self.responses(template, method)
        assert str(answer.status_code) in declared, (
            f"{template}: undeclared {answer.status_code}: {answer.text}"
        )
        self.check_declared(declared[str(answer.status_code)], answer)

    def check_declared(self, response: Mapping[str, Any], answer: httpx.Response) -> None:
        content = response.get("content")
        if not content:
            assert answer.content == b"", "no body is declared"
        else:
            media = answer.headers.get("content-type", "").split(";")[0].strip()
            assert media in content, f"undeclared content type {media!r}"
            declared = content[media]["schema"]
            schema = {"$ref": URI + declared["$ref"]} if "$ref" in declared else self.inline(declared)
            body = json.loads(answer.content)
            errors = list(Draft202012Validator(schema, registry=self.registry).iter_errors(body))
            assert not errors, f"{answer.status_code} body breaks its schema: {errors[0].message}: {body}"
        for name in response.get("headers", {}):
            if name == "Location" and name.lower() not in answer.headers:
                continue  # optional: only for a conflict with a resource the client can look up
            if name in ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
                assert answer.headers[name].isdigit(), f"{name} must be an integer"
            elif name == "Location":
                assert answer.headers[name].startswith(("http://", "https://"))
            else:
                assert answer.headers.get(name), f"{name} is declared for {answer.status_code}"
        if answer.status_code == 401:
            assert answer.headers["www-authenticate"]


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(
        yaml.load(UPSTREAM.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorServer, dict[str, str]]]:
    """One emulator for all examples, with an organization awaiting activation and a link token."""
    path = tmp_path_factory.mktemp("contract") / "state.sqlite3"
    with EmulatorServer(EmulatorConfig(state_path=path)) as server:
        created = httpx.post(
            f"{server.url}{SIGNUP}", json=signup_body("seed", with_user=False), auth=AUTH
        ).json()
        known = {
            "organization_id": created["organization_id"],
            "token": link_token(server, created["organization_id"]),
        }
        yield server, known


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = (
    "organization user entitlement token organization_id name sso_config kind tenant_id external_id plan_id"
)
KEYS = st.sampled_from(
    (FIELDS + " product_id related id metadata email sso_url given_name").split()
) | st.text(max_size=10)


def valid_body(path: str, known: dict[str, str], external_id: str) -> dict[str, Any]:
    if path == SIGNUP:
        return signup_body(external_id)
    if path == ACTIVATE:
        return {"user": user(), "organization_id": known["organization_id"]}
    return {"token": known["token"], "organization": organization(), "entitlement": entitlement(external_id)}


@st.composite
def mutated(draw: st.DrawFn, body: Any) -> Any:
    """A valid body with a few random edits: a field removed, replaced or added, at any depth."""
    for _ in range(draw(st.integers(0, 3))):
        node = body
        while isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node)))
            if not isinstance(node[key], dict):
                break
            node = node[key]
        if not isinstance(node, dict):
            continue
        action = draw(st.sampled_from(["remove", "replace", "add"]))
        if action == "remove" and node:
            del node[draw(st.sampled_from(sorted(node)))]
        elif action == "replace" and node:
            node[draw(st.sampled_from(sorted(node)))] = draw(JSON)
        else:
            node[draw(KEYS)] = draw(JSON)
    return body


@st.composite
def requests(draw: st.DrawFn, known: dict[str, str]) -> tuple[str, str, str, dict[str, str], bytes]:
    """One request; each part is usually right (so that many reach the operation) and sometimes wrong."""

    def mostly(usual: Any, other: st.SearchStrategy[Any]) -> Any:
        return usual if draw(st.integers(0, 9)) < 8 else draw(other)

    path = draw(st.sampled_from(OPERATIONS))
    method = mostly("POST", st.sampled_from(["GET", "PUT", "DELETE", "PATCH"]))
    queries = ["dry_run=true", "dry_run=false", "dry_run=maybe", "dry_run=", "dry_run=true&dry_run=false"]
    query = mostly(
        "",
        st.sampled_from(queries)
        | st.text(max_size=20).map(lambda t: f"dry_run={quote(t)}")
        | st.text(max_size=20).map(lambda t: f"other={quote(t)}"),
    )
    kind = draw(st.sampled_from(["valid", "valid", "mutated", "mutated", "json", "bytes"]))
    external_id = draw(st.sampled_from(["c-1", "c-2"]) | st.uuids().map(str))
    if kind in ("valid", "mutated"):
        body: Any = valid_body(path, known, external_id)
        if kind == "mutated":
            body = draw(mutated(body))
        content = json.dumps(body).encode()
    elif kind == "json":
        content = json.dumps(draw(JSON)).encode()
    else:
        content = draw(st.binary(max_size=60))
    headers = {
        "content-type": mostly(
            "application/json", st.sampled_from(["text/plain", "", "application/json; charset=utf-8"])
        )
    }
    credentials = mostly("good", st.sampled_from(["none", "bad"]))
    if credentials == "good":
        headers["authorization"] = "Basic " + base64.b64encode(":".join(AUTH).encode()).decode()
    elif credentials == "bad":
        headers["authorization"] = "Basic " + base64.b64encode(draw(st.binary(max_size=20))).decode() + "x"
    return path, method, query, headers, content


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=st.data())
def test_every_answer_conforms_to_the_api_document(
    contract: Contract, world: tuple[EmulatorServer, dict[str, str]], http: httpx.Client, data: st.DataObject
) -> None:
    server, known = world
    path, method, query, headers, content = data.draw(requests(known))
    headers = {k: v for k, v in headers.items() if v.isascii() and "\n" not in v and "\r" not in v}
    url = f"{server.url}{path}" + (f"?{query}" if query else "")
    answer = http.request(method, url, content=content if method != "GET" else None, headers=headers)
    event(f"{path} {answer.status_code}")
    contract.check(path, method, answer)


# --- statuses that only faults or scopes produce ------------------------------------------------


def test_403_answers_conform(contract: Contract, world: tuple[EmulatorServer, dict[str, str]]) -> None:
    server, known = world
    grant = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "partner:describe"},
        auth=AUTH,
    ).json()
    for path in OPERATIONS:
        body = valid_body(path, known, "scoped")
        answer = httpx.post(
            f"{server.url}{path}", json=body, headers={"authorization": f"Bearer {grant['access_token']}"}
        )
        assert answer.status_code == 403
        contract.check(path, "POST", answer)


def test_429_answers_conform(contract: Contract, tmp_path: Path) -> None:
    with EmulatorServer(EmulatorConfig(state_path=tmp_path / "r.db", rate_limit=1)) as server:
        answers = [httpx.post(f"{server.url}{path}", json={}, auth=AUTH) for path in OPERATIONS * 2]
    assert 429 in {a.status_code for a in answers}
    for path, answer in zip(OPERATIONS * 2, answers, strict=True):
        contract.check(path, "POST", answer)


def test_injected_500_answers_conform(contract: Contract, tmp_path: Path) -> None:
    with EmulatorServer(EmulatorConfig(state_path=tmp_path / "f.db", fail_rate=1.0)) as server:
        for path in OPERATIONS:
            answer = httpx.post(f"{server.url}{path}", json={}, auth=AUTH)
            assert answer.status_code == 500  # the one 5xx allowed: injected, and declared
            contract.check_declared(contract.responses(path)["500"], answer)


# --- the read operations and entitlement creation (issue 11) --------------------------------------

ORGS = "/partner/v2/organizations"
ENTS = "/partner/v2/entitlements"


def test_read_and_create_answers_conform(
    contract: Contract, world: tuple[EmulatorServer, dict[str, str]], http: httpx.Client
) -> None:
    server, known = world
    organization_id = known["organization_id"]
    created = http.post(
        f"{server.url}{ENTS}",
        json={**entitlement("contract-e"), "organization": {"id": organization_id}},
        auth=AUTH,
    )
    contract.check_read(ENTS, "post", created)
    assert created.status_code == 201
    entitlement_id = created.json()["id"]
    cases: list[tuple[str, str, str, dict[str, Any], Any]] = [
        (ORGS, "get", ORGS, {}, AUTH),
        (ORGS, "get", ORGS, {"page_size": "1"}, AUTH),
        (ORGS, "get", ORGS, {"page_size": "500"}, AUTH),
        (ORGS, "get", ORGS, {"page_token": "forged"}, AUTH),
        (ORGS, "get", ORGS, {}, None),
        (ORGS + "/{id}", "get", f"{ORGS}/{organization_id}", {}, AUTH),
        (ORGS + "/{id}", "get", f"{ORGS}/missing", {}, AUTH),
        (ENTS, "get", ENTS, {"organization.id": organization_id, "page_size": "1"}, AUTH),
        (ENTS, "get", ENTS, {"organization.id": "nobody"}, AUTH),
        (ENTS + "/{id}", "get", f"{ENTS}/{entitlement_id}", {}, AUTH),
        (ENTS + "/{id}", "get", f"{ENTS}/{entitlement_id}", {"organization.id": "other"}, AUTH),
        (ENTS + "/{id}", "get", f"{ENTS}/missing", {}, AUTH),
    ]
    statuses = set()
    for template, method, path, params, auth in cases:
        answer = http.request(method.upper(), f"{server.url}{path}", params=params, auth=auth)
        contract.check_read(template, method, answer)
        statuses.add(answer.status_code)
    assert statuses == {200, 400, 401, 404}
    for body in (
        {**entitlement("contract-e")},
        {"name": "no ids"},
        {**entitlement("x"), "organization": {"id": "no"}},
    ):
        answer = http.post(f"{server.url}{ENTS}", json=body, auth=AUTH)
        assert answer.status_code in (400, 409)
        contract.check_read(ENTS, "post", answer)
