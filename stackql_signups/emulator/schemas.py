"""The request schemas the emulator enforces, read once from the provider manifest (partner.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..manifest import documents
from ..manifest.registry import default_root
from ..validate import BodyValidator

__all__ = ["BodyValidator", "RequestSchemas", "load_schemas"]

SIGNUP_PATH = "/partner/v2/signup"
ACTIVATE_PATH = "/partner/v2/signup/activate"
LINK_PATH = "/partner/v2/signup/link"

ENTITLEMENTS_PATH = "/partner/v2/entitlements"


def manifest_path() -> Path:
    """The `partner` service document of the Confluent provider shipped with stackql-signups."""
    return default_root() / "confluent" / "v00.00.00000" / "services" / "partner.yaml"


@dataclass(frozen=True)
class RequestSchemas:
    """One compiled validator per operation body, built once per emulator."""

    signup: BodyValidator
    activate: BodyValidator
    link: BodyValidator
    entitlement: BodyValidator


def request_schema(document: Mapping[str, Any], path: str, method: str = "post") -> Mapping[str, Any]:
    """The `application/json` request body schema of an operation in an OpenAPI document."""
    schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    if not isinstance(schema, Mapping):
        raise TypeError(f"{path} {method}: the request body schema is not a mapping")
    return schema


def load_schemas(path: Path | None = None) -> RequestSchemas:
    """Compile the validators for the three operations (and entitlement creation) from the manifest."""
    document = documents.load(path or manifest_path())
    return RequestSchemas(
        signup=BodyValidator(document, request_schema(document, SIGNUP_PATH)),
        activate=BodyValidator(document, request_schema(document, ACTIVATE_PATH)),
        link=BodyValidator(document, request_schema(document, LINK_PATH)),
        entitlement=BodyValidator(document, request_schema(document, ENTITLEMENTS_PATH)),
    )
