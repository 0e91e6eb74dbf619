"""Helpers of the query suite: the seeded world (30 customers, 5 with a second entitlement) and its view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from stackql_signups.emulator import DEFAULT_API_KEY, DEFAULT_API_SECRET, EmulatorServer

AUTH = (DEFAULT_API_KEY, DEFAULT_API_SECRET)
PLAN = "confluent-cloud-payg-prod"
PRODUCT = "confluent-cloud-kafka-service-azure"


@dataclass(frozen=True)
class World:
    """The running emulator and what it holds, read back from its admin state."""

    url: str
    organizations: list[dict[str, Any]]
    entitlements: list[dict[str, Any]]

    def requests(self) -> list[dict[str, Any]]:
        logged: list[dict[str, Any]] = httpx.get(f"{self.url}/_emulator/requests", timeout=10).json()[
            "requests"
        ]
        return logged


def signup(client: httpx.Client, number: int) -> str:
    body = {
        "organization": {
            "name": f"Customer {number:02d}",
            "sso_config": {"kind": "AzureSSOConfig", "tenant_id": f"tenant-{number}"},
        },
        "entitlement": {
            "external_id": f"ext-{number:02d}",
            "name": f"Ent {number}",
            "plan_id": PLAN,
            "product_id": PRODUCT,
        },
    }
    answer = client.post("/partner/v2/signup", json=body)
    assert answer.status_code == 201, answer.text
    organization_id: str = answer.json()["organization_id"]
    return organization_id


def seed(server: EmulatorServer) -> None:
    with httpx.Client(base_url=server.url, auth=AUTH, timeout=10) as client:
        ids = [signup(client, n) for n in range(30, 0, -1)]  # created in reverse name order
        for n, organization_id in enumerate(ids[:5]):
            second = {
                "external_id": f"second-{n}",
                "name": "Second",
                "plan_id": PLAN,
                "product_id": PRODUCT,
                "organization": {"id": organization_id},
            }
            assert client.post("/partner/v2/entitlements", json=second).status_code == 201


def world_of(server: EmulatorServer) -> World:
    state = httpx.get(f"{server.url}/_emulator/state", timeout=10).json()
    return World(server.url, state["organizations"], state["entitlements"])
