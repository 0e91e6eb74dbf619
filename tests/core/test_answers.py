"""SHOW / DESCRIBE / SELECT answered from the manifest, as the installed CLI prints them."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from .support import SIGNUPS, run_all

METHODS_HEADER = ("MethodName", "RequiredParams", "SQLVerb")
METHOD_ROWS = [
    ("activate_signup", "organization_id, user", "EXEC"),
    ("signup", "entitlement, organization", "EXEC"),
    ("signup_partner_v2_link", "entitlement, organization, token", "EXEC"),
]
NO_SELECT = (
    "SELECT not supported for this resource, use SHOW METHODS to view available operations for the "
    "resource and then invoke a supported method using the EXEC command"
)


def ok(cli: Any, *args: str) -> str:
    result = cli.run("exec", *args)
    assert result.status == 0, result.explain()
    assert "Traceback" not in result.stderr
    return str(result.stdout)


def json_rows(cli: Any, sql: str) -> list[dict[str, Any]]:
    rows = json.loads(ok(cli, sql, "-o", "json"))
    assert isinstance(rows, list)
    return rows


def test_show_methods_csv_is_exactly_stackqls(cli: Any) -> None:
    out = ok(cli, f"SHOW METHODS IN {SIGNUPS}", "-o", "csv")
    assert out == (
        "MethodName,RequiredParams,SQLVerb\n"
        'activate_signup,"organization_id, user",EXEC\n'
        'signup,"entitlement, organization",EXEC\n'
        'signup_partner_v2_link,"entitlement, organization, token",EXEC\n'
    )


def test_show_methods_table_has_stackqls_borders_and_centred_header(cli: Any) -> None:
    out = ok(cli, f"SHOW METHODS IN {SIGNUPS}")  # table is the default
    lines = out.splitlines()
    widths = [max(len(h), *(len(r[i]) for r in METHOD_ROWS)) for i, h in enumerate(METHODS_HEADER)]
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    assert lines[0] == lines[2] == lines[-1] == rule
    assert len(lines) == 3 + len(METHOD_ROWS) + 1
    # Each header cell is centred in its column (StackQL puts the odd space on the right).
    cells = lines[1].split("|")[1:-1]
    for cell, name, width in zip(cells, METHODS_HEADER, widths, strict=True):
        left = (width + 2 - len(name)) // 2
        assert cell == " " * left + name + " " * (width + 2 - len(name) - left)
    # Body cells are left-aligned after one space.
    for line, row in zip(lines[3:-1], METHOD_ROWS, strict=True):
        assert line == "|" + "|".join(f" {v.ljust(w)} " for v, w in zip(row, widths, strict=True)) + "|"


def test_show_methods_json_is_an_array_of_row_objects(cli: Any) -> None:
    rows = json_rows(cli, f"SHOW METHODS IN {SIGNUPS}")
    assert rows == [dict(zip(METHODS_HEADER, r, strict=True)) for r in METHOD_ROWS]
    assert [list(r) for r in rows] == [list(METHODS_HEADER)] * 3  # column order kept


def test_show_methods_jsonl_is_one_object_per_line(cli: Any) -> None:
    lines = ok(cli, f"SHOW METHODS IN {SIGNUPS}", "-o", "jsonl").splitlines()
    assert [json.loads(line) for line in lines] == [
        dict(zip(METHODS_HEADER, r, strict=True)) for r in METHOD_ROWS
    ]


def test_show_methods_text_is_aligned_columns(cli: Any) -> None:
    lines = ok(cli, f"SHOW METHODS IN {SIGNUPS}", "-o", "text").splitlines()
    assert len(lines) == 1 + len(METHOD_ROWS)
    assert lines[0].split() == list(METHODS_HEADER)
    starts = [lines[0].index(h) for h in METHODS_HEADER]
    for line, row in zip(lines[1:], METHOD_ROWS, strict=True):
        assert [line.index(v) for v in row] == starts
        assert line.rstrip() == line


@pytest.mark.parametrize(
    ("fmt", "expected_lines"),
    [
        ("csv", 3),
        ("text", 3),
        ("table", 5),  # rule, three rows, rule
    ],
)
def test_hide_headers(cli: Any, fmt: str, expected_lines: int) -> None:
    out = ok(cli, f"SHOW METHODS IN {SIGNUPS}", "-o", fmt, "-H")
    assert "MethodName" not in out
    assert len(out.splitlines()) == expected_lines
    for name, *_ in METHOD_ROWS:
        assert name in out


def test_csv_delimiter(cli: Any) -> None:
    out = ok(cli, f"SHOW METHODS IN {SIGNUPS}", "-o", "csv", "-d", "|")
    rows = list(csv.reader(io.StringIO(out), delimiter="|"))
    assert rows == [list(METHODS_HEADER)] + [list(r) for r in METHOD_ROWS]


def test_show_providers(cli: Any) -> None:
    rows = json_rows(cli, "SHOW PROVIDERS")
    assert [list(r) for r in rows] == [["name", "version"]]
    assert rows == [{"name": "confluent", "version": "v00.00.00000"}]


def test_show_providers_like(cli: Any) -> None:
    assert json_rows(cli, "SHOW PROVIDERS LIKE 'conf%'") == [{"name": "confluent", "version": "v00.00.00000"}]
    assert json_rows(cli, "SHOW PROVIDERS LIKE 'aws%'") == []


def test_show_services_and_extended(cli: Any) -> None:
    rows = json_rows(cli, "SHOW SERVICES IN confluent")
    assert rows == [{"id": "partner:v00.00.00000", "name": "partner", "title": "partner API"}]
    [extended] = json_rows(cli, "SHOW EXTENDED SERVICES IN confluent")
    assert list(extended) == ["id", "name", "title", "description", "version", "preferred"]
    assert extended["name"] == "partner"
    assert extended["description"] == "confluent partner API"
    assert extended["version"] == "v00.00.00000"
    assert str(extended["preferred"]).lower() == "true"


def test_show_resources_and_extended(cli: Any) -> None:
    # The whole partner service, by name as StackQL lists it.
    assert json_rows(cli, "SHOW RESOURCES IN confluent.partner") == [
        {"name": name, "id": f"confluent.partner.{name}"}
        for name in ("entitlements", "organizations", "signups")
    ]
    extended = json_rows(cli, "SHOW EXTENDED RESOURCES IN confluent.partner")
    assert [list(row) for row in extended] == [["name", "id", "description"]] * 3
    assert all(row["description"] for row in extended)


def test_show_extended_methods_adds_description(cli: Any) -> None:
    rows = json_rows(cli, f"SHOW EXTENDED METHODS IN {SIGNUPS}")
    assert [tuple(r[c] for c in METHODS_HEADER) for r in rows] == METHOD_ROWS
    assert list(rows[0])[:4] == [*METHODS_HEADER, "description"]
    by_name = {r["MethodName"]: r["description"] for r in rows}
    assert by_name["signup_partner_v2_link"] == (
        "Signup a customer by linking a new entitlement to an existing Confluent Cloud organization."
    )
    assert "/partner/v2/signup/activate" in by_name["signup"]


def test_show_extended_methods_columns_are_stackqls_then_optional_params(cli: Any) -> None:
    # StackQL's columns come first and in its order; EXTENDED also lists the optional parameters (issue 2).
    rows = json_rows(cli, f"SHOW EXTENDED METHODS IN {SIGNUPS}")
    assert list(rows[0]) == [*METHODS_HEADER, "description", "OptionalParams"]
    by_name = {row["MethodName"]: row for row in rows}
    assert by_name["signup"]["OptionalParams"] == "dry_run, user"
    assert by_name["activate_signup"]["OptionalParams"] == ""


FILTERS = [
    ("LIKE 'sign%'", ["signup", "signup_partner_v2_link"]),
    ("LIKE '%LINK'", ["signup_partner_v2_link"]),
    ("LIKE 'signup'", ["signup"]),
    ("LIKE '_ctivate%'", ["activate_signup"]),
    ("WHERE MethodName = 'signup'", ["signup"]),
    ("WHERE MethodName != 'signup'", ["activate_signup", "signup_partner_v2_link"]),
    ("WHERE RequiredParams LIKE '%token%'", ["signup_partner_v2_link"]),
    ("WHERE SQLVerb = 'EXEC' AND MethodName LIKE '%signup'", ["activate_signup", "signup"]),
    ("WHERE SQLVerb = 'SELECT'", []),
]


@pytest.fixture(scope="module")
def filtered(cli: Any) -> list[list[dict[str, Any]]]:
    """Every filter of FILTERS as one statement of one script: -o json prints one array per statement."""
    script = ";\n".join(f"SHOW METHODS IN {SIGNUPS} {sql}" for sql, _ in FILTERS)
    arrays = [json.loads(line) for line in ok(cli, script, "-o", "json").splitlines()]
    assert len(arrays) == len(FILTERS)
    return arrays


@pytest.mark.parametrize(
    ("index", "expected"), [(i, e) for i, (_, e) in enumerate(FILTERS)], ids=[f for f, _ in FILTERS]
)
def test_show_methods_filters(filtered: list[list[dict[str, Any]]], index: int, expected: list[str]) -> None:
    assert [r["MethodName"] for r in filtered[index]] == expected


def test_use_then_short_names(cli: Any) -> None:
    out = ok(
        cli,
        "USE confluent; SHOW RESOURCES IN partner;"
        " SHOW METHODS IN partner.signups WHERE MethodName = 'signup'",
        "-o",
        "jsonl",
    )
    assert [json.loads(line) for line in out.splitlines()] == [
        {"name": "entitlements", "id": "confluent.partner.entitlements"},
        {"name": "organizations", "id": "confluent.partner.organizations"},
        {"name": "signups", "id": "confluent.partner.signups"},
        {"MethodName": "signup", "RequiredParams": "entitlement, organization", "SQLVerb": "EXEC"},
    ]


@pytest.fixture(scope="module")
def described(cli: Any) -> dict[str, Any]:
    """DESCRIBE METHOD of each method, from one script."""
    methods = ["signup", "activate_signup", "signup_partner_v2_link"]
    script = ";\n".join(f"DESCRIBE METHOD {SIGNUPS}.{m}" for m in methods)
    arrays = [json.loads(line) for line in ok(cli, script, "-o", "json").splitlines()]
    assert len(arrays) == len(methods)
    return dict(zip(methods, arrays, strict=True))


@pytest.mark.parametrize(
    ("method", "rows"),
    [
        (
            "signup",
            [
                ("entitlement", "object", "input_required", "object"),
                ("organization", "object", "input_required", "object"),
                ("dry_run", "boolean", "input_optional", "scalar"),
                ("user", "object", "input_optional", "object"),
                ("organization_id", "string", "output", "scalar"),
                ("sso_url", "string", "output", "scalar"),
                ("display_message", "string", "output", "scalar"),
            ],
        ),
        (
            "activate_signup",
            [
                ("organization_id", "string", "input_required", "scalar"),
                ("user", "object", "input_required", "object"),
                ("organization_id", "string", "output", "scalar"),
                ("sso_url", "string", "output", "scalar"),
                ("display_message", "string", "output", "scalar"),
            ],
        ),
        (
            "signup_partner_v2_link",
            [
                ("entitlement", "object", "input_required", "object"),
                ("organization", "object", "input_required", "object"),
                ("token", "string", "input_required", "scalar"),
                ("dry_run", "boolean", "input_optional", "scalar"),
                ("organization_id", "string", "output", "scalar"),
                ("sso_url", "string", "output", "scalar"),
                ("display_message", "string", "output", "scalar"),
            ],
        ),
    ],
)
def test_describe_method(described: dict[str, Any], method: str, rows: list[tuple[str, ...]]) -> None:
    records = described[method]
    assert [list(r) for r in records] == [["name", "type", "param_type", "shape"]] * len(rows)
    assert [tuple(r.values()) for r in records] == rows


def test_describe_method_extended_adds_descriptions(cli: Any) -> None:
    records = json_rows(cli, f"DESCRIBE METHOD EXTENDED {SIGNUPS}.activate_signup")
    assert list(records[0]) == ["name", "type", "param_type", "shape", "description"]
    described = {(r["name"], r["param_type"]): r["description"] for r in records}
    assert described[("organization_id", "input_required")] == "The ID of the organization"
    assert described[("sso_url", "output")] == "The login URL for the customer to access Confluent Cloud"


NOT_SELECTABLE = {
    "describe": (f"DESCRIBE {SIGNUPS}", "SELECT"),
    "describe-extended": (f"DESCRIBE EXTENDED {SIGNUPS}", "SELECT"),
    "select-star": (f"SELECT * FROM {SIGNUPS}", "SELECT"),
    "select-where": (f"SELECT organization_id FROM {SIGNUPS} WHERE dry_run = true", "SELECT"),
    "insert": (f"INSERT INTO {SIGNUPS} (organization) SELECT '{{}}'", "INSERT"),
    "delete": (f"DELETE FROM {SIGNUPS} WHERE organization_id = 'x'", "DELETE"),
}


@pytest.fixture(scope="module")
def not_selectable(cli: Any) -> dict[str, Any]:
    return run_all(cli, {name: (("exec", sql), {}) for name, (sql, _) in NOT_SELECTABLE.items()})


@pytest.mark.parametrize("name", list(NOT_SELECTABLE))
def test_describe_and_select_get_stackqls_message(not_selectable: dict[str, Any], name: str) -> None:
    result = not_selectable[name]
    verb = NOT_SELECTABLE[name][1]
    assert result.status == 2, result.explain()
    assert result.stdout == ""
    assert NO_SELECT.replace("SELECT", verb, 1) in result.stderr
    assert "Traceback" not in result.stderr


def test_answers_of_a_script_come_in_statement_order(cli: Any) -> None:
    out = ok(cli, f"SHOW PROVIDERS; SHOW SERVICES IN confluent; SHOW METHODS IN {SIGNUPS}", "-o", "csv")
    assert out.splitlines()[0] == "name,version"
    assert out.index("name,version") < out.index("id,name,title") < out.index("MethodName,RequiredParams")


def test_answers_need_no_credentials_and_no_network(cli: Any) -> None:
    result = cli.run(
        "exec",
        f"SHOW METHODS IN {SIGNUPS}",
        "-o",
        "csv",
        env={"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"},
    )
    assert result.status == 0, result.explain()
    assert result.stdout.splitlines()[0] == ",".join(METHODS_HEADER)
    assert result.stderr == ""
