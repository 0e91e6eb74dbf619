"""Schemas in the manifest's documents: the one place a `$ref` is resolved.

`pointer` follows a local reference (`#/components/...`) for everything read at start-up (the loader,
DESCRIBE, templates, secret fields, the compiled check), without importing a JSON Schema library;
`registry` gives jsonschema the same document through `referencing` when a body must be explained. The
engine and the emulator use both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._errors import ManifestError

if TYPE_CHECKING:
    from referencing import Registry

DOCUMENT_URI = "urn:stackql-signups:document"
"""The URI a document is registered under for jsonschema; `rebase` points local refs at it."""
MAX_DEPTH = 32
"""References followed in a row before a chain is called a cycle."""


def pointer(document: Any, ref: str) -> Any:
    """The node a local `$ref` (`#/a/b`, JSON Pointer escapes) names; `KeyError` when it names nothing."""
    if not ref.startswith("#/"):
        raise KeyError(ref)
    target: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, Mapping) or part not in target:
            raise KeyError(ref)
        target = target[part]
    return target


def inline_refs(document: Mapping[str, Any], schema: Any, depth: int = 0) -> Any:
    """The schema with each local `$ref` replaced by its target, so a check never resolves one at run time.

    A `$ref` cycle stops at depth 64 with a ValueError; a reference that does not resolve raises KeyError.
    """
    if depth > 64:
        raise ValueError("the manifest's schemas refer to themselves (a $ref cycle)")
    if isinstance(schema, Mapping):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            resolved = inline_refs(document, pointer(document, ref), depth + 1)
            return {"allOf": [resolved], **inline_refs(document, rest, depth)} if rest else resolved
        return {k: inline_refs(document, v, depth) for k, v in schema.items()}
    if isinstance(schema, list):
        return [inline_refs(document, v, depth) for v in schema]
    return schema


def registry(document: Mapping[str, Any]) -> Registry[Any]:
    """A `referencing` registry holding `document` at `DOCUMENT_URI` (imports referencing: ~80 ms)."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource.from_contents(dict(document), default_specification=DRAFT202012)
    held: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
    return held


def rebase(schema: Any) -> Any:
    """The schema with its local refs (`#/components/...`) pointed at the document in `registry`."""
    if isinstance(schema, Mapping):
        return {
            k: (DOCUMENT_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else rebase(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [rebase(v) for v in schema]
    return schema


class Document:
    """Reads fields of one document and names the file and the path of whatever is missing or wrong."""

    def __init__(self, document: Any, source: str) -> None:
        self.document = document
        self.source = source

    def fail(self, path: str, problem: str) -> ManifestError:
        return ManifestError(f"{self.source}: {path}: {problem}")

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(path, f"must be a mapping, found {type(value).__name__}")
        return value

    def field(self, parent: Mapping[str, Any], key: str, path: str, kind: type = str) -> Any:
        if key not in parent:
            raise self.fail(f"{path}.{key}" if path else key, "is missing")
        value = parent[key]
        if kind is dict:
            return self.mapping(value, f"{path}.{key}" if path else key)
        if not isinstance(value, kind):
            raise self.fail(f"{path}.{key}" if path else key, f"must be a {kind.__name__}")
        return value

    def resolve(self, node: Any, path: str, depth: int = 0) -> Any:
        """Follow a local `$ref` (`#/a/b`); `ManifestError` naming `path` when it cannot."""
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#/") or depth > MAX_DEPTH:
                raise self.fail(path, f"$ref {ref!r} must point inside this document ('#/...')")
            try:
                node = pointer(self.document, ref)
            except KeyError:
                raise self.fail(path, f"$ref {ref!r} does not resolve") from None
            depth += 1
        return node

    def type_of(self, schema: Any, path: str, depth: int = 0) -> str:
        """The JSON type a schema describes, following `$ref`, `allOf`, `oneOf` and `anyOf`."""
        schema = self.resolve(schema, path)
        if not isinstance(schema, Mapping) or depth > 16:
            return "string"
        if isinstance(schema.get("type"), str):
            return str(schema["type"])
        if "properties" in schema:
            return "object"
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in schema.get(key) or []:
                kind = self.type_of(sub, path, depth + 1)
                if kind != "string" or "type" in (self.resolve(sub, path) or {}):
                    return kind
        return "string"

    def object_shape(self, schema: Any, path: str) -> tuple[dict[str, Any], set[str]]:
        """Top-level properties and required names of an object schema, through `$ref` and `allOf`."""
        schema = self.mapping(self.resolve(schema, path), path)
        properties: dict[str, Any] = dict(self.mapping(schema.get("properties", {}), f"{path}.properties"))
        required = set(schema.get("required", []))
        for i, part in enumerate(schema.get("allOf", [])):
            sub_props, sub_required = self.object_shape(part, f"{path}.allOf[{i}]")
            properties.update(sub_props)
            required |= sub_required
        return properties, required
