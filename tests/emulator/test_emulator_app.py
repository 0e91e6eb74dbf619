"""The app alone, without a socket: request dataclasses in, response dataclasses out."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackql_signups.emulator import EmulatorConfig
from stackql_signups.emulator.app import EmulatorApp
from stackql_signups.emulator.messages import Request, Response
from stackql_signups.emulator.schemas import load_schemas
from stackql_signups.emulator.store import Store

from .emulator_support import AUTH, signup_body

HEADERS = {
    "authorization": "Basic " + base64.b64encode(":".join(AUTH).encode()).decode(),
    "content-type": "application/json",
}
SCHEMAS = load_schemas()


def make_app(path: Path, **settings: Any) -> EmulatorApp:
    return EmulatorApp(EmulatorConfig(**settings), Store(path), SCHEMAS, "http://emulator.test")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[EmulatorApp]:
    made = make_app(tmp_path / "app.db")
    yield made
    made.store.close()


def post(app: EmulatorApp, path: str, body: Any, query: str = "") -> Response:
    return app.handle(Request("POST", path, query, HEADERS, json.dumps(body).encode()))


def test_a_signup_is_a_201_api_answer(app: EmulatorApp) -> None:
    response = post(app, "/partner/v2/signup", signup_body())
    assert response.status == 201 and response.api and not response.drop and response.delay == 0
    assert set(json.loads(response.body)) == {"organization_id", "sso_url", "display_message"}


def test_faults_are_decisions_in_the_response(tmp_path: Path) -> None:
    app = make_app(tmp_path / "f.db", latency_ms=250, drop_after_commit=1.0)
    try:
        dropped = post(app, "/partner/v2/signup", signup_body())
        assert dropped.drop and dropped.delay == 0.25
        assert len(app.store.snapshot()["organizations"]) == 1  # committed before the drop
        assert post(app, "/partner/v2/signup", {}).status == 400  # nothing committed: answered
    finally:
        app.store.close()


def test_admin_answers_are_not_logged_or_counted(app: EmulatorApp) -> None:
    response = app.handle(Request("GET", "/_emulator/state", "", {**HEADERS, "host": "127.0.0.1"}))
    assert response.status == 200 and not response.logged and not response.api


TEXT = st.text(max_size=24)
ORGANIZATION = st.fixed_dictionaries(
    {
        "name": st.text(max_size=31),
        "sso_config": st.fixed_dictionaries({"kind": st.just("AzureSSOConfig"), "tenant_id": TEXT}),
    }
)
ENTITLEMENT = (
    st.fixed_dictionaries({"related": TEXT})
    | st.fixed_dictionaries(
        {"related": TEXT.map(lambda t: "http://h/partner/v2/entitlements/" + t), "id": TEXT}
    )
    | st.fixed_dictionaries(
        {"external_id": TEXT, "name": TEXT, "plan_id": TEXT, "product_id": TEXT},
        optional={"usage_reporting_id": TEXT, "resource_id": TEXT},
    )
)
USER = st.fixed_dictionaries({"email": TEXT, "given_name": TEXT, "family_name": TEXT})
BODIES = st.one_of(
    st.fixed_dictionaries(
        {"organization": ORGANIZATION, "entitlement": ENTITLEMENT}, optional={"user": USER}
    ).map(lambda body: ("/partner/v2/signup", body)),
    st.fixed_dictionaries({"user": USER, "organization_id": TEXT}).map(
        lambda body: ("/partner/v2/signup/activate", body)
    ),
    st.fixed_dictionaries({"token": TEXT, "organization": ORGANIZATION, "entitlement": ENTITLEMENT}).map(
        lambda body: ("/partner/v2/signup/link", body)
    ),
    ENTITLEMENT.map(lambda body: ("/partner/v2/entitlements", body)),
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=BODIES, query=st.sampled_from(["", "dry_run=true", "dry_run=false"]))
def test_well_shaped_bodies_with_any_values_never_fail_inside(
    app: EmulatorApp, case: tuple[str, Any], query: str
) -> None:
    """Bodies that reach the operations (shapes right, values anything): a 201, 400 or 409, never a 500."""
    path, body = case
    response = post(app, path, body, query)
    assert response.status in (201, 400, 409), response.body
