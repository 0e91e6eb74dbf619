"""`SHOW EXEC [/*+ REQUIRED */] method`: a ready-to-fill EXEC statement derived from the method's schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._errors import Location
from .manifest import Method, Registry
from .manifest.schema import Document
from .results import ResultSet
from .sql.statements import ShowExecTemplate

_INDENT = "  "


def exec_template(
    statement: ShowExecTemplate, registry: Registry, default_provider: str | None, where: Location
) -> ResultSet:
    target = registry.method_target(statement.name, default_provider, where)
    method = target.method
    assert method is not None
    reader = Document(target.service.document, target.service.source)
    text = render_template(method, reader, statement.required_only)
    return ResultSet(("template",), ((text,),), statement.source.number)


def render_template(method: Method, reader: Document, required_only: bool) -> str:
    lines = [f"EXEC {method.key}"]
    for param in method.parameters:
        if param.location == "body" or (required_only and not param.required):
            continue
        value = f"'{{{{ {param.name} }}}}'" if param.type_name == "string" else f"{{{{ {param.name} }}}}"
        lines.append(f"@{param.name}={value}")
    if method.body_schema is not None:
        skeleton = _skeleton(reader, method.body_schema, (), required_only)
        body = _write(skeleton, 0)
        lines.append("@@json='" + body.replace("'", "''") + "'")
    return "\n".join(lines) + ";"


class _Placeholder:
    """A leaf of the skeleton: `{{ name }}`, quoted when the field is a string."""

    def __init__(self, name: str, quoted: bool) -> None:
        self.name = name
        self.quoted = quoted


def _skeleton(
    reader: Document, schema: Any, path: tuple[str, ...], required_only: bool, depth: int = 0
) -> Any:
    schema = reader.resolve(schema, ".".join(path))
    if not isinstance(schema, Mapping) or depth > 12:
        return _Placeholder("_".join(path) or "value", True)
    if schema.get("oneOf"):  # the first form is the usual one (entitlement details)
        return _skeleton(reader, schema["oneOf"][0], path, required_only, depth + 1)
    properties, required = reader.object_shape(schema, ".".join(path))
    if properties:
        out: dict[str, Any] = {}
        for name, sub in properties.items():
            resolved = reader.resolve(sub, name)
            if isinstance(resolved, Mapping) and resolved.get("readOnly"):
                continue
            if required_only and name not in required:
                continue
            out[name] = _skeleton(reader, sub, (*path, name), required_only, depth + 1)
        return out
    enum = schema.get("enum")
    if isinstance(enum, list) and len(enum) == 1:
        return enum[0]
    kind = reader.type_of(schema, ".".join(path))
    if kind == "object":
        return _Placeholder("_".join(path), False)
    return _Placeholder("_".join(path), kind == "string")


def _write(node: Any, level: int) -> str:
    pad = _INDENT * (level + 1)
    if isinstance(node, dict):
        if not node:
            return "{}"
        items = [f"{pad}{json.dumps(k)}: {_write(v, level + 1)}" for k, v in node.items()]
        return "{\n" + ",\n".join(items) + "\n" + _INDENT * level + "}"
    if isinstance(node, _Placeholder):
        return f'"{{{{ {node.name} }}}}"' if node.quoted else f"{{{{ {node.name} }}}}"
    return json.dumps(node)
