"""The columns of a resource: the fields of one row of its select methods' answers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..manifest import Method
from ..manifest.registry import Target
from ..manifest.schema import Document

SQLITE_TYPES = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}


@dataclass(frozen=True)
class Column:
    """One column: its name, JSON type, and description from the manifest."""

    name: str
    type_name: str
    description: str = ""

    @property
    def is_json(self) -> bool:
        """Objects and arrays are stored as JSON text in SQLite and shown as nested JSON."""
        return self.type_name in ("object", "array")

    @property
    def sqlite_type(self) -> str:
        return SQLITE_TYPES.get(self.type_name, "TEXT")


def row_schema(reader: Document, method: Method) -> Any:
    """The schema of one row of `method`'s answer: the answer itself, or its `objectKey` array's items."""
    schema = method.response_schema
    if schema is None or method.object_key is None:
        return schema
    properties, _ = reader.object_shape(schema, f"{method.key}.response")
    items = reader.resolve(properties.get(method.object_key[2:], {}), f"{method.key}.{method.object_key}")
    return items.get("items") if isinstance(items, Mapping) else None


def method_columns(reader: Document, method: Method) -> tuple[Column, ...]:
    schema = row_schema(reader, method)
    if schema is None:
        return ()
    properties, _ = reader.object_shape(schema, f"{method.key}.response")
    out = []
    for name, sub in properties.items():
        resolved = reader.resolve(sub, name)
        text = resolved.get("description", "") if isinstance(resolved, Mapping) else ""
        out.append(Column(name, reader.type_of(sub, name), " ".join(str(text).split())))
    return tuple(out)


def resource_columns(target: Target) -> tuple[Column, ...]:
    """Every column any select method of the resource returns, in the first method's order."""
    reader = Document(target.service.document, target.service.source)
    found: dict[str, Column] = {}
    for method in target.resource.methods:
        if method.sql_verb == "SELECT":
            for column in method_columns(reader, method):
                found.setdefault(column.name, column)
    return tuple(found.values())
