"""Validate a request body against a method's JSON schema; every violation is reported with its path.

A compiled check (`fastcheck`) accepts valid bodies without jsonschema; jsonschema (imported only when
needed: ~90 ms) decides the rest and explains every violation.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .fastcheck import Check, compile_check
from .manifest.schema import DOCUMENT_URI, inline_refs, pointer, rebase, registry

if TYPE_CHECKING:
    from jsonschema import exceptions as js_exceptions

__all__ = ["BodyValidator", "Check", "SchemaValidator", "Violation", "compile_check"]


@dataclass(frozen=True)
class Violation:
    """One way in which a body breaks its schema; `path` leads from the body's root to the field."""

    path: tuple[str | int, ...]
    message: str

    @property
    def dotted(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out or "(body)"

    @property
    def pointer(self) -> str:
        return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in self.path)

    def __str__(self) -> str:
        return f"{self.dotted}: {self.message}"


def _read_only(
    validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[js_exceptions.ValidationError]:
    # OpenAPI's readOnly means "set by the API": a request that carries such a field is refused.
    from jsonschema import exceptions as js_exceptions

    if value is True:
        yield js_exceptions.ValidationError("read-only, set by the API; remove it from the request")


@functools.cache
def _request_validator_class() -> Any:
    import jsonschema

    return jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        jsonschema.Draft202012Validator, {"readOnly": _read_only}
    )


class BodyValidator:
    """The compiled check first; jsonschema only for bodies it cannot call valid (and to explain them)."""

    def __init__(self, document: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
        self._document = document
        self._schema = schema
        self._slow: SchemaValidator | None = None
        try:
            self.fast: Check | None = compile_check(inline_refs(document, schema))
        except (KeyError, TypeError, ValueError, RecursionError):  # a cycle or a broken $ref: jsonschema only
            self.fast = None

    @property
    def slow(self) -> SchemaValidator:
        if self._slow is None:
            self._slow = SchemaValidator(self._document, self._schema)
        return self._slow

    def violations(self, instance: Any) -> list[Violation]:
        if self.fast is not None and self.fast(instance) is True:
            return []
        return self.slow.violations(instance)


class SchemaValidator:
    """jsonschema over one schema of an OpenAPI document (refs resolve inside the document)."""

    def __init__(self, document: Mapping[str, Any], schema: Mapping[str, Any]) -> None:
        self._document = document
        root = {"$id": DOCUMENT_URI + "#body", **rebase(schema)}
        self._validator = _request_validator_class()(root, registry=registry(document))

    def violations(self, instance: Any) -> list[Violation]:
        found: list[Violation] = []
        for error in self._validator.iter_errors(instance):
            found.extend(self._explain(error))
        return sorted(set(found), key=lambda v: (tuple(str(p) for p in v.path), v.message))

    def _explain(self, error: js_exceptions.ValidationError) -> list[Violation]:
        path = tuple(error.absolute_path)
        if error.validator == "oneOf" and error.context:
            return self._explain_one_of(error, path)
        if error.validator == "required":
            missing = str(error.message).split("'")[1] if "'" in str(error.message) else ""
            return [Violation((*path, missing), "required property")]
        if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
            allowed = sorted(self._properties_of(error.schema))
            extra = sorted(set(error.instance) - set(allowed))
            hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
            return [Violation((*path, name), "unknown field" + hint) for name in extra]
        return [Violation(path, _message(error))]

    def _explain_one_of(
        self, error: js_exceptions.ValidationError, path: tuple[str | int, ...]
    ) -> list[Violation]:
        """Report the errors of the form the instance most resembles, judged by the fields it names."""
        branches: dict[int, list[js_exceptions.ValidationError]] = {}
        for sub in error.context or []:
            branches.setdefault(int(sub.schema_path[0]), []).append(sub)
        if not branches:
            return [Violation(path, "matches more than one of the allowed forms")]
        options = error.schema.get("oneOf", []) if isinstance(error.schema, Mapping) else []
        keys = set(error.instance) if isinstance(error.instance, Mapping) else set()
        best = min(branches, key=lambda i: (-len(keys & self._properties_of(options[i])), i))
        return [v for sub in branches[best] for v in self._explain(sub)]

    def _properties_of(self, schema: Any) -> set[str]:
        """Property names a schema declares, through `$ref` and `allOf`."""
        if not isinstance(schema, Mapping):
            return set()
        names = set(schema.get("properties", {}))
        ref = schema.get("$ref")
        if isinstance(ref, str) and "#/" in ref:
            with contextlib.suppress(KeyError):  # a broken $ref declares no properties
                names |= self._properties_of(pointer(self._document, "#/" + ref.split("#/", 1)[1]))
        for sub in schema.get("allOf", []):
            names |= self._properties_of(sub)
        return names


def _message(error: js_exceptions.ValidationError) -> str:
    kind = error.validator
    schema_value: Any = error.validator_value
    instance = error.instance
    if kind == "type":
        return f"must be {_article(schema_value)}, got {_json_type(instance)}"
    if kind == "pattern":
        return f"{_short(instance)} does not match the pattern {schema_value}"
    if kind == "enum":
        return f"{_short(instance)} is not one of {', '.join(str(v) for v in list(schema_value))}"
    if kind == "minLength":
        return "must not be empty" if schema_value == 1 else f"must be at least {schema_value} characters"
    if kind == "maxLength":
        return f"must be at most {schema_value} characters"
    return str(error.message)


def _article(type_name: Any) -> str:
    if isinstance(type_name, list):
        return " or ".join(_article(t) for t in type_name)
    return {"object": "an object", "array": "an array", "integer": "an integer"}.get(
        str(type_name), f"a {type_name}"
    )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
