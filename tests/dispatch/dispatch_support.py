"""Builders shared by the dispatch tests: planned requests, configs, and mock transports."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from stackql_signups.dispatch.config import AuthSettings, DispatchConfig, auth_from_document
from stackql_signups.emulator.config import DEFAULT_API_KEY, DEFAULT_API_SECRET
from stackql_signups.manifest import Registry
from stackql_signups.manifest.model import OutcomeRules
from stackql_signups.plan import PlannedRequest
from stackql_signups.sql.statements import Reference

SERVER = "https://api.confluent.cloud"
PATHS = {
    "signup": "/partner/v2/signup",
    "activate_signup": "/partner/v2/signup/activate",
    "signup_partner_v2_link": "/partner/v2/signup/link",
}
HEADERS = (("Content-Type", "application/json"), ("Accept", "application/json"))

# Canary credentials: no message, repr or error may ever contain them.
CANARY_KEY = "CANARYKEY7Q2Z"
CANARY_SECRET = "canary-secret-Xy91-do-not-print"
CANARY_TOKEN = "eyJcanary.link.token.must.stay.hidden"
CANARY_ENV = {"CONFLUENT_CLOUD_API_KEY": CANARY_KEY, "CONFLUENT_CLOUD_API_SECRET": CANARY_SECRET}

USER = {"email": "ada@example.com", "given_name": "Ada", "family_name": "Lovelace"}


def entitlement(external_id: str = "ext-1") -> dict[str, Any]:
    return {
        "external_id": external_id,
        "name": "Acme Prod Entitlement",
        "plan_id": "confluent-cloud-payg-prod",
        "product_id": "confluent-cloud-for-apache-kafka",
    }


def organization(name: str = "Acme") -> dict[str, Any]:
    return {"name": name, "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "tenant-1"}}


def planned(
    statement: int = 1,
    method: str = "signup",
    body: Any = None,
    *,
    label: str | None = None,
    references: tuple[tuple[tuple[str | int, ...], Reference], ...] = (),
    secret_paths: tuple[tuple[str | int, ...], ...] = (),
    query: tuple[tuple[str, str], ...] = (),
    server: str = SERVER,
) -> PlannedRequest:
    """A PlannedRequest as `plan.plan` would make it."""
    if body is None:
        body = {"organization": organization(), "entitlement": entitlement(f"ext-{statement}")}
    return PlannedRequest(
        statement=statement,
        method_key=f"confluent.partner.signups.{method}",
        label=label,
        http_method="POST",
        server=server,
        path=PATHS[method],
        query=query,
        headers=HEADERS,
        body=body,
        secret_paths=secret_paths,
        references=references,
        outcome=rules(method),
    )


def activate(statement: int, label: str = "s", field: str = "organization_id") -> PlannedRequest:
    """An activate_signup whose organization_id comes from the statement labelled `label`."""
    body = {"organization_id": f"${{{label}.{field}}}", "user": USER}
    return planned(
        statement, "activate_signup", body, references=((("organization_id",), Reference(label, field)),)
    )


def link(statement: int, token: str, external_id: str = "ext-link") -> PlannedRequest:
    body = {
        "token": token,
        "organization": {"sso_config": {"kind": "AzureSSOConfig", "tenant_id": "tenant-1"}},
        "entitlement": entitlement(external_id),
    }
    return planned(statement, "signup_partner_v2_link", body, secret_paths=(("token",),))


def config(**overrides: Any) -> DispatchConfig:
    """Fast settings for tests: tiny back-off, short timeouts."""
    values: dict[str, Any] = {
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "backoff_base": 0.01,
        "backoff_cap": 0.02,
        "auth": shipped_auth(),
        "loopback_credentials": (DEFAULT_API_KEY, DEFAULT_API_SECRET),
    }
    values.update(overrides)
    return DispatchConfig(**values)


def created(organization_id: str = "org-1", request_id: str = "req-1") -> httpx.Response:
    return httpx.Response(
        201,
        json={
            "organization_id": organization_id,
            "sso_url": f"https://confluent.cloud/login/sso/{organization_id}",
            "display_message": "ok",
        },
        headers={"X-Request-Id": request_id},
    )


def failure(
    status: int,
    code: str,
    detail: str,
    *,
    title: str = "Title",
    pointer: str | None = None,
    headers: dict[str, str] | None = None,
    request_id: str = "req-9",
) -> httpx.Response:
    error: dict[str, Any] = {
        "id": "e1",
        "status": str(status),
        "code": code,
        "title": title,
        "detail": detail,
    }
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    return httpx.Response(
        status, json={"errors": [error]}, headers={"X-Request-Id": request_id, **(headers or {})}
    )


class Recorder:
    """A MockTransport handler that answers from a script of responses/exceptions and records requests."""

    def __init__(
        self, *answers: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]
    ) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def texts_of(*things: Any) -> str:
    """Every text a user or log could see for these objects: str, repr, describe(), hints."""
    parts: list[str] = []
    for thing in things:
        parts += [str(thing), repr(thing)]
        for attr in ("describe", "message", "hint", "detail", "title", "code", "error"):
            value = getattr(thing, attr, None)
            if callable(value):
                value = value()
            if value is not None and not isinstance(value, (int, float)):
                parts += [str(value), repr(value)]
    return "\n".join(parts)


def assert_no_secrets(*things: Any) -> None:
    text = texts_of(*things)
    for secret in (CANARY_KEY, CANARY_SECRET, CANARY_TOKEN):
        assert secret not in text, f"secret leaked: {secret!r} in {text!r}"


def shipped_auth(kind: str = "basic", **entry: Any) -> AuthSettings:
    """The auth `--auth '{"confluent": {"type": KIND, ...}}'` gives with the shipped manifest's defaults."""
    provider = Registry().provider("confluent")
    return auth_from_document({"confluent": {"type": kind, **entry}}, "confluent", provider.auth)


def rules(method: str) -> OutcomeRules:
    """The shipped manifest's `x-outcome` of a signups method: what dispatch reads answers by."""
    target = Registry().method_target(("confluent", "partner", "signups", method), None)
    return target.method.outcome
