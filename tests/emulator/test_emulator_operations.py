"""The three operations (and entitlement lookups) as a client sees them: status, headers, bodies, state."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import httpx
import pytest

from stackql_signups.emulator import EmulatorServer
from stackql_signups.emulator.guard import partner_label

from .emulator_support import (
    ACTIVATE,
    AUTH,
    LINK,
    SIGNUP,
    entitlement,
    errors,
    link_token,
    logged,
    organization,
    signup_body,
    state,
    user,
)

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def assert_signup_response(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert UUID4.match(answer.headers["x-request-id"])
    body: dict[str, Any] = answer.json()
    assert set(body) == {"organization_id", "sso_url", "display_message"}
    assert UUID4.match(body["organization_id"])
    assert body["sso_url"].startswith("https://confluent.cloud/login/sso/")
    return body


def counts(server: EmulatorServer) -> tuple[int, int, int]:
    now = state(server)
    return len(now["organizations"]), len(now["users"]), len(now["entitlements"])


def test_signup_creates_organization_user_and_entitlement(
    server: EmulatorServer, client: httpx.Client
) -> None:
    body = assert_signup_response(client.post(SIGNUP, json=signup_body("ext-1", name="Acme Corp")))
    now = state(server)
    [org] = now["organizations"]
    assert org["id"] == body["organization_id"] and org["name"] == "Acme Corp"
    assert org["sso_url"] == body["sso_url"] and org["created_at"].endswith("Z")
    [person] = now["users"]
    assert person["organization_id"] == org["id"]
    assert (person["email"], person["given_name"], person["family_name"]) == (
        "janeext-1@acme.example",
        "Jane",
        "Doe ext-1",
    )
    [ent] = now["entitlements"]
    assert ent["organization_id"] == org["id"] and ent["external_id"] == "ext-1"
    assert (ent["plan_id"], ent["product_id"], ent["partner"]) == (
        "confluent-cloud-payg-prod",
        "confluent-cloud-kafka-service-azure",
        partner_label("emulator-key"),  # a label, never the API key itself
    )


def test_optional_entitlement_fields_are_kept(server: EmulatorServer, client: httpx.Client) -> None:
    body = signup_body("ext-opt")
    body["entitlement"].update(usage_reporting_id="usage-1", resource_id="res-1", organization={"id": "x"})
    assert_signup_response(client.post(SIGNUP, json=body))
    [ent] = state(server)["entitlements"]
    assert (ent["usage_reporting_id"], ent["resource_id"]) == ("usage-1", "res-1")


def test_signup_without_user_then_activate_then_conflict(
    server: EmulatorServer, client: httpx.Client
) -> None:
    created = assert_signup_response(client.post(SIGNUP, json=signup_body("ext-2", with_user=False)))
    assert "activate" in created["display_message"]
    assert state(server)["users"] == []
    org_id = created["organization_id"]

    activated = assert_signup_response(
        client.post(ACTIVATE, json={"user": user(7), "organization_id": org_id})
    )
    assert (activated["organization_id"], activated["sso_url"]) == (org_id, created["sso_url"])
    [person] = state(server)["users"]
    assert person["organization_id"] == org_id and person["email"] == "jane7@acme.example"

    again = client.post(ACTIVATE, json={"user": user(8), "organization_id": org_id})
    assert again.status_code == 409
    [problem] = errors(again)
    assert problem["code"] == "resource_already_exists"
    assert problem["detail"] == f"The signup of organization '{org_id}' is already complete"
    assert len(state(server)["users"]) == 1


def test_signup_with_user_cannot_be_activated_again(client: httpx.Client) -> None:
    org_id = client.post(SIGNUP, json=signup_body("ext-3")).json()["organization_id"]
    assert client.post(ACTIVATE, json={"user": user(), "organization_id": org_id}).status_code == 409


def test_activate_unknown_organization_is_400_with_pointer(
    server: EmulatorServer, client: httpx.Client
) -> None:
    answer = client.post(ACTIVATE, json={"user": user(), "organization_id": str(uuid.uuid4())})
    assert answer.status_code == 400
    [problem] = errors(answer)
    assert problem["source"] == {"pointer": "/organization_id"}
    assert "does not exist" in problem["detail"]
    assert state(server)["users"] == []


@pytest.mark.parametrize("path", [SIGNUP, LINK])
def test_dry_run_validates_and_persists_nothing(
    server: EmulatorServer, client: httpx.Client, path: str
) -> None:
    org_id = client.post(SIGNUP, json=signup_body("existing")).json()["organization_id"]
    before = state(server)
    body = signup_body("dry-1")
    if path == LINK:
        body = {
            "token": link_token(server, org_id),
            "organization": organization(),
            "entitlement": entitlement("dry-1"),
        }
    answer = assert_signup_response(client.post(path, params={"dry_run": "true"}, json=body))
    assert answer["display_message"].startswith("Dry run")
    assert state(server) == before
    # A dry run still finds what the real request would conflict with...
    dup = dict(body, entitlement=entitlement("existing"))
    assert client.post(path, params={"dry_run": "true"}, json=dup).status_code == 409
    # ...and dry_run=false is a real request.
    assert_signup_response(client.post(path, params={"dry_run": "false"}, json=body))
    assert len(state(server)["entitlements"]) == 2


@pytest.mark.parametrize(
    "query", ["dry_run=yes", "dry_run=", "dry_run=1", "dry_run=TRUE", "dry_run=true&dry_run=true"]
)
def test_dry_run_must_be_true_or_false(server: EmulatorServer, client: httpx.Client, query: str) -> None:
    answer = client.post(f"{SIGNUP}?{query}", json=signup_body("q"))
    assert answer.status_code == 400
    [problem] = errors(answer)
    assert problem["source"] == {"parameter": "dry_run"}
    assert counts(server) == (0, 0, 0)


def test_unknown_query_parameters_are_ignored(client: httpx.Client) -> None:
    assert_signup_response(client.post(SIGNUP, params={"verbose": "1"}, json=signup_body("q2")))


def test_duplicate_external_id_is_409_with_location_and_creates_nothing(
    server: EmulatorServer, client: httpx.Client
) -> None:
    first = client.post(SIGNUP, json=signup_body("dup-1")).json()
    before = state(server)
    again = client.post(SIGNUP, json=signup_body("dup-1", name="Other name"))
    assert again.status_code == 409
    [problem] = errors(again)
    assert problem["code"] == "resource_already_exists" and "dup-1" in problem["detail"]
    [ent] = before["entitlements"]
    assert again.headers["location"] == f"{server.url}/partner/v2/entitlements/{ent['id']}"
    assert state(server) == before

    found = client.get(again.headers["location"])
    assert found.status_code == 200 and found.headers["content-type"] == "application/json"
    shown = found.json()
    assert shown["id"] == ent["id"] and shown["external_id"] == "dup-1" and shown["kind"] == "Entitlement"
    assert shown["organization"]["id"] == first["organization_id"]
    assert shown["organization"]["related"].endswith(first["organization_id"])
    assert (
        shown["organization"]["resource_name"]
        == f"crn://confluent.cloud/organization={first['organization_id']}"
    )
    assert shown["metadata"]["self"] == again.headers["location"]


def test_unknown_entitlement_is_404_failure(client: httpx.Client) -> None:
    answer = client.get("/partner/v2/entitlements/nope")
    assert answer.status_code == 404
    assert errors(answer)[0]["code"] == "not_found"


def test_get_entitlement_needs_credentials(server: EmulatorServer) -> None:
    assert httpx.get(f"{server.url}/partner/v2/entitlements/x").status_code == 401


def test_link_adds_an_entitlement_with_an_issued_token(server: EmulatorServer, client: httpx.Client) -> None:
    created = client.post(SIGNUP, json=signup_body("base")).json()
    token = link_token(server, created["organization_id"])
    body = {
        "token": token,
        "organization": {"sso_config": organization()["sso_config"]},
        "entitlement": entitlement("more"),
    }
    linked = assert_signup_response(client.post(LINK, json=body))
    assert (linked["organization_id"], linked["sso_url"]) == (created["organization_id"], created["sso_url"])
    now = state(server)
    assert len(now["organizations"]) == 1
    assert {e["external_id"]: e["organization_id"] for e in now["entitlements"]} == {
        "base": created["organization_id"],
        "more": created["organization_id"],
    }
    # A re-run is refused, pointing at what exists; the token stays valid.
    again = client.post(LINK, json=body)
    assert again.status_code == 409 and again.headers["location"].startswith(server.url)
    assert token not in again.text


def test_link_with_an_unknown_token_is_400_and_never_echoes_it(
    server: EmulatorServer, client: httpx.Client
) -> None:
    secret_token = "eyJhbGciOiJIUzI1NiJ9.not-issued-here.c2ln"
    answer = client.post(
        LINK, json={"token": secret_token, "organization": organization(), "entitlement": entitlement()}
    )
    assert answer.status_code == 400
    [problem] = errors(answer)
    assert problem["source"] == {"pointer": "/token"}
    assert secret_token not in answer.text
    assert secret_token not in json.dumps(logged(server)) + json.dumps(state(server))


def test_link_token_for_unknown_organization_is_refused(server: EmulatorServer) -> None:
    answer = httpx.post(f"{server.url}/_emulator/link-tokens", json={"organization_id": "nope"}, auth=AUTH)
    assert answer.status_code == 400
    assert httpx.post(f"{server.url}/_emulator/link-tokens", json={}, auth=AUTH).status_code == 400


def test_signup_with_an_entitlement_reference(server: EmulatorServer, client: httpx.Client) -> None:
    made = client.post("/partner/v2/entitlements", json=entitlement("marketplace-1"))
    assert made.status_code == 201
    location = made.headers["location"]
    assert made.json()["id"] and "organization" not in made.json()

    body = {"organization": organization(), "entitlement": {"related": location}}
    created = assert_signup_response(client.post(SIGNUP, json=body))
    [ent] = state(server)["entitlements"]
    assert ent["organization_id"] == created["organization_id"]
    assert client.get(location).json()["organization"]["id"] == created["organization_id"]

    # Linked already: a second signup with it is a conflict, and creates no organization.
    again = client.post(SIGNUP, json=body)
    assert again.status_code == 409 and again.headers["location"] == location
    assert len(state(server)["organizations"]) == 1


@pytest.mark.parametrize(
    ("reference", "pointer"),
    [
        ({"related": "http://127.0.0.1/partner/v2/entitlements/unknown"}, "/entitlement/related"),
        ({"related": "https://example.com/not/an/entitlement"}, "/entitlement/related"),
        ({"related": "http://x/partner/v2/entitlements/a", "id": "b"}, "/entitlement/id"),
    ],
)
def test_bad_entitlement_references_are_400(
    server: EmulatorServer, client: httpx.Client, reference: dict[str, str], pointer: str
) -> None:
    answer = client.post(SIGNUP, json={"organization": organization(), "entitlement": reference})
    assert answer.status_code == 400
    assert errors(answer)[0]["source"] == {"pointer": pointer}
    assert counts(server) == (0, 0, 0)


def test_duplicate_entitlement_creation_is_409(client: httpx.Client) -> None:
    first = client.post("/partner/v2/entitlements", json=entitlement("m-2"))
    again = client.post("/partner/v2/entitlements", json=entitlement("m-2"))
    assert again.status_code == 409 and again.headers["location"] == first.headers["location"]


# --- validation ---------------------------------------------------------------------------------


def details(answer: httpx.Response) -> dict[str, str]:
    """pointer -> detail of each error of a 400 answer."""
    assert answer.status_code == 400, answer.text
    found = {}
    for item in errors(answer):
        assert item["code"] == "invalid_input"
        found[item["source"]["pointer"]] = item["detail"]
    return found


def test_one_error_per_violation_with_path_and_pointer(server: EmulatorServer, client: httpx.Client) -> None:
    body = signup_body("v-1")
    del body["entitlement"]["plan_id"]
    body["organization"]["name"] = "bad<name>"
    body["user"]["email"] = 42
    body["extra"] = True
    found = details(client.post(SIGNUP, json=body))
    assert found["/entitlement/plan_id"] == "entitlement.plan_id: required property"
    assert found["/organization/name"].startswith("organization.name: ")
    assert found["/user/email"].startswith("user.email: ")
    assert found["/extra"].startswith("extra: ")
    assert len(found) == 4
    assert counts(server) == (0, 0, 0)


@pytest.mark.parametrize(
    ("where", "field", "value"),
    [
        ("organization", "id", "dlz-f3a90de"),
        ("organization", "sso_url", "https://confluent.cloud/login/sso/x"),
        ("organization", "api_version", "partner/v2"),
        ("organization", "metadata", {"self": "https://x"}),
        ("entitlement", "id", "e-1"),
        ("entitlement", "kind", "Entitlement"),
    ],
)
def test_read_only_fields_are_refused(client: httpx.Client, where: str, field: str, value: Any) -> None:
    body = signup_body("ro")
    body[where][field] = value
    found = details(client.post(SIGNUP, json=body))
    assert f"/{where}/{field}" in found
    assert "read-only" in found[f"/{where}/{field}"]


def test_required_top_level_fields(client: httpx.Client) -> None:
    assert set(details(client.post(SIGNUP, json={}))) == {"/organization", "/entitlement"}
    assert set(details(client.post(ACTIVATE, json={}))) == {"/user", "/organization_id"}
    assert set(details(client.post(LINK, json={}))) == {"/token", "/organization", "/entitlement"}


@pytest.mark.parametrize(
    ("content", "content_type", "code"),
    [
        (b"{", "application/json", "invalid_json"),
        (b"", "application/json", "invalid_json"),
        (b'{"a": NaN}', "application/json", "invalid_json"),
        (b"\xff\xfe{}", "application/json", "invalid_json"),
        (b"[" * 100 + b"]" * 100, "application/json", "invalid_json"),
        (b'{"organization": {"name": "\\ud800"}}', "application/json", "invalid_json"),
        (b"{}", "text/plain", "invalid_content_type"),
        (b"{}", "", "invalid_content_type"),
    ],
)
def test_unreadable_bodies_are_400(
    server: EmulatorServer, client: httpx.Client, content: bytes, content_type: str, code: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    answer = client.post(SIGNUP, content=content, headers=headers)
    assert answer.status_code == 400
    assert [e["code"] for e in errors(answer)] == [code]
    assert counts(server) == (0, 0, 0)


@pytest.mark.parametrize("value", [[], "text", 1, None, True])
def test_a_body_that_is_not_an_object_is_400(client: httpx.Client, value: Any) -> None:
    answer = client.post(SIGNUP, content=json.dumps(value), headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert errors(answer)[0]["source"] == {"pointer": ""}


def test_content_type_parameters_are_accepted(client: httpx.Client) -> None:
    answer = client.post(
        SIGNUP,
        content=json.dumps(signup_body("ct")),
        headers={"content-type": "Application/JSON; charset=utf-8"},
    )
    assert_signup_response(answer)


# --- routes and methods -------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SIGNUP, ACTIVATE, LINK])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "FROB"])
def test_other_methods_are_405_with_allow(client: httpx.Client, path: str, method: str) -> None:
    answer = client.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == "POST"
    assert errors(answer)[0]["code"] == "method_not_allowed"


def test_head_is_405_without_a_body(client: httpx.Client) -> None:
    answer = client.head(SIGNUP)
    assert answer.status_code == 405 and answer.headers["allow"] == "POST" and answer.content == b""
    # The connection stays usable: no stray body bytes were sent after the headers.
    assert client.post(SIGNUP, json=signup_body("after-head")).status_code == 201


def test_unknown_paths_are_404_json(client: httpx.Client) -> None:
    for path in (
        "/",
        "/partner/v2/signup/",
        "/partner/v2/signups",
        "/partner/v2/entitlements/a/b",
        "/_emulator/x",
    ):
        answer = client.post(path, json={})
        assert answer.status_code == 404, path
        assert errors(answer)[0]["code"] == "not_found"


def test_every_answer_has_its_own_request_id(client: httpx.Client) -> None:
    answers = [
        client.post(SIGNUP, json=signup_body("rid")),
        client.post(SIGNUP, json=signup_body("rid")),
        client.post(SIGNUP, json={}),
        client.get(SIGNUP),
        client.get("/nowhere"),
        client.get("/_emulator/state"),
    ]
    ids = [a.headers["x-request-id"] for a in answers]
    assert all(UUID4.match(i) for i in ids) and len(set(ids)) == len(ids)


def test_request_log_lists_api_requests_only(server: EmulatorServer, client: httpx.Client) -> None:
    assert logged(server) == {"total": 0, "requests": []}
    client.post(SIGNUP, json=signup_body("log"))
    client.post(SIGNUP, json=signup_body("log"))
    client.get("/_emulator/state")
    log = logged(server)
    assert log["total"] == 2
    assert [(r["method"], r["path"], r["status"]) for r in log["requests"]] == [
        ("POST", SIGNUP, 201),
        ("POST", SIGNUP, 409),
    ]
    assert all(r["at"].endswith("Z") and UUID4.match(r["request_id"]) for r in log["requests"])


def test_admin_routes_refuse_other_methods(server: EmulatorServer) -> None:
    answer = httpx.post(f"{server.url}/_emulator/state", auth=AUTH)
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"


def test_a_body_over_the_limit_is_413(server: EmulatorServer, client: httpx.Client) -> None:
    answer = client.post(
        SIGNUP, content=b"x" * (2 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 413
    assert errors(answer)[0]["code"] == "request_too_large"
    assert counts(server) == (0, 0, 0)
    assert [(r["method"], r["path"], r["status"]) for r in logged(server)["requests"]] == [
        ("POST", SIGNUP, 413)
    ]


def test_shutdown_route_stops_an_in_process_server(server: EmulatorServer) -> None:
    assert httpx.post(f"{server.url}/_emulator/shutdown", auth=AUTH).status_code == 200
    assert server.wait(timeout=5)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{server.url}/_emulator/state", auth=AUTH, timeout=1)
        except httpx.TransportError:
            return
        time.sleep(0.05)
    raise AssertionError("the emulator still answers after /_emulator/shutdown")
