"""INSERT INTO entitlements as the docs print it, and SELECT rows through the Python API."""

from __future__ import annotations

import json
from typing import Any

import pytest

import stackql_signups

from .query_support import PLAN, PRODUCT, World

ENTS = "confluent.partner.entitlements"
DOCS_INSERT = """
INSERT INTO confluent.partner.entitlements (
external_id,
name,
plan_id,
product_id,
usage_reporting_id,
resource_id,
organization
)
SELECT
'{{ external_id }}' /* required */,
'{{ name }}' /* required */,
'{{ plan_id }}' /* required */,
'{{ product_id }}' /* required */,
'{{ usage_reporting_id }}',
'{{ resource_id }}',
'{{ organization }}'
RETURNING
id,
name,
external_id,
organization
;
"""


def data(organization_id: str, external_id: str = "docs-1") -> dict[str, Any]:
    return {
        "external_id": external_id,
        "name": "Docs Entitlement",
        "plan_id": PLAN,
        "product_id": PRODUCT,
        "usage_reporting_id": "u-1",
        "resource_id": "r-1",
        "organization": {"id": organization_id},
    }


def test_the_docs_insert_creates_an_entitlement_the_next_select_shows(
    cli: Any, fresh: World, tmp_path: Any
) -> None:
    organization_id = fresh.organizations[0]["id"]
    (tmp_path / "insert.iql").write_text(DOCS_INSERT)
    (tmp_path / "vars.json").write_text(json.dumps(data(organization_id)))
    done = cli.run(
        "exec", "-i", str(tmp_path / "insert.iql"), "-q", str(tmp_path / "vars.json"),
        "--endpoint", fresh.url, "-o", "json",
    )  # fmt: skip
    assert done.status == 0, done.explain()
    [[created]] = [json.loads(line) for line in done.stdout.splitlines()]
    assert list(created) == ["id", "name", "external_id", "organization"]
    assert created["external_id"] == "docs-1"
    assert created["organization"]["id"] == organization_id  # an object, nested in json output
    listed = cli.run(
        "exec",
        f"SELECT id, usage_reporting_id FROM {ENTS} WHERE organization.id = '{organization_id}'"
        " AND external_id = 'docs-1'",
        "--endpoint", fresh.url, "-o", "json",
    )  # fmt: skip
    assert json.loads(listed.stdout) == [{"id": created["id"], "usage_reporting_id": "u-1"}]


def test_values_with_several_rows_are_several_requests_and_a_duplicate_is_409(cli: Any, fresh: World) -> None:
    organization_id = fresh.organizations[1]["id"]
    org = json.dumps({"id": organization_id}).replace("'", "''")
    sql = (
        f"INSERT INTO {ENTS} (external_id, name, plan_id, product_id, organization) VALUES"
        f" ('v-1', 'One', '{PLAN}', '{PRODUCT}', '{org}'), ('v-2', 'Two', '{PLAN}', '{PRODUCT}', '{org}')"
    )
    done = cli.run("exec", sql, "--endpoint", fresh.url)
    assert done.status == 0, done.explain()
    assert done.stdout == ""  # no RETURNING: nothing on stdout, as StackQL
    posts = [r for r in fresh.requests() if r["method"] == "POST" and r["path"] == "/partner/v2/entitlements"]
    assert [r["status"] for r in posts[-2:]] == [201, 201]
    again = cli.run("exec", sql, "--endpoint", fresh.url)
    assert again.status == 1
    assert "409" in again.stderr and "v-1" in again.stderr
    assert "--on-conflict existing" in again.stderr or "already exists" in again.stderr
    # A re-run that accepts what is there: both rows are the existing entitlements, nothing new is created.
    rerun = cli.run(
        "exec", sql + " RETURNING id, external_id",
        "--endpoint", fresh.url, "--on-conflict", "existing", "-o", "json",
    )  # fmt: skip
    assert rerun.status == 0, rerun.explain()
    rows = [row for line in rerun.stdout.splitlines() for row in json.loads(line)]
    assert [r["external_id"] for r in rows] == ["v-1", "v-2"]
    created = [
        r for r in fresh.requests()
        if r["method"] == "POST" and r["path"] == "/partner/v2/entitlements" and r["status"] == 201
    ]  # fmt: skip
    assert len(created) == len([r for r in posts if r["status"] == 201])  # nothing new since the first run
    listed = cli.run(
        "exec", f"SELECT id, external_id FROM {ENTS} WHERE organization.id = '{organization_id}'"
        " AND external_id IN ('v-1', 'v-2') ORDER BY external_id",
        "--endpoint", fresh.url, "-o", "json",
    )  # fmt: skip
    assert json.loads(listed.stdout) == [{"id": r["id"], "external_id": r["external_id"]} for r in rows]


@pytest.mark.parametrize(
    ("sql", "said"),
    [
        (f"INSERT INTO {ENTS} (external_id, name) SELECT 'a', 'b'", "plan_id"),
        (f"INSERT INTO {ENTS} (external_id, nam) SELECT 'a', 'b'", "unknown column 'nam'"),
        (
            f"INSERT INTO {ENTS} (external_id, name, plan_id, product_id, organization)"
            f" SELECT 'a', 'b', '{PLAN}', '{PRODUCT}', '{{not json'",
            "must be JSON text",
        ),
        (f"INSERT INTO {ENTS} (external_id, name) SELECT 'a'", "2 columns but gives 1"),
        ("INSERT INTO confluent.partner.organizations (name) SELECT 'a'", "INSERT not supported"),
        (
            f"INSERT INTO {ENTS} (external_id, name, plan_id, product_id)"
            f" SELECT 'a', 'b', '{PLAN}', '{PRODUCT}' RETURNING nope",
            "unknown column 'nope'",
        ),
    ],
)
def test_bad_inserts_exit_2_and_send_nothing(cli: Any, world: World, sql: str, said: str) -> None:
    before = len(world.requests())
    done = cli.run("exec", sql, "--endpoint", world.url)
    assert done.status == 2, done.explain()
    assert said in done.stderr and "Traceback" not in done.stderr
    assert len(world.requests()) == before


def test_python_api_returns_select_rows_as_dicts(world: World) -> None:
    with stackql_signups.connect(endpoint=world.url) as db:
        rows = db.execute(
            "SELECT name, sso_config FROM confluent.partner.organizations ORDER BY name LIMIT 2"
        )
        assert rows == [
            {"name": "Customer 01", "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "tenant-1"}},
            {"name": "Customer 02", "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "tenant-2"}},
        ]
        assert db.execute(f"SELECT count(*) AS n FROM {ENTS}") == [{"n": 35}]
        with pytest.raises(stackql_signups.BindError, match="unknown column 'nope'"):
            db.execute(f"SELECT nope FROM {ENTS}")


def test_python_api_insert_then_select_in_one_script(fresh: World) -> None:
    organization_id = fresh.organizations[10]["id"]  # one without a second entitlement
    script = DOCS_INSERT + f"SELECT count(*) AS n FROM {ENTS} WHERE organization.id = '{organization_id}';"
    with stackql_signups.connect(endpoint=fresh.url) as db:
        rows = db.execute(script, vars=data(organization_id, "api-1"))
    assert rows[0]["external_id"] == "api-1"
    assert rows[1] == {"n": 2}  # the signup's entitlement and the new one: the SELECT ran after the INSERT


def test_a_select_run_again_in_a_session_reads_the_rows_again(fresh: World) -> None:
    organization_id = fresh.organizations[10]["id"]
    count = f"SELECT count(*) AS n FROM partner.entitlements WHERE organization.id = '{organization_id}'"
    with stackql_signups.connect(endpoint=fresh.url) as db:
        with pytest.raises(stackql_signups.BindError):
            db.execute(count)  # no provider named and none chosen by USE
        db.execute("USE confluent")
        assert db.execute(count) == [{"n": 1}]
        db.execute(DOCS_INSERT, vars=data(organization_id, "again-1"))
        assert db.execute(count) == [{"n": 2}]  # planned once, fetched each time


async def _async_count(url: str) -> list[dict[str, Any]]:
    async with stackql_signups.connect_async(endpoint=url) as db:
        return await db.execute(f"SELECT count(*) AS n FROM {ENTS} WHERE page_size = 10")


def test_async_api_selects_too(world: World) -> None:
    import asyncio

    assert asyncio.run(_async_count(world.url)) == [{"n": 35}]


@pytest.mark.parametrize("on_error", ["stop", "continue"])
def test_a_select_after_a_failed_statement_follows_on_error(cli: Any, world: World, on_error: str) -> None:
    duplicate = (
        f"INSERT INTO {ENTS} (external_id, name, plan_id, product_id)"
        f" SELECT 'ext-01', 'Dup', '{PLAN}', '{PRODUCT}';"
    )
    done = cli.run(
        "exec",
        duplicate + f" SELECT count(*) AS n FROM {ENTS};",
        "--endpoint",
        world.url,
        "--on-error",
        on_error,
        "-o",
        "json",
    )
    assert done.status == 1, done.explain()
    assert "409" in done.stderr
    if on_error == "stop":
        assert done.stdout.splitlines() == ["[]", "[]"]  # one array per statement, as for EXEC
        assert (
            "not sent" in done.stderr
            and "2 statements: 0 succeeded, 1 failed, 0 unknown, 1 not sent" in done.stderr
        )
    else:
        assert [json.loads(line) for line in done.stdout.splitlines()] == [[], [{"n": 35}]]


def test_on_conflict_existing_returns_the_existing_entitlement(cli: Any, world: World) -> None:
    existing = next(e for e in world.entitlements if e["external_id"] == "ext-02")
    sql = (
        f"INSERT INTO {ENTS} (external_id, name, plan_id, product_id)"
        f" SELECT 'ext-02', 'Again', '{PLAN}', '{PRODUCT}' RETURNING id, name, organization->>'$.id' AS org"
    )
    before = len(world.requests())
    done = cli.run("exec", sql, "--endpoint", world.url, "--on-conflict", "existing", "-o", "json")
    assert done.status == 0, done.explain()
    assert json.loads(done.stdout) == [
        {"id": existing["id"], "name": existing["name"], "org": org_of(existing)}
    ]
    assert "already there, nothing new was created" in done.stderr
    assert [r["status"] for r in world.requests()[before:]] == [
        409,
        200,
    ]  # the POST, then the GET of Location


def org_of(entitlement: dict[str, Any]) -> Any:
    return entitlement["organization_id"]
