"""The read operations and entitlement creation: lists sorted and paginated, filters, gets, 404s, 409s."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from .emulator_support import SIGNUP, entitlement, signup_body

ORGS = "/partner/v2/organizations"
ENTS = "/partner/v2/entitlements"


def sign_up(client: httpx.Client, count: int) -> list[str]:
    ids = []
    for n in range(count):
        answer = client.post(SIGNUP, json=signup_body(f"ext-{n}", name=f"Org {n}"))
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["organization_id"])
    return ids


def every_page(client: httpx.Client, path: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """All rows, following metadata.next as a client would; and how many pages that took."""
    rows: list[dict[str, Any]] = []
    pages = 0
    url: str | None = path
    query: dict[str, Any] | None = params
    while url is not None:
        answer = client.get(url, params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows += body["data"]
        pages += 1
        url, query = body["metadata"].get("next"), None
    return rows, pages


def test_lists_are_paginated_in_creation_order_with_metadata(client: httpx.Client) -> None:
    ids = sign_up(client, 23)
    first = client.get(ORGS).json()
    assert first["kind"] == "OrganizationList" and first["api_version"] == "partner/v2"
    assert len(first["data"]) == 10  # the default page size
    assert first["metadata"]["total_size"] == 23
    assert first["metadata"]["first"].endswith(ORGS)
    token = parse_qs(urlsplit(first["metadata"]["next"]).query)["page_token"][0]
    assert not token.isdigit()  # opaque
    rows, pages = every_page(client, ORGS, page_size=7)
    assert pages == 4 and [r["id"] for r in rows] == ids
    assert {r["name"] for r in rows} == {f"Org {n}" for n in range(23)}
    assert all(r["sso_url"].endswith(r["id"]) and r["kind"] == "Organization" for r in rows)
    last = client.get(ORGS, params={"page_size": 100}).json()
    assert len(last["data"]) == 23 and "next" not in last["metadata"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"page_size": 101}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"page_token": "not-issued"}, "page_token"),
    ],
)
def test_bad_paging_parameters_are_400_naming_them(
    client: httpx.Client, params: dict[str, Any], parameter: str
) -> None:
    for path in (ORGS, ENTS):
        answer = client.get(path, params=params)
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["source"] == {"parameter": parameter}


def test_entitlements_are_filtered_by_organization(client: httpx.Client) -> None:
    ids = sign_up(client, 3)
    created = client.post(ENTS, json={**entitlement("second"), "organization": {"id": ids[1]}})
    assert created.status_code == 201
    assert created.headers["location"].endswith(f"{ENTS}/{created.json()['id']}")
    assert created.json()["organization"]["id"] == ids[1]
    rows, _ = every_page(client, ENTS, **{"organization.id": ids[1], "page_size": 1})
    assert [r["external_id"] for r in rows] == ["ext-1", "second"]
    everything, _ = every_page(client, ENTS)
    assert len(everything) == 4
    nobody = client.get(ENTS, params={"organization.id": "nobody"}).json()
    assert nobody["data"] == [] and nobody["metadata"]["total_size"] == 0


def test_get_by_id_and_404_in_the_failure_shape(client: httpx.Client) -> None:
    [organization_id] = sign_up(client, 1)
    organization = client.get(f"{ORGS}/{organization_id}").json()
    assert organization["id"] == organization_id and organization["name"] == "Org 0"
    assert organization["sso_config"]["kind"] == "AzureSSOConfig"
    [ent] = client.get(ENTS).json()["data"]
    assert client.get(f"{ENTS}/{ent['id']}").json() == ent
    assert client.get(f"{ENTS}/{ent['id']}", params={"organization.id": organization_id}).status_code == 200
    for path in (f"{ORGS}/missing", f"{ENTS}/missing", f"{ENTS}/{ent['id']}?organization.id=other"):
        answer = client.get(path)
        assert answer.status_code == 404
        [error] = answer.json()["errors"]
        assert error["status"] == "404" and error["title"] == "Not Found" and error["id"]


def test_create_entitlement_conflicts_and_unknown_organizations(client: httpx.Client) -> None:
    [organization_id] = sign_up(client, 1)
    duplicate = client.post(ENTS, json={**entitlement("ext-0"), "organization": {"id": organization_id}})
    assert duplicate.status_code == 409
    assert duplicate.headers["location"].startswith("http")
    unknown = client.post(ENTS, json={**entitlement("new"), "organization": {"id": "nobody"}})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["source"] == {"pointer": "/organization/id"}
    assert client.get(ENTS).json()["metadata"]["total_size"] == 1  # neither created anything


def test_reads_need_authentication_and_other_methods_are_405(client: httpx.Client, server: Any) -> None:
    assert httpx.get(f"{server.url}{ORGS}").status_code == 401
    answer = client.delete(ORGS)
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"
    answer = client.put(ENTS)
    assert answer.status_code == 405 and answer.headers["allow"] == "GET, POST"
