"""Build the model from manifest documents; a broken manifest is refused with its file and inner path."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._errors import ManifestError
from . import documents
from .model import AuthConfig, Method, Parameter, Provider, Resource, Service, ServiceEntry
from .rules import read_rules
from .schema import Document

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
SQL_VERBS = ("select", "insert", "update", "delete", "replace")


def find_providers(root: Path) -> dict[str, Path]:
    """Map provider name to the `provider.yaml` of its newest version under a registry root."""
    found: dict[str, Path] = {}
    if not root.is_dir():
        raise ManifestError(f"{root}: the provider registry folder does not exist")
    for provider_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        versions = find_versions(provider_dir)
        if versions:
            found[provider_dir.name] = versions[-1] / "provider.yaml"
    return found


def find_versions(provider_dir: Path) -> list[Path]:
    """The version folders of one provider that hold a `provider.yaml`, oldest first."""
    return sorted((v for v in provider_dir.iterdir() if (v / "provider.yaml").is_file()), key=_version_key)


def _version_key(path: Path) -> tuple[tuple[int, ...], str]:
    """Order versions by their numbers (v2 before v10), then by name."""
    return tuple(int(n) for n in re.findall(r"\d+", path.name)), path.name


def load_provider(root: Path, provider_file: Path) -> Provider:
    source = str(provider_file)
    reader = Document(documents.load(provider_file), source)
    doc = reader.mapping(reader.document, "(document)")
    name = reader.field(doc, "name", "")
    services_doc = reader.field(doc, "providerServices", "", dict)
    services = []
    for key, entry in services_doc.items():
        path = f"providerServices.{key}"
        entry = reader.mapping(entry, path)
        service_ref = reader.field(reader.field(entry, "service", path, dict), "$ref", f"{path}.service")
        services.append(
            ServiceEntry(
                name=str(entry.get("name", key)),
                id=str(entry.get("id", key)),
                title=str(entry.get("title", "")),
                description=str(entry.get("description", "")),
                version=str(entry.get("version", doc.get("version", ""))),
                preferred=bool(entry.get("preferred", True)),
                path=str(service_ref),
            )
        )
    return Provider(
        name=name,
        version=str(doc.get("version", provider_file.parent.name)),
        root=str(root),
        services=tuple(services),
        auth=_auth(reader, doc),
        source=source,
    )


def _inside_registry(provider: Provider, ref: str) -> Path:
    """The service file a provider's `$ref` names, refused unless it is a regular file inside the registry
    folder: a manifest must not read `../../etc/passwd`, an absolute path or a device."""
    import stat

    root = Path(provider.root).resolve()
    where = f"{provider.source}: providerServices $ref {ref!r}"
    if Path(ref).is_absolute() or "\x00" in ref:
        raise ManifestError(f"{where} must be a path inside the registry folder {root}")
    path = (root / ref).resolve()
    if not path.is_relative_to(root):
        raise ManifestError(f"{where} leaves the registry folder {root}")
    try:
        mode = path.stat().st_mode
    except OSError:
        return path  # reading it says what is wrong, naming the file
    if not stat.S_ISREG(mode):
        raise ManifestError(f"{where}: {path} is not a regular file")
    return path


def _auth(reader: Document, doc: Mapping[str, Any]) -> AuthConfig | None:
    config = doc.get("config", {})
    auth = reader.mapping(config, "config").get("auth") if config else None
    if auth is None:
        return None
    auth = reader.mapping(auth, "config.auth")
    kind = reader.field(auth, "type", "config.auth")
    if kind not in ("basic", "oauth2", "null_auth"):
        # Only what dispatch can send: a manifest asking for more is the manifest's error, not the user's.
        raise reader.fail(
            "config.auth.type", f"auth type {kind!r} is not supported (basic, oauth2, null_auth)"
        )
    return AuthConfig(
        type=kind,
        username_var=auth.get("username_var"),
        password_var=auth.get("password_var"),
        client_id_var=auth.get("client_id_env_var") or auth.get("client_id_var"),
        client_secret_var=auth.get("client_secret_env_var") or auth.get("client_secret_var"),
        token_url=auth.get("token_url"),
        scopes=tuple(auth.get("scopes", ())),
    )


def load_service(provider: Provider, entry: ServiceEntry) -> Service:
    path = _inside_registry(provider, entry.path)
    source = str(path)
    reader = Document(documents.load(path), source)
    doc = reader.mapping(reader.document, "(document)")
    reader.field(doc, "paths", "", dict)
    components = reader.field(doc, "components", "", dict)
    resources_doc = reader.field(components, "x-stackQL-resources", "components", dict)
    servers = tuple(
        str(reader.field(reader.mapping(s, f"servers[{i}]"), "url", f"servers[{i}]"))
        for i, s in enumerate(doc.get("servers", []))
    )
    resources = tuple(
        _resource(reader, provider, entry, key, resource, servers) for key, resource in resources_doc.items()
    )
    return Service(
        id=entry.id,
        name=entry.name,
        title=entry.title,
        description=entry.description,
        version=entry.version,
        preferred=entry.preferred,
        document=doc,
        resources=resources,
        source=source,
    )


def _resource(
    reader: Document,
    provider: Provider,
    entry: ServiceEntry,
    key: str,
    resource: Any,
    servers: tuple[str, ...],
) -> Resource:
    path = f"components.x-stackQL-resources.{key}"
    resource = reader.mapping(resource, path)
    name = str(resource.get("name", key))
    resource_id = str(resource.get("id", f"{provider.name}.{entry.name}.{name}"))
    verbs = _sql_verbs(reader, resource, path)
    methods_doc = reader.field(resource, "methods", path, dict)
    methods = tuple(
        _method(reader, resource_id, method_name, method, f"{path}.methods.{method_name}", verbs, servers)
        for method_name, method in methods_doc.items()
    )
    return Resource(
        id=resource_id,
        name=name,
        title=str(resource.get("title", name)),
        description=str(resource.get("description", "")),
        methods=methods,
    )


def _sql_verbs(reader: Document, resource: Mapping[str, Any], path: str) -> dict[str, str]:
    """Map a method's `#/.../methods/<name>` to the SQL verb that lists it."""
    verbs: dict[str, str] = {}
    sql_verbs = reader.mapping(resource.get("sqlVerbs", {}) or {}, f"{path}.sqlVerbs")
    for verb, refs in sql_verbs.items():
        if verb not in SQL_VERBS:
            raise reader.fail(
                f"{path}.sqlVerbs.{verb}", f"unknown SQL verb (use one of {', '.join(SQL_VERBS)})"
            )
        for i, ref in enumerate(refs or []):
            target = reader.mapping(ref, f"{path}.sqlVerbs.{verb}[{i}]").get("$ref", "")
            verbs[str(target).rsplit("/", 1)[-1]] = verb.upper()
    return verbs


def _method(
    reader: Document,
    resource_id: str,
    name: str,
    method: Any,
    path: str,
    verbs: dict[str, str],
    servers: tuple[str, ...],
) -> Method:
    method = reader.mapping(method, path)
    operation_ref = reader.field(reader.field(method, "operation", path, dict), "$ref", f"{path}.operation")
    operation = reader.mapping(
        reader.resolve({"$ref": operation_ref}, f"{path}.operation.$ref"), operation_ref
    )
    pointer = operation_ref.split("/")
    http_method = pointer[-1].lower() if pointer else ""
    if http_method not in HTTP_METHODS or len(pointer) < 3:
        raise reader.fail(f"{path}.operation.$ref", "must point at '#/paths/<path>/<http method>'")
    http_path = pointer[-2].replace("~1", "/").replace("~0", "~")
    parameters = [
        _parameter(reader, p, f"{operation_ref}.parameters[{i}]")
        for i, p in enumerate(operation.get("parameters", []))
    ]
    body_schema, media_type = _request_body(reader, operation, operation_ref)
    if body_schema is not None:
        properties, required = reader.object_shape(body_schema, f"{operation_ref}.requestBody")
        for prop_name, prop_schema in properties.items():
            resolved = reader.mapping(reader.resolve(prop_schema, f"{operation_ref}.requestBody"), prop_name)
            parameters.append(
                Parameter(
                    name=prop_name,
                    location="body",
                    required=prop_name in required,
                    schema=prop_schema,
                    description=_describe(reader, prop_schema, resolved),
                    secret=bool(resolved.get("x-redact") or resolved.get("x-secret")),
                    type_name=reader.type_of(prop_schema, f"{operation_ref}.requestBody.{prop_name}"),
                )
            )
    response = reader.mapping(method.get("response", {}) or {}, f"{path}.response")
    status = str(response.get("openAPIDocKey", "200"))
    response_schema = _response_schema(reader, operation, response, status, operation_ref)
    security_scopes = tuple(
        scope
        for requirement in operation.get("security", []) or []
        for scopes in reader.mapping(requirement, f"{operation_ref}.security").values()
        for scope in scopes or []
    )
    return Method(
        name=name,
        resource_id=resource_id,
        sql_verb=verbs.get(name, "EXEC"),
        http_method=http_method.upper(),
        path=http_path,
        operation_id=str(operation.get("operationId", name)),
        summary=str(operation.get("summary", "")),
        description=" ".join(str(operation.get("description", operation.get("summary", ""))).split()),
        parameters=tuple(parameters),
        body_schema=body_schema,
        body_media_type=media_type,
        response_schema=response_schema,
        response_status=status,
        servers=servers,
        security_scopes=security_scopes,
        response_fields=tuple(reader.object_shape(response_schema, f"{path}.response")[0])
        if response_schema is not None
        else (),
        outcome=read_rules(method, f"{reader.source}: {path}"),
        object_key=_object_key(reader, response, path),
    )


def _object_key(reader: Document, response: Mapping[str, Any], path: str) -> str | None:
    """`objectKey: $.data` (StackQL's): the rows of a list answer are that top-level array."""
    key = response.get("objectKey")
    if key is None:
        return None
    if not isinstance(key, str) or not re.fullmatch(r"\$\.[A-Za-z_][A-Za-z0-9_]*", key):
        raise reader.fail(f"{path}.response.objectKey", "must be '$.<field>' (a top-level field)")
    return key


def _describe(reader: Document, schema: Any, resolved: Mapping[str, Any]) -> str:
    text = resolved.get("description") or (schema.get("description") if isinstance(schema, Mapping) else "")
    if not text and isinstance(resolved.get("allOf"), list) and resolved["allOf"]:
        first = reader.resolve(resolved["allOf"][0], "allOf")
        text = first.get("description", "") if isinstance(first, Mapping) else ""
    return " ".join(str(text or "").split())


def _parameter(reader: Document, raw: Any, path: str) -> Parameter:
    param = reader.mapping(reader.resolve(raw, path), path)
    name = reader.field(param, "name", path)
    location = reader.field(param, "in", path)
    if location not in ("query", "path", "header", "cookie"):
        raise reader.fail(f"{path}.in", f"unknown parameter location {location!r}")
    schema = reader.mapping(param.get("schema", {"type": "string"}), f"{path}.schema")
    return Parameter(
        name=name,
        location=location,
        required=bool(param.get("required", location == "path")),
        schema=schema,
        description=" ".join(str(param.get("description", "")).split()),
        secret=bool(param.get("x-redact") or schema.get("x-redact")),
        type_name=reader.type_of(schema, f"{path}.schema"),
    )


def _request_body(
    reader: Document, operation: Mapping[str, Any], path: str
) -> tuple[Mapping[str, Any] | None, str]:
    body = operation.get("requestBody")
    if body is None:
        return None, ""
    body = reader.mapping(reader.resolve(body, f"{path}.requestBody"), f"{path}.requestBody")
    content = reader.field(body, "content", f"{path}.requestBody", dict)
    media_type = "application/json" if "application/json" in content else next(iter(content), "")
    media = reader.mapping(content.get(media_type, {}), f"{path}.requestBody.content.{media_type}")
    schema = reader.field(media, "schema", f"{path}.requestBody.content.{media_type}", dict)
    return schema, media_type


def _response_schema(
    reader: Document, operation: Mapping[str, Any], response: Mapping[str, Any], status: str, path: str
) -> Mapping[str, Any] | None:
    if "schemaRef" in response:
        ref = str(response["schemaRef"])
        reader.resolve({"$ref": ref}, f"{path}.response.schemaRef")
        return {"$ref": ref}
    responses = reader.mapping(operation.get("responses", {}), f"{path}.responses")
    answer = responses.get(status)
    if answer is None:
        return None
    answer = reader.mapping(
        reader.resolve(answer, f"{path}.responses.{status}"), f"{path}.responses.{status}"
    )
    media = reader.mapping(answer.get("content", {}), f"{path}.responses.{status}.content")
    json_media = media.get(str(response.get("mediaType", "application/json")))
    if not isinstance(json_media, Mapping) or "schema" not in json_media:
        return None
    return reader.mapping(json_media["schema"], f"{path}.responses.{status}.schema")
