"""SELECT and INSERT over `srv` (psql, psycopg on both protocols, pystackql): the same rows and types as a
simple query gives, each statement run once per execution."""

from __future__ import annotations

import json
import uuid

import pytest

from ..e2e import USER, Emulator, signup_sql
from .server_support import Server

ORGANIZATIONS = "confluent.partner.organizations"
ENTITLEMENTS = "confluent.partner.entitlements"


@pytest.fixture(scope="module")
def customer(module_server: Server) -> tuple[str, str]:
    """A customer signed up over the server: its name and organization id."""
    tag = uuid.uuid4().hex[:8]
    name = f"Select {tag}"
    with module_server.connect() as conn:
        [row] = conn.execute(signup_sql(name, f"ext-{tag}", user=USER)).fetchall()
    return name, row[0]


def _gets(emulator: Emulator, path: str) -> int:
    return len([r for r in emulator.requests() if r["method"] == "GET" and r["path"] == path])


@pytest.mark.usefixtures("needs_psql")
def test_select_from_psql(module_server: Server, customer: tuple[str, str]) -> None:
    name, organization_id = customer

    shown = module_server.psql(
        "-w", "-A", "-F", "|", "-c", f"SELECT name, id FROM {ORGANIZATIONS} WHERE id = '{organization_id}'"
    )

    assert shown.status == 0, shown.explain()
    assert shown.stdout.splitlines()[:2] == ["name|id", f"{name}|{organization_id}"]


def test_a_prepared_select_runs_once_per_execution_with_the_same_types(
    module_server: Server, module_emulator: Emulator, customer: tuple[str, str]
) -> None:
    name, _ = customer
    query = f"SELECT name, count(*) AS n FROM {ORGANIZATIONS} GROUP BY name ORDER BY name"
    before = _gets(module_emulator, "/partner/v2/organizations")
    seen = []
    with module_server.connect(prepare_threshold=2) as conn:
        for _ in range(5):  # simple protocol twice, then prepared: Parse once, Bind/Describe/Execute
            cur = conn.execute(query)
            seen.append(([(c.name, c.type_code) for c in cur.description or []], cur.fetchall()))
    assert all(s == seen[0] for s in seen)
    columns, rows = seen[0]
    assert columns == [("name", 25), ("n", 20)]  # text and bigint, whichever protocol
    assert (name, 1) in rows
    assert _gets(module_emulator, "/partner/v2/organizations") == before + 5  # once each: no extra GET


def test_select_with_a_parameter_and_from_pystackql(module_server: Server, customer: tuple[str, str]) -> None:
    pystackql = pytest.importorskip("pystackql")
    name, organization_id = customer
    with module_server.connect() as conn:
        [row] = conn.execute(f"SELECT name FROM {ORGANIZATIONS} WHERE id = %s", [organization_id]).fetchall()
    assert row == (name,)
    stackql = pystackql.StackQL(
        server_mode=True, server_address=module_server.host, server_port=module_server.port
    )
    rows = stackql.execute(f"SELECT id, name FROM {ORGANIZATIONS} WHERE id = '{organization_id}'")
    assert rows == [{"id": organization_id, "name": name}]


@pytest.mark.parametrize("prepare", [False, True])
def test_insert_returning_on_both_protocols(
    module_server: Server, module_emulator: Emulator, customer: tuple[str, str], prepare: bool
) -> None:
    _, organization_id = customer
    external_id = f"ins-{uuid.uuid4().hex[:8]}"
    insert = (
        f"INSERT INTO {ENTITLEMENTS} (external_id, name, plan_id, product_id, organization) VALUES "
        f"('{external_id}', 'More', 'confluent-cloud-payg-prod', 'confluent-cloud-kafka-service-azure', "
        f"'{json.dumps({'id': organization_id})}') RETURNING external_id, organization"
    )
    with module_server.connect() as conn:
        cur = conn.execute(insert, prepare=prepare)
        assert cur.statusmessage == "INSERT 0 1"
        assert [(c.name, c.type_code) for c in cur.description or []] == [
            ("external_id", 25),
            ("organization", 114),
        ]
        [(shown_id, organization)] = cur.fetchall()
    assert shown_id == external_id and organization["id"] == organization_id
    made = [e for e in module_emulator.state()["entitlements"] if e["external_id"] == external_id]
    assert len(made) == 1


@pytest.mark.parametrize("prepare", [False, True])
def test_an_insert_without_returning_counts_its_rows(
    module_server: Server, module_emulator: Emulator, customer: tuple[str, str], prepare: bool
) -> None:
    _, organization_id = customer
    ids = [f"two-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    values = ", ".join(
        f"('{i}', 'Two', 'confluent-cloud-payg-prod', 'confluent-cloud-kafka-service-azure', "
        f"'{json.dumps({'id': organization_id})}')"
        for i in ids
    )
    insert = (
        f"INSERT INTO {ENTITLEMENTS} (external_id, name, plan_id, product_id, organization) VALUES {values}"
    )
    with module_server.connect() as conn:
        cur = conn.execute(insert, prepare=prepare)
        assert (cur.statusmessage, cur.rowcount, cur.description) == ("INSERT 0 2", 2, None)
    made = [e["external_id"] for e in module_emulator.state()["entitlements"] if e["external_id"] in ids]
    assert sorted(made) == sorted(ids)
