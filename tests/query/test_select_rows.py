"""Rows through SQLite and back: objects come back as they were sent, whatever their columns hold."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import stackql_signups
from stackql_signups.dispatch.outcome import Outcome
from stackql_signups.plan import PlannedRequest
from stackql_signups.query.run import run_select
from stackql_signups.results import ResultSet

ENTS = "confluent.partner.entitlements"


def entitlement(n: int, **fields: Any) -> dict[str, Any]:
    row = {
        "api_version": "partner/v2",
        "kind": "Entitlement",
        "id": f"e-{n}",
        "metadata": {"created_at": "2026-01-01T00:00:00Z", "tags": [n, {"deep": [n]}]},
        "external_id": f"x-{n}",
        "name": f"E {n}",
        "plan_id": "plan",
        "product_id": "product",
        "organization": {"id": f"o-{n % 2}"},
    }
    row.update(fields)
    return row


def run(sql: str, rows: list[dict[str, Any]]) -> ResultSet:
    """`sql` over `rows` as the API's one page (the request is answered here: nothing is sent)."""
    page = {"api_version": "partner/v2", "kind": "EntitlementList", "metadata": {}, "data": rows}

    def send(request: PlannedRequest) -> Outcome:
        return Outcome(request.statement, None, "succeeded", row=copy.deepcopy(page), http_status=200)

    with stackql_signups.connect() as db:
        (step,) = db.prepare(sql)
    assert step.query is not None
    return run_select(step.query, send).result


def select(sql: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as the Python API gives them: dicts."""
    return run(sql, rows).records()


def result_rows(sql: str, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows as tuples (dicts would merge two columns of one name)."""
    return list(run(sql, rows).rows)


ROWS = [entitlement(n) for n in range(5)]


@pytest.mark.parametrize(
    "sql",
    [
        f"SELECT * FROM {ENTS}",  # objects only passed through
        f"SELECT * FROM {ENTS} ORDER BY id",  # objects stored as JSON text
        f"SELECT * FROM {ENTS} WHERE organization->>'$.id' LIKE 'o-%'",  # and read by the query
    ],
)
def test_objects_come_back_as_the_api_sent_them(sql: str) -> None:
    shown = select(sql, ROWS)
    assert [r["metadata"] for r in shown] == [r["metadata"] for r in ROWS]
    assert [r["organization"] for r in shown] == [r["organization"] for r in ROWS]


def test_an_object_where_a_string_belongs_is_shown_as_json_and_the_other_objects_stay_whole() -> None:
    rows = [entitlement(0), entitlement(1, name={"odd": True}), entitlement(2, organization=5)]
    shown = select(f"SELECT name, organization, metadata FROM {ENTS}", rows)
    assert [r["name"] for r in shown] == ["E 0", '{"odd":true}', "E 2"]
    assert [r["organization"] for r in shown] == [{"id": "o-0"}, {"id": "o-1"}, 5]
    assert [r["metadata"] for r in shown] == [r["metadata"] for r in rows]


def test_a_number_where_an_object_belongs_is_that_number() -> None:
    shown = select(f"SELECT id, organization FROM {ENTS}", [entitlement(0, organization=0), entitlement(1)])
    assert [r["organization"] for r in shown] == [0, {"id": "o-1"}]


def test_a_text_column_named_like_an_object_column_stays_text() -> None:
    rows = [entitlement(0, name="123"), entitlement(1, name='{"a": 1}')]
    shown = select(f"SELECT name AS organization, organization AS o FROM {ENTS}", rows)
    assert shown == [
        {"organization": "123", "o": {"id": "o-0"}},
        {"organization": '{"a": 1}', "o": {"id": "o-1"}},
    ]


@pytest.mark.parametrize(
    ("sql", "ids"),
    [
        (f"SELECT organization AS o FROM {ENTS} WHERE o->>'$.id' IS NOT NULL", [0, 1, 2, 3, 4]),
        (f"SELECT organization AS o FROM {ENTS} WHERE ORGANIZATION->>'$.id' = 'o-1'", [1, 3]),
        (f"SELECT Organization AS o FROM {ENTS} WHERE organization->>'$.id' = 'o-0'", [0, 2, 4]),
        (f"SELECT organization AS o FROM {ENTS} WHERE o IN (1, 2) OR typeof(o) <> 'text'", []),
    ],
)
def test_an_object_column_the_query_reads_under_another_spelling_is_read(sql: str, ids: list[int]) -> None:
    assert select(sql, ROWS) == [{"o": ROWS[n]["organization"]} for n in ids]


def test_columns_sharing_a_name_keep_their_own_values() -> None:
    rows = [entitlement(0, name="123"), entitlement(1, name="null")]
    shown = result_rows(f"SELECT *, name AS organization FROM {ENTS}", rows)
    assert [(r[-2], r[-1]) for r in shown] == [({"id": "o-0"}, "123"), ({"id": "o-1"}, "null")]
    shown = result_rows(f"SELECT organization AS name, name FROM {ENTS}", rows)
    assert shown == [({"id": "o-0"}, "123"), ({"id": "o-1"}, "null")]
