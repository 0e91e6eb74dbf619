"""SELECT through the installed CLI against the emulator: rows, requests on the wire, SQL, errors, formats."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

import pytest

from .query_support import World

ORGS = "confluent.partner.organizations"
ENTS = "confluent.partner.entitlements"


def run(cli: Any, world: World, sql: str, *flags: str) -> Any:
    return cli.run("exec", sql, "--endpoint", world.url, *flags)


def rows(cli: Any, world: World, sql: str, *flags: str) -> list[dict[str, Any]]:
    done = run(cli, world, sql, "-o", "json", *flags)
    assert done.status == 0, done.explain()
    [result] = [json.loads(line) for line in done.stdout.splitlines()]
    assert isinstance(result, list)
    return result


def sent(done: Any) -> list[str]:
    """The request lines `-v` printed: `GET <url>`."""
    return [line[2:].split(" (")[0] for line in done.stderr.splitlines() if line.startswith("> ")]


def org_of(entitlement: dict[str, Any]) -> str | None:
    value = entitlement["organization_id"]
    return value if isinstance(value, str) else None


# --- the acceptance queries ------------------------------------------------------------------------


def test_all_organizations_across_pages_sorted_by_name(cli: Any, world: World) -> None:
    found = rows(cli, world, f"SELECT name, sso_url FROM {ORGS} ORDER BY name")
    expected = sorted((o["name"], o["sso_url"]) for o in world.organizations)
    assert [(r["name"], r["sso_url"]) for r in found] == expected
    assert len(found) == 30


def test_a_named_page_size_is_followed_page_by_page(cli: Any, world: World) -> None:
    done = run(cli, world, f"SELECT name FROM {ORGS} WHERE page_size = 7", "-o", "csv", "-H", "-v")
    assert done.status == 0, done.explain()
    assert sorted(done.stdout.splitlines()) == sorted(o["name"] for o in world.organizations)
    lines = sent(done)
    assert len(lines) == 5  # 30 rows, 7 a page
    assert all("page_size=7" in line for line in lines)
    assert "page_token=" not in lines[0] and all("page_token=" in line for line in lines[1:])


def test_the_largest_page_size_is_asked_for_when_none_is_named(cli: Any, world: World) -> None:
    done = run(cli, world, f"SELECT count(*) AS n FROM {ORGS}", "-o", "json", "-v")
    assert done.status == 0, done.explain()
    assert json.loads(done.stdout) == [{"n": 30}]
    assert sent(done) == [f"GET {world.url}/partner/v2/organizations?page_size=100"]
    quiet = run(cli, world, f"SELECT count(*) AS n FROM {ORGS}")
    assert quiet.stderr == ""  # as StackQL: a SELECT that worked says nothing on stderr


def test_count_of_one_organizations_entitlements_pushes_the_dotted_parameter(cli: Any, world: World) -> None:
    counts = Counter(org_of(e) for e in world.entitlements)
    organization_id = next(o for o, n in counts.items() if n == 2)
    sql = f"SELECT count(*) FROM {ENTS} WHERE organization.id = '{organization_id}' -- required"
    done = run(cli, world, sql, "-o", "json", "-v")
    assert done.status == 0, done.explain()
    assert json.loads(done.stdout) == [{"count(*)": 2}]
    [line] = sent(done)
    assert f"organization.id={organization_id}" in line


def test_result_columns_are_named_as_written_even_without_rows(cli: Any, world: World) -> None:
    sql = f"SELECT COUNT(*), Max(name), name AS n FROM {ORGS} WHERE name = 'nobody'"
    assert rows(cli, world, sql) == [{"COUNT(*)": 0, "Max(name)": None, "n": None}]
    done = run(cli, world, f"SELECT id, upper(name) FROM {ORGS} WHERE name = 'nobody'", "-o", "csv")
    assert done.stdout == "id,upper(name)\n"


def test_the_docs_list_query_with_empty_paging_values(cli: Any, world: World) -> None:
    # The provider docs' list template, filled in with no page size or token.
    sql = (
        f"SELECT id, name FROM {ORGS}\n"
        "WHERE page_size = '{{ page_size }}'\nAND page_token = '{{ page_token }}';"
    )
    done = cli.run(
        "exec", sql, "--var", "page_size=", "--var", "page_token=", "--endpoint", world.url, "-o", "json"
    )
    assert done.status == 0, done.explain()
    assert len(json.loads(done.stdout)) == 30


def test_join_lists_each_organization_with_its_external_ids(cli: Any, world: World) -> None:
    sql = (
        f"SELECT o.name, e.external_id FROM {ORGS} o JOIN {ENTS} e"
        " ON json_extract(e.organization, '$.id') = o.id ORDER BY o.name, e.external_id"
    )
    found = rows(cli, world, sql)
    names = {o["id"]: o["name"] for o in world.organizations}
    expected = sorted((names[org_of(e) or ""], e["external_id"]) for e in world.entitlements)
    assert [(r["name"], r["external_id"]) for r in found] == expected
    assert len(found) == 35


def test_where_id_selects_the_get_method(cli: Any, world: World) -> None:
    target = world.organizations[3]
    done = run(cli, world, f"SELECT id, name FROM {ORGS} WHERE id = '{target['id']}'", "-o", "json", "-v")
    assert done.status == 0, done.explain()
    assert json.loads(done.stdout) == [{"id": target["id"], "name": target["name"]}]
    assert sent(done) == [f"GET {world.url}/partner/v2/organizations/{target['id']}"]


def test_an_unknown_id_is_no_row_not_an_error(cli: Any, world: World) -> None:
    done = run(cli, world, f"SELECT id, name FROM {ORGS} WHERE id = 'nope'", "-o", "csv")
    assert done.status == 0, done.explain()
    assert done.stdout == "id,name\n"  # the columns, even without rows


def test_a_template_value_is_data_not_sql(cli: Any, world: World) -> None:
    # The quote is doubled by the renderer and the value is percent-encoded into the path: no row, not all.
    done = cli.run(
        "exec",
        f"SELECT name FROM {ORGS} WHERE id = '{{{{ id }}}}'",
        "--var",
        "id=x' OR '1'='1",
        "--endpoint",
        world.url,
        "-o",
        "json",
        "-v",
    )
    assert done.status == 0, done.explain()
    assert json.loads(done.stdout) == []
    assert sent(done) == [f"GET {world.url}/partner/v2/organizations/x%27%20OR%20%271%27%3D%271"]


# --- SQL over the rows -----------------------------------------------------------------------------


def test_sql_features_over_the_rows(cli: Any, world: World) -> None:
    by_org = Counter(org_of(e) for e in world.entitlements)
    names = sorted(o["name"] for o in world.organizations)
    checks: list[tuple[str, Any]] = [
        (f"SELECT DISTINCT plan_id FROM {ENTS}", [{"plan_id": "confluent-cloud-payg-prod"}]),
        (
            f"SELECT name FROM {ORGS} WHERE name LIKE 'Customer 0%' AND NOT name = 'Customer 01'"
            " ORDER BY name",
            [{"name": n} for n in names if n.startswith("Customer 0") and n != "Customer 01"],
        ),
        (
            f"SELECT name FROM {ORGS} WHERE name IN ('Customer 02', 'Customer 29', 'x') OR name IS NULL"
            " ORDER BY name DESC",
            [{"name": "Customer 29"}, {"name": "Customer 02"}],
        ),
        (
            f"SELECT name FROM {ORGS} WHERE name BETWEEN 'Customer 10' AND 'Customer 12' ORDER BY 1"
            " LIMIT 2 OFFSET 1",
            [{"name": "Customer 11"}, {"name": "Customer 12"}],
        ),
        (
            f"SELECT organization->>'$.id' AS org, count(*) AS n FROM {ENTS} GROUP BY org HAVING n > 1"
            " ORDER BY org",
            [{"org": o, "n": n} for o, n in sorted(by_org.items(), key=lambda x: str(x[0])) if n > 1],
        ),
        (
            f"WITH two AS (SELECT json_extract(organization, '$.id') AS org FROM {ENTS}"
            " GROUP BY 1 HAVING count(*) = 2)"
            f" SELECT count(*) AS n FROM {ORGS} WHERE id IN (SELECT org FROM two)",
            [{"n": 5}],
        ),
        (
            f"SELECT max(name) AS last, min(name) AS first, count(DISTINCT sso_url) AS urls FROM {ORGS}",
            [{"last": names[-1], "first": names[0], "urls": 30}],
        ),
        (
            f"SELECT e.organization.id AS org FROM {ENTS} e WHERE e.external_id = 'ext-07'",
            [{"org": org_of(next(e for e in world.entitlements if e["external_id"] == "ext-07"))}],
        ),
    ]
    ent = next(e for e in world.entitlements if e["external_id"] == "ext-07")
    checks += [
        # Object columns shown as they are, renamed, or read inside SQL all give the same values.
        (
            f"SELECT sso_config AS c, sso_config FROM {ORGS} WHERE name = 'Customer 05'",
            [
                {"c": {"kind": "AzureSSOConfig", "tenant_id": "tenant-5"}}
                | {"sso_config": {"kind": "AzureSSOConfig", "tenant_id": "tenant-5"}}
            ],
        ),
        (
            f"SELECT count(*) AS n FROM {ENTS}"
            " WHERE organization IS NOT NULL AND metadata ->> '$.self' LIKE 'http%'",
            [{"n": 35}],
        ),
        (
            f"SELECT organization FROM {ENTS} WHERE id = '{ent['id']}'",
            [
                {
                    "organization": {
                        "id": org_of(ent),
                        "related": f"{world.url}/partner/v2/organizations/{org_of(ent)}",
                        "resource_name": f"crn://confluent.cloud/organization={org_of(ent)}",
                    }
                }
            ],
        ),
    ]
    for sql, expected in checks:
        assert rows(cli, world, sql) == expected, sql


def test_object_columns_are_nested_json_in_json_and_json_text_in_csv(cli: Any, world: World) -> None:
    [row] = rows(cli, world, f"SELECT name, sso_config FROM {ORGS} WHERE name = 'Customer 05'")
    assert row["sso_config"] == {"kind": "AzureSSOConfig", "tenant_id": "tenant-5"}
    done = run(cli, world, f"SELECT sso_config FROM {ORGS} WHERE name = 'Customer 05'", "-o", "csv")
    [[header], [value]] = list(csv.reader(io.StringIO(done.stdout)))
    assert header == "sso_config" and json.loads(value) == row["sso_config"]


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "jsonl", "text"])
def test_every_output_format(cli: Any, world: World, fmt: str) -> None:
    done = run(cli, world, f"SELECT name, id FROM {ORGS} WHERE name = 'Customer 09'", "-o", fmt)
    assert done.status == 0, done.explain()
    target = next(o for o in world.organizations if o["name"] == "Customer 09")
    assert "Customer 09" in done.stdout and target["id"] in done.stdout
    if fmt == "jsonl":
        assert json.loads(done.stdout) == {"name": "Customer 09", "id": target["id"]}


# --- mistakes: exit 2, nothing sent ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        (f"SELECT nme FROM {ORGS}", "unknown column 'nme'"),
        (f"SELECT name FROM {ORGS} WHERE sso_ur = 'x'", "unknown column 'sso_ur'"),
        (f"SELECT frobnicate(name) FROM {ORGS}", "unknown function 'frobnicate'"),
    ],
)
def test_unknown_names_exit_2_listing_the_columns_and_send_nothing(
    cli: Any, world: World, sql: str, named: str
) -> None:
    before = len(world.requests())
    done = run(cli, world, sql)
    assert done.status == 2, done.explain()
    assert named in done.stderr
    assert (
        "columns: confluent.partner.organizations: api_version, kind, id, metadata, name, sso_url"
        in done.stderr
    )
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert len(world.requests()) == before


def test_select_on_signups_keeps_stackqls_message(cli: Any, world: World) -> None:
    done = run(cli, world, "SELECT * FROM confluent.partner.signups")
    assert done.status == 2
    assert "SELECT not supported for this resource, use SHOW METHODS" in done.stderr


def test_dryrun_shows_the_first_requests_and_sends_nothing(cli: Any, world: World) -> None:
    before = len(world.requests())
    sql = f"SELECT o.name FROM {ORGS} o JOIN {ENTS} e ON e.organization->>'$.id' = o.id WHERE e.page_size = 5"
    done = run(cli, world, sql, "--dryrun", "-o", "jsonl")
    assert done.status == 0, done.explain()
    assert [json.loads(line)["url"] for line in done.stdout.splitlines()] == [
        f"{world.url}/partner/v2/organizations?page_size=100",
        f"{world.url}/partner/v2/entitlements?page_size=5",
    ]
    assert len(world.requests()) == before


def test_a_failed_request_is_exit_1_with_the_apis_message(cli: Any, world: World) -> None:
    done = cli.run(
        "exec",
        f"SELECT name FROM {ORGS}",
        "--endpoint",
        world.url,
        env={"CONFLUENT_CLOUD_API_KEY": "wrong", "CONFLUENT_CLOUD_API_SECRET": "wrong-secret"},
    )
    assert done.status == 1, done.explain()
    assert "401" in done.stderr and "wrong-secret" not in done.stderr + done.stdout
