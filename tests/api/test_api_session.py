"""The Python API against a real emulator process: rows, chaining across calls, one exception hierarchy."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import pytest

import stackql_signups
from stackql_signups import (
    ApiError,
    BindError,
    Error,
    NetworkError,
    ParseError,
    RequestError,
    TemplateError,
    ValidationError,
)

from ..e2e import RESOURCE, USER, Emulator, activate_sql, signup_sql


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Like a user without Confluent Cloud credentials: the client uses the emulator's defaults."""
    monkeypatch.delenv("CONFLUENT_CLOUD_API_KEY", raising=False)
    monkeypatch.delenv("CONFLUENT_CLOUD_API_SECRET", raising=False)


@pytest.fixture
def session(module_emulator: Emulator) -> Iterator[stackql_signups.Session]:
    with stackql_signups.connect(endpoint=module_emulator.url) as running:
        yield running


def unique(prefix: str) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"{prefix} {tag}", f"ext-{tag}"


def org(emulator: Emulator, organization_id: str) -> dict:
    return next(o for o in emulator.state()["organizations"] if o["id"] == organization_id)


def users_of(emulator: Emulator, organization_id: str) -> list[dict]:
    return [u for u in emulator.state()["users"] if u["organization_id"] == organization_id]


def test_execute_returns_one_row_per_exec(
    session: stackql_signups.Session, module_emulator: Emulator
) -> None:
    name, external_id = unique("Rows")

    rows = session.execute(signup_sql(name, external_id, user=USER))

    assert isinstance(rows, list)
    [row] = rows
    assert isinstance(row, dict)
    assert set(row) >= {"organization_id", "sso_url", "display_message"}
    assert org(module_emulator, row["organization_id"])["name"] == name
    assert org(module_emulator, row["organization_id"])["sso_url"] == row["sso_url"]
    assert [u["email"] for u in users_of(module_emulator, row["organization_id"])] == [USER["email"]]


def test_show_returns_rows_without_the_network() -> None:
    with stackql_signups.connect(endpoint="http://127.0.0.1:9") as session:  # nothing listens there
        rows = session.execute(f"SHOW METHODS IN {RESOURCE};")
    assert rows == [
        {"MethodName": "activate_signup", "RequiredParams": "organization_id, user", "SQLVerb": "EXEC"},
        {"MethodName": "signup", "RequiredParams": "entitlement, organization", "SQLVerb": "EXEC"},
        {
            "MethodName": "signup_partner_v2_link",
            "RequiredParams": "entitlement, organization, token",
            "SQLVerb": "EXEC",
        },
    ]


def test_vars_fill_the_template(session: stackql_signups.Session, module_emulator: Emulator) -> None:
    name, external_id = unique("Vars")
    sql = signup_sql("{{ customer.name }}", "{{ customer.ext }}")

    [row] = session.execute(sql, {"customer": {"name": name, "ext": external_id}})

    assert org(module_emulator, row["organization_id"])["name"] == name


def test_undefined_template_variable_is_an_error(session: stackql_signups.Session) -> None:
    with pytest.raises(TemplateError, match="undefined variable 'nope'"):
        session.execute(signup_sql("{{ nope }}", "x"))


def test_parse_error_on_bad_sql(session: stackql_signups.Session, module_emulator: Emulator) -> None:
    sent = len(module_emulator.requests())
    with pytest.raises(ParseError) as caught:
        session.execute(f"{signup_sql('A', 'a-1')}\nEXEC {RESOURCE}.signup @organization=;")
    error = caught.value
    assert isinstance(error, Error)
    assert error.location is not None
    assert (error.location.statement, error.location.line) == (2, 2)
    assert "line 2" in str(error)
    assert len(module_emulator.requests()) == sent  # the first, valid statement was not sent either


def test_validation_error_lists_the_violations(
    session: stackql_signups.Session, module_emulator: Emulator
) -> None:
    sent = len(module_emulator.requests())
    with pytest.raises(ValidationError) as caught:
        session.execute(
            f"EXEC {RESOURCE}.signup @@json='"
            '{"organization": {"name": "X"}, "entitlement": {"name": "e", "plan_id": "p"}}\';'
        )
    violations = caught.value.violations
    assert isinstance(violations, tuple)
    assert any("organization.sso_config" in v for v in violations), violations
    assert any("entitlement.external_id" in v for v in violations), violations
    assert any("entitlement.product_id" in v for v in violations), violations
    assert len(module_emulator.requests()) == sent


def test_api_error_on_a_second_activation(
    session: stackql_signups.Session, module_emulator: Emulator
) -> None:
    [signed_up] = session.execute(signup_sql(*unique("Twice")))
    organization_id = signed_up["organization_id"]
    session.execute(activate_sql(f"'{organization_id}'"))

    with pytest.raises(ApiError) as caught:
        session.execute(activate_sql(f"'{organization_id}'"))

    error = caught.value
    assert isinstance(error, RequestError) and isinstance(error, Error)
    assert error.status == 409
    assert error.code == "resource_already_exists"
    assert error.detail and organization_id in error.detail
    assert error.request_id
    logged = [r for r in module_emulator.requests() if r["request_id"] == error.request_id]
    assert [(r["path"], r["status"]) for r in logged] == [("/partner/v2/signup/activate", 409)]
    assert "409" in str(error) and error.request_id in str(error)
    assert len(users_of(module_emulator, organization_id)) == 1


def test_a_failed_statement_stops_the_rest_of_the_script(
    session: stackql_signups.Session, module_emulator: Emulator
) -> None:
    sent = len(module_emulator.requests())
    with pytest.raises(ApiError) as caught:
        session.execute(activate_sql("'no-such-org'") + "\n" + signup_sql(*unique("After")))
    assert caught.value.status == 400
    assert len(module_emulator.requests()) == sent + 1


def test_network_error_when_the_server_is_stopped(emulator: Emulator) -> None:
    url = emulator.url
    emulator.stop()
    with stackql_signups.connect(endpoint=url, retries=0) as session, pytest.raises(NetworkError) as caught:
        session.execute(signup_sql(*unique("Down")))
    assert isinstance(caught.value, RequestError)
    assert caught.value.outcome_unknown is False  # refused: certainly not processed
    assert url in str(caught.value)


@pytest.mark.parametrize(
    "activate",
    [
        activate_sql("acme.organization_id"),
        f"EXEC {RESOURCE}.activate_signup @@json='"
        + '{"organization_id": "${acme.organization_id}", "user": {"email": "jane.doe@acme.example", '
        '"given_name": "Jane", "family_name": "Doe"}}\';',
    ],
    ids=["parameter", "json-string"],
)
def test_chaining_across_two_execute_calls(
    activate: str, session: stackql_signups.Session, module_emulator: Emulator
) -> None:
    [signed_up] = session.execute(signup_sql(*unique("Chain"), label="acme"))
    assert users_of(module_emulator, signed_up["organization_id"]) == []

    [activated] = session.execute(activate)

    assert activated["organization_id"] == signed_up["organization_id"]
    [user] = users_of(module_emulator, signed_up["organization_id"])
    assert user["email"] == USER["email"]


def test_chaining_to_an_unknown_label_fails_before_sending(
    session: stackql_signups.Session, module_emulator: Emulator
) -> None:
    sent = len(module_emulator.requests())
    with pytest.raises(BindError, match="label 'acme'"):
        session.execute(activate_sql("acme.organization_id"))
    assert len(module_emulator.requests()) == sent


def test_labels_belong_to_their_session(module_emulator: Emulator) -> None:
    with stackql_signups.connect(endpoint=module_emulator.url) as first:
        first.execute(signup_sql(*unique("Mine"), label="acme"))
    with stackql_signups.connect(endpoint=module_emulator.url) as second, pytest.raises(BindError):
        second.execute(activate_sql("acme.organization_id"))


@pytest.mark.parametrize("as_text", [False, True], ids=["mapping", "json-text"])
def test_auth_names_the_variables_that_hold_the_credentials(
    as_text: bool, module_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stackql_signups.emulator.config import DEFAULT_API_KEY, DEFAULT_API_SECRET

    auth = {"confluent": {"type": "basic", "username_var": "MY_KEY", "password_var": "MY_SECRET"}}
    monkeypatch.setenv("MY_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("MY_SECRET", DEFAULT_API_SECRET)
    with stackql_signups.connect(
        endpoint=module_emulator.url, auth=json.dumps(auth) if as_text else auth
    ) as s:
        [row] = s.execute(signup_sql(*unique("Auth")))
    assert row["organization_id"]

    monkeypatch.setenv("MY_SECRET", "not-the-secret")
    with (
        stackql_signups.connect(endpoint=module_emulator.url, auth=auth) as s,
        pytest.raises(ApiError) as caught,
    ):
        s.execute(signup_sql(*unique("Auth")))
    assert caught.value.status == 401
    assert "not-the-secret" not in str(caught.value)


def test_exceptions_form_one_hierarchy() -> None:
    for kind in (ParseError, ValidationError, BindError, TemplateError, ApiError, NetworkError):
        assert issubclass(kind, stackql_signups.Error)
    assert issubclass(ApiError, RequestError) and issubclass(NetworkError, RequestError)
    assert issubclass(stackql_signups.Error, Exception)


def test_async_execute_and_chaining(module_emulator: Emulator) -> None:
    async def main() -> tuple[list[dict], list[dict]]:
        async with stackql_signups.connect_async(endpoint=module_emulator.url) as session:
            first = await session.execute(signup_sql(*unique("Async"), label="acme"))
            second = await session.execute(activate_sql("acme.organization_id"))
            return first, second

    [signed_up], [activated] = asyncio.run(main())

    assert activated["organization_id"] == signed_up["organization_id"]
    assert len(users_of(module_emulator, signed_up["organization_id"])) == 1


def test_async_concurrent_executes_on_one_session(module_emulator: Emulator) -> None:
    names = [unique("Gather") for _ in range(4)]

    async def main() -> list[list[dict]]:
        async with stackql_signups.connect_async(endpoint=module_emulator.url) as session:
            return await asyncio.gather(*(session.execute(signup_sql(n, e)) for n, e in names))

    results = asyncio.run(main())

    ids = [rows[0]["organization_id"] for rows in results]
    assert [org(module_emulator, i)["name"] for i in ids] == [n for n, _ in names]


def test_async_errors_are_the_same_exceptions(module_emulator: Emulator) -> None:
    async def main() -> None:
        async with stackql_signups.connect_async(endpoint=module_emulator.url) as session:
            await session.execute(activate_sql("'no-such-org'"))

    with pytest.raises(ApiError) as caught:
        asyncio.run(main())
    assert caught.value.status == 400 and caught.value.request_id


def test_local_endpoint_runs_the_built_in_emulator(tmp_path, env) -> None:
    state = tmp_path / "local.db"
    with stackql_signups.connect(endpoint="local", state=state) as session:
        [row] = session.execute(signup_sql(*unique("Local"), user=USER))
    assert state.is_file()
    emulator = Emulator(state, env, tmp_path)
    try:
        assert [o["id"] for o in emulator.state()["organizations"]] == [row["organization_id"]]
    finally:
        emulator.stop()


# --- known bugs ----------------------------------------------------------------------------------------


def test_plan_then_execute_the_same_labelled_statement(
    session: stackql_signups.Session, module_emulator: Emulator
) -> None:
    sql = signup_sql(*unique("Planned"), label="acme")
    [planned] = session.plan(sql)
    assert planned["method"] == "POST"
    [row] = session.execute(sql)
    assert row["organization_id"]


def test_plan_shows_the_session_endpoint(session: stackql_signups.Session, module_emulator: Emulator) -> None:
    [planned] = session.plan(signup_sql(*unique("Where")))
    assert planned["url"] == f"{module_emulator.url}/partner/v2/signup"


def test_same_labelled_script_for_each_customer_of_a_loop(
    session: stackql_signups.Session, module_emulator: Emulator
) -> None:
    script = (
        signup_sql("{{ name }}", "{{ ext }}", label="customer")
        + "\n"
        + activate_sql("customer.organization_id")
    )
    for _ in range(2):
        name, ext = unique("Loop")
        signed_up, activated = session.execute(script, {"name": name, "ext": ext})
        assert activated["organization_id"] == signed_up["organization_id"]
        assert len(users_of(module_emulator, signed_up["organization_id"])) == 1
