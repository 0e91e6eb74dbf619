"""The request schemas the emulator enforces, read once from the provider manifest (partner.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..manifest import documents
from ..manifest.registry import default_root
from ..validate import Check, SchemaValidator, Violation, compile_check, inline_refs

__all__ = ["Check", "RequestSchemas", "RequestValidator", "compile_check", "inline_refs", "load_schemas"]

SIGNUP_PATH = "/partner/v2/signup"
ACTIVATE_PATH = "/partner/v2/signup/activate"
LINK_PATH = "/partner/v2/signup/link"

ENTITLEMENTS_PATH = "/partner/v2/entitlements"


def manifest_path() -> Path:
    """The `partner` service document of the Confluent provider shipped with stackql-signups."""
    return default_root() / "confluent" / "v00.00.00000" / "services" / "partner.yaml"


class RequestValidator:
    """jsonschema validation (the authority, with one violation per problem) behind a compiled fast check.

    The fast check is compiled from the same schema (`stackql_signups.fastcheck`, shared with the engine):
    when it says "valid" the body is valid (it is never more lenient than jsonschema: tests compare the two
    on random bodies); otherwise jsonschema runs and explains.
    """

    def __init__(self, document: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
        inlined = inline_refs(document, schema)
        self.slow = SchemaValidator(document, inlined)
        self.fast = compile_check(inlined)

    def violations(self, instance: Any) -> list[Violation]:
        if self.fast is not None and self.fast(instance) is True:
            return []
        return self.slow.violations(instance)


@dataclass(frozen=True)
class RequestSchemas:
    """One compiled validator per operation body, built once per emulator."""

    signup: RequestValidator
    activate: RequestValidator
    link: RequestValidator
    entitlement: RequestValidator


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
        signup=RequestValidator(document, request_schema(document, SIGNUP_PATH)),
        activate=RequestValidator(document, request_schema(document, ACTIVATE_PATH)),
        link=RequestValidator(document, request_schema(document, LINK_PATH)),
        entitlement=RequestValidator(document, request_schema(document, ENTITLEMENTS_PATH)),
    )
