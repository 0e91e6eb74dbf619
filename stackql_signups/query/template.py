"""`SHOW INSERT [/*+ REQUIRED */] INTO resource`: a ready-to-fill INSERT, as the provider docs print it."""

from __future__ import annotations

from collections.abc import Mapping

from .._errors import BindError, Location
from ..answer import NO_SELECT
from ..manifest import Registry
from ..manifest.schema import Document
from ..results import ResultSet
from ..sql.statements import ShowInsertTemplate
from .columns import resource_columns


def insert_template(
    statement: ShowInsertTemplate, registry: Registry, default_provider: str | None, where: Location
) -> ResultSet:
    target = registry.resource_target(statement.name, default_provider, where)
    method = next((m for m in target.resource.methods if m.sql_verb == "INSERT"), None)
    if method is None:
        raise BindError(NO_SELECT.format(verb="INSERT"), location=where)
    reader = Document(target.service.document, target.service.source)
    fields = []
    for param in method.parameters:
        if param.location != "body" or (statement.required_only and not param.required):
            continue
        resolved = reader.resolve(param.schema, param.name)
        if isinstance(resolved, Mapping) and resolved.get("readOnly"):
            continue  # the API sets it (id, metadata, kind): nothing to insert
        fields.append(param)
    fields.sort(key=lambda p: (not p.required, p.name))
    lines = [f"INSERT INTO {target.resource.id} ("]
    lines += [f"{p.name}{',' if i < len(fields) - 1 else ''}" for i, p in enumerate(fields)]
    lines += [")", "SELECT"]
    for i, p in enumerate(fields):
        value = f"'{{{{ {p.name} }}}}'"
        note = " /* required */" if p.required else ""
        lines.append(f"{value}{note}{',' if i < len(fields) - 1 else ''}")
    returned = ", ".join(c.name for c in resource_columns(target))
    lines += ["RETURNING", f"{returned};"] if returned else []
    text = "\n".join(lines) if returned else "\n".join(lines) + ";"
    return ResultSet(("template",), ((text,),), statement.source.number)
