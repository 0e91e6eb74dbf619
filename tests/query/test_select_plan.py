"""Which requests a SELECT sends, as `plan()` (and `--dryrun`) show them: method choice and push-down."""

from __future__ import annotations

import pytest

import stackql_signups

BASE = "https://api.confluent.cloud/partner/v2"
ORGS = "confluent.partner.organizations"
ENTS = "confluent.partner.entitlements"


def urls(sql: str) -> list[str]:
    with stackql_signups.connect() as db:
        return [p["url"] for p in db.plan(sql)]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (f"SELECT * FROM {ORGS}", [f"{BASE}/organizations?page_size=100"]),
        (f"SELECT * FROM {ORGS} WHERE id = 'o-1'", [f"{BASE}/organizations/o-1"]),
        (f"SELECT * FROM {ORGS} WHERE 'o-1' = id AND name LIKE 'A%'", [f"{BASE}/organizations/o-1"]),
        # an id inside OR, or compared otherwise, is evaluated locally: the list is read
        (f"SELECT * FROM {ORGS} WHERE id = 'a' OR id = 'b'", [f"{BASE}/organizations?page_size=100"]),
        (f"SELECT * FROM {ORGS} WHERE id IN ('a')", [f"{BASE}/organizations?page_size=100"]),
        (f"SELECT * FROM {ORGS} WHERE page_size = 5", [f"{BASE}/organizations?page_size=5"]),
        (
            f"SELECT * FROM {ORGS} WHERE page_token = 'tok' AND page_size = '20'",
            [f"{BASE}/organizations?page_size=20&page_token=tok"],
        ),
        (
            f"SELECT * FROM {ENTS} WHERE organization.id = 'o-1' -- required\n",
            [f"{BASE}/entitlements?organization.id=o-1&page_size=100"],
        ),
        (
            f"SELECT * FROM {ENTS} WHERE id = 'e-1' -- required\nAND organization.id = 'o-1'",
            [f"{BASE}/entitlements/e-1?organization.id=o-1"],
        ),
        (
            f"SELECT * FROM {ENTS} e WHERE e.organization.id = 'o 1&x'",
            [f"{BASE}/entitlements?organization.id=o+1%26x&page_size=100"],
        ),
        # a parameter goes to the resource it is qualified with
        (
            f"SELECT o.name FROM {ORGS} o JOIN {ENTS} e ON e.organization->>'$.id' = o.id"
            " WHERE o.id = 'o-1' AND e.page_size = 50",
            [f"{BASE}/organizations/o-1", f"{BASE}/entitlements?page_size=50"],
        ),
        # each SELECT of a query pushes its own WHERE
        (
            f"SELECT name FROM {ORGS} WHERE id IN"
            f" (SELECT organization->>'$.id' FROM {ENTS} WHERE organization.id = 'o-2')",
            [f"{BASE}/organizations?page_size=100", f"{BASE}/entitlements?organization.id=o-2&page_size=100"],
        ),
        (
            f"WITH mine AS (SELECT * FROM {ENTS} WHERE organization.id = 'o-3') SELECT count(*) FROM mine",
            [f"{BASE}/entitlements?organization.id=o-3&page_size=100"],
        ),
        (f"SELECT * FROM {ORGS} WHERE id = '../x?y=1'", [f"{BASE}/organizations/..%2Fx%3Fy%3D1"]),
    ],
)
def test_requests_a_select_plans(sql: str, expected: list[str]) -> None:
    assert urls(sql) == expected


def test_use_lets_the_provider_be_left_out() -> None:
    assert urls("USE confluent; SELECT name FROM partner.organizations WHERE id = 'o-1'") == [
        f"{BASE}/organizations/o-1"
    ]


@pytest.mark.parametrize(
    ("sql", "error", "said"),
    [
        (f"SELECT * FROM {ORGS} WHERE", stackql_signups.ParseError, "cannot read the SELECT"),
        ("SELECT * FROM confluent.partner.orgs", stackql_signups.BindError, "organizations"),
        (f"SELECT id FROM {ORGS} o JOIN {ENTS} e ON 1 = 1", stackql_signups.BindError, "ambiguous"),
        ("SELECT name FROM confluent.partner.signups", stackql_signups.BindError, "SELECT not supported"),
    ],
)
def test_mistakes_are_raised_before_anything_is_planned(sql: str, error: type, said: str) -> None:
    with stackql_signups.connect() as db, pytest.raises(error) as raised:
        db.plan(sql)
    assert said in str(raised.value)


def test_a_query_that_never_ends_on_no_rows_is_still_planned() -> None:
    # Checked on empty tables before sending, the endless recursion is stopped after a bounded effort.
    sql = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
        f" SELECT x, o.name FROM c CROSS JOIN {ORGS} o LIMIT 1"
    )
    assert urls(sql) == [f"{BASE}/organizations?page_size=100"]
