"""What a provider manifest declares, as plain dataclasses the rest of the engine reads."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Parameter:
    """One input of a method: a query/path/header parameter or a top-level body property."""

    name: str
    location: str  # "query", "path", "header" or "body"
    required: bool
    schema: Mapping[str, Any]
    description: str = ""
    secret: bool = False
    type_name: str = "string"  # the JSON type, after following refs and combinators


@dataclass(frozen=True)
class Existing:
    """Where the object a 409 says is already there is found, and the result row that reports it.

    `at` is "location" (GET the URL in the 409's `Location` header) or "request" (the request body names
    it). `row` maps each result column to a template over that object: "{a.b}" alone is the value at that
    path, other text has each "{a.b}" replaced by it; a non-string is the value itself.
    """

    at: str
    row: tuple[tuple[str, Any], ...]
    what: str = "object"
    scope: str | None = None
    incomplete: str | None = None


@dataclass(frozen=True)
class OutcomeRules:
    """A method's `x-outcome`: how to read its results and refusals. See docs/MANIFEST.md."""

    id: str | None = None
    conflict: str | None = None
    existing: Existing | None = None
    forbidden: str | None = None
    check: str | None = None
    rerun: str | None = None


@dataclass(frozen=True)
class Method:
    """An SQL-callable method of a resource, bound to one HTTP operation."""

    name: str
    resource_id: str
    sql_verb: str
    http_method: str
    path: str
    operation_id: str
    summary: str
    description: str
    parameters: tuple[Parameter, ...]
    body_schema: Mapping[str, Any] | None
    body_media_type: str
    response_schema: Mapping[str, Any] | None
    response_status: str
    servers: tuple[str, ...]
    security_scopes: tuple[str, ...]
    response_fields: tuple[str, ...] = ()
    outcome: OutcomeRules = field(default_factory=OutcomeRules)
    object_key: str | None = None  # the response's `objectKey` (`$.data`): where a list's rows are

    @functools.cached_property
    def key(self) -> str:
        return f"{self.resource_id}.{self.name}"

    def parameter(self, name: str) -> Parameter | None:
        return self._parameters_by_name.get(name)

    @functools.cached_property
    def _parameters_by_name(self) -> dict[str, Parameter]:
        found: dict[str, Parameter] = {}
        for parameter in self.parameters:
            found.setdefault(parameter.name, parameter)  # the first of a name, as a scan would find
        return found

    @functools.cached_property
    def required_params(self) -> tuple[str, ...]:
        """StackQL's order: sorted path and query parameters, then sorted body properties."""
        plain = sorted(p.name for p in self.parameters if p.required and p.location != "body")
        body = sorted(p.name for p in self.parameters if p.required and p.location == "body")
        return (*plain, *body)

    @property
    def response_properties(self) -> tuple[str, ...]:
        """Top-level fields of the success response, filled in by the loader."""
        return self.response_fields


@dataclass(frozen=True)
class Resource:
    """A resource and its methods, in manifest order."""

    id: str
    name: str
    title: str
    description: str
    methods: tuple[Method, ...]

    def method(self, name: str) -> Method | None:
        return next((m for m in self.methods if m.name == name), None)


@dataclass(frozen=True)
class Service:
    """One service document (OpenAPI 3 plus `x-stackQL-resources`)."""

    id: str
    name: str
    title: str
    description: str
    version: str
    preferred: bool
    document: Mapping[str, Any] = field(repr=False)
    resources: tuple[Resource, ...] = ()
    source: str = ""

    def resource(self, name: str) -> Resource | None:
        return next((r for r in self.resources if r.name == name), None)


@dataclass(frozen=True)
class AuthConfig:
    """A provider's default authentication: which environment variables hold the credentials."""

    type: str
    username_var: str | None = None
    password_var: str | None = None
    client_id_var: str | None = None
    client_secret_var: str | None = None
    token_url: str | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServiceEntry:
    """A service as `provider.yaml` lists it, before its document is read."""

    name: str
    id: str
    title: str
    description: str
    version: str
    preferred: bool
    path: str


@dataclass(frozen=True)
class Provider:
    """A provider: its services (read lazily) and default auth."""

    name: str
    version: str
    root: str
    services: tuple[ServiceEntry, ...]
    auth: AuthConfig | None
    source: str = ""

    def service_entry(self, name: str) -> ServiceEntry | None:
        return next((s for s in self.services if s.name == name), None)
