"""Bind an EXEC statement to its method: check the parameters and assemble the request body."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import BindError, Location, ValidationError
from .manifest import Method, Parameter, Registry, Target
from .manifest.schema import Document
from .sql import splitter
from .sql.lexical import first_code
from .sql.statements import Exec, Param, Reference, Scalar

PathKey = tuple[str | int, ...]
BODY_PREFIX = "data__"
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)\}\Z")


@dataclass(frozen=True)
class Call:
    """A method with its arguments, ready to validate and plan."""

    target: Target
    query: tuple[tuple[str, Scalar], ...]
    path_params: tuple[tuple[str, Scalar], ...]
    body: dict[str, Any] | None
    label: str | None
    hints: tuple[str, ...]
    secret_paths: tuple[PathKey, ...]
    references: tuple[tuple[PathKey, Reference], ...]
    source: Any  # sql.statements.Source

    @property
    def method(self) -> Method:
        assert self.target.method is not None
        return self.target.method


@dataclass
class BindState:
    """What binding remembers from one statement to the next: `USE` and the labels of earlier EXECs."""

    default_provider: str | None = None
    labels: dict[str, Method] = field(default_factory=dict)
    secrets: dict[str, tuple[PathKey, ...]] = field(default_factory=dict)  # per method, computed once

    def copy(self) -> BindState:
        """A copy that can change without changing this one (the secrets cache is shared)."""
        return BindState(self.default_provider, dict(self.labels), self.secrets)


class Binder:
    """Binds the EXEC statements of one script in order, remembering statement labels for chaining."""

    def __init__(self, registry: Registry, script: str, state: BindState | None = None) -> None:
        self.registry = registry
        self.script = script
        self.state = state if state is not None else BindState()
        self.script_labels: set[str] = set()  # a label names one EXEC per script; a later script may reuse it
        self._targets: dict[tuple[tuple[str, ...], str | None], Target] = {}  # a script repeats its methods

    @property
    def default_provider(self) -> str | None:
        return self.state.default_provider

    @default_provider.setter
    def default_provider(self, value: str | None) -> None:
        self.state.default_provider = value

    @property
    def labels(self) -> dict[str, Method]:
        return self.state.labels

    def where(self, statement: Exec, offset: int | None = None) -> Location:
        start = statement.source.offset + (
            offset if offset is not None else first_code(statement.source.text)
        )
        return splitter.location(self.script, start, statement.source.number, statement.source.anchor)

    def bind(self, statement: Exec) -> Call:
        key = (statement.name, self.default_provider)
        target = self._targets.get(key)
        if target is None:
            target = self.registry.method_target(statement.name, self.default_provider, self.where(statement))
            self._targets[key] = target
        method = target.method
        assert method is not None
        query: list[tuple[str, Scalar]] = []
        path_params: list[tuple[str, Scalar]] = []
        body: dict[str, Any] | None = None
        references: list[tuple[PathKey, Reference]] = []
        if statement.json_body is not None:
            body = self._json_object(statement, statement.json_body, "@@json")
        for param in statement.params:
            spec = method.parameter(param.name)
            if spec is None and param.name.startswith(BODY_PREFIX):
                # StackQL's older registry names body fields `data__<field>`; accept that spelling too.
                spec = method.parameter(param.name[len(BODY_PREFIX) :])
                spec = spec if spec is not None and spec.location == "body" else None
            if spec is None:
                raise self._unknown_param(statement, method, param)
            if spec.name != param.name:
                param = Param(spec.name, param.value, param.offset, param.at)
            if isinstance(param.value, Reference):
                if spec.location != "body":  # one in the body is found (and checked) with the body's
                    references.append(((param.name,), param.value))
                value: Any = _Spelled(f"${{{param.value}}}")
            elif spec.location == "body":
                value = self._body_value(statement, spec, param)
            else:
                value = self._scalar(statement, spec, param)
            if spec.location == "body":
                body = {} if body is None else body
                if param.name in body:
                    raise BindError(
                        f"@{param.name} is given both as a parameter and inside @@json",
                        location=self.where(statement, param.offset),
                        hint="give it in one place only",
                    )
                body[param.name] = value
            elif spec.location == "path":
                path_params.append((param.name, value))
            else:
                query.append((param.name, value))
        self._check_required(statement, method, query, path_params, body)
        if body is not None and _may_refer(statement):
            references.extend(self._references(statement, body))
        if statement.label is not None:
            if statement.label in self.script_labels:
                raise BindError(
                    f"label '{statement.label}' is used twice",
                    location=self.where(statement),
                    hint="give each EXEC its own label",
                )
            self.script_labels.add(statement.label)
            self.labels[statement.label] = method
        return Call(
            target=target,
            query=tuple(query),
            path_params=tuple(path_params),
            body=body,
            label=statement.label,
            hints=statement.hints,
            secret_paths=self._secret_paths(target),
            references=tuple(references),
            source=statement.source,
        )

    def _secret_paths(self, target: Target) -> tuple[PathKey, ...]:
        method = target.method
        assert method is not None
        cached = self.state.secrets.get(method.key)
        if cached is None:
            cached = self.state.secrets[method.key] = secret_paths(
                target.service.document, method.body_schema, target.service.source
            )
        return cached

    def _unknown_param(self, statement: Exec, method: Method, param: Param) -> BindError:
        names = [p.name for p in method.parameters]
        close = difflib.get_close_matches(param.name, names, n=1, cutoff=0.6)
        return BindError(
            f"unknown parameter @{param.name} for method {method.name}",
            location=self.where(statement, param.at if param.at >= 0 else param.offset),
            hint=(f"did you mean @{close[0]}? " if close else "") + "parameters: " + ", ".join(names),
        )

    def _json_object(self, statement: Exec, param: Param, what: str) -> dict[str, Any]:
        text = str(param.value)
        try:
            value = _loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"{what} is not valid JSON: {exc.msg}",
                location=self.where(
                    statement, _raw_offset(statement.source.text, param.offset, text, exc.pos)
                ),
                hint="check quotes and commas; inside the SQL string write '' for a single quote",
            ) from None
        except RecursionError:
            raise ValidationError(f"{what} is nested too deeply", location=self.where(statement)) from None
        except ValueError as exc:  # NaN/Infinity, or an integer longer than Python reads
            raise ValidationError(
                f"{what} is not valid JSON: {_why(exc)}", location=self.where(statement, param.offset)
            ) from None
        if not isinstance(value, dict):
            raise ValidationError(
                f"{what} must be a JSON object, got {type(value).__name__}",
                location=self.where(statement, param.offset),
                hint=f"write {what}='{{\"name\": ...}}'",
            )
        return value

    def _body_value(self, statement: Exec, spec: Parameter, param: Param) -> Any:
        value = param.value
        if spec.type_name in ("object", "array") and isinstance(value, str):
            try:
                return _loads(value)
            except json.JSONDecodeError as exc:
                raise ValidationError(
                    f"@{param.name} must be a JSON {spec.type_name}: {exc.msg}",
                    location=self.where(
                        statement, _raw_offset(statement.source.text, param.offset, value, exc.pos)
                    ),
                    hint=f"write @{param.name}='{{...}}' with JSON inside the quotes",
                ) from None
            except RecursionError:
                raise ValidationError(f"@{param.name} is nested too deeply") from None
            except ValueError as exc:  # NaN/Infinity, or an integer longer than Python reads
                raise ValidationError(
                    f"@{param.name} is not valid JSON: {_why(exc)}",
                    location=self.where(statement, param.offset),
                ) from None
        return value

    def _scalar(self, statement: Exec, spec: Parameter, param: Param) -> Scalar:
        value = param.value
        assert not isinstance(value, Reference)  # references are bound before scalars are read
        kind = spec.type_name
        if kind == "boolean" and isinstance(value, bool):
            return value  # the usual case: no need to work out where the value stands
        where = self.where(statement, param.offset)
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise ValidationError(
                f"@{param.name} must be true or false", location=where, hint=f"write @{param.name}=true"
            )
        if kind in ("integer", "number"):
            return _number(param.name, value, kind, where)
        if value is None and spec.required:
            raise ValidationError(f"@{param.name} must not be NULL", location=where)
        if spec.location == "path" and (value is None or value == ""):
            raise ValidationError(
                f"@{param.name} must not be empty: it is part of the URL path", location=where
            )
        return value if value is None or isinstance(value, str) else json.dumps(value)

    def _check_required(
        self,
        statement: Exec,
        method: Method,
        query: list[tuple[str, Scalar]],
        path_params: list[tuple[str, Scalar]],
        body: dict[str, Any] | None,
    ) -> None:
        missing = [
            name
            for name in method.required_params
            if not (body is not None and name in body)
            and all(name != given for given, _ in query)
            and all(name != given for given, _ in path_params)
        ]
        if missing:
            raise BindError(
                f"required param not supplied for exec: could not find variable '{missing[0]}'"
                + (f" (also missing: {', '.join(missing[1:])})" if len(missing) > 1 else ""),
                location=self.where(statement),
                hint=f"{method.name} needs {', '.join(method.required_params)}; give them as @name=... "
                "or as fields of @@json",
            )

    def _references(self, statement: Exec, body: Any, path: PathKey = ()) -> list[tuple[PathKey, Reference]]:
        found: list[tuple[PathKey, Reference]] = []
        if isinstance(body, dict):
            for key, value in body.items():
                found.extend(self._references(statement, value, (*path, key)))
        elif isinstance(body, list):
            for i, value in enumerate(body):
                found.extend(self._references(statement, value, (*path, i)))
        elif isinstance(body, _Spelled) and (match := _REFERENCE.match(body)):
            label, field = match.groups()
            earlier = self.labels.get(label)
            if earlier is None:
                known = ", ".join(self.labels) or "none yet"
                raise BindError(
                    f"'{body}' refers to label '{label}', which no earlier EXEC defines",
                    location=self.where(statement),
                    hint=f"label an earlier EXEC with /*+ AS {label} */; labels so far: {known}",
                )
            fields = _response_fields(earlier)
            if fields and field not in fields:
                raise BindError(
                    f"'{body}': {earlier.name} responses have no field '{field}'",
                    location=self.where(statement),
                    hint="fields: " + ", ".join(sorted(fields)),
                )
            found.append((path, Reference(label, field)))
        return found


def _number(name: str, value: Scalar, kind: str, where: Location) -> int | float:
    """A number parameter's value; an integer parameter takes only whole numbers."""
    wanted = "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValidationError(f"@{name} must be {wanted}", location=where)
    try:
        number = float(value)
    except ValueError:
        raise ValidationError(f"@{name} must be {wanted}", location=where) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValidationError(f"@{name} must be {wanted}", location=where)
    if kind == "integer":
        if not number.is_integer():
            raise ValidationError(f"@{name} must be a whole number, got {value}", location=where)
        return int(value) if isinstance(value, int) else int(number)
    return value if isinstance(value, (int, float)) else number


def _not_json(name: str) -> Any:
    # json accepts NaN and Infinity, which JSON does not have; nor does the API.
    raise ValueError(f"{name} is not a JSON value (write a number or null)")


_DECODER = json.JSONDecoder(parse_constant=_not_json)


class _Spelled(str):
    """A JSON string written `"${label.field}"` in the statement's text: a reference to an earlier result.

    Only the text as written counts: a template value is written `"\\u0024{...}"`, which stays data.
    """


def _spelled_string(text: str, end: int, strict: bool = True) -> tuple[str, int]:
    value, after = json.decoder.scanstring(text, end, strict)  # type: ignore[attr-defined]
    return (_Spelled(value), after) if text.startswith("${", end) else (value, after)


def _spelling_decoder() -> json.JSONDecoder:
    import json.scanner

    decoder = json.JSONDecoder(parse_constant=_not_json)
    decoder.parse_string = _spelled_string  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder


_SPELLING = _spelling_decoder()


def _loads(text: str) -> Any:
    """json.loads(text), a little faster for the usual text: a document with nothing around it.

    Text that spells `${` is read by a decoder that marks each string written as a reference."""
    if "${" in text:
        return _SPELLING.decode(text)
    try:
        value, end = _DECODER.raw_decode(text)
    except json.JSONDecodeError:
        return json.loads(text, parse_constant=_not_json)  # white space first, or a mistake: it says what
    return value if end == len(text) else json.loads(text)


def _may_refer(statement: Exec) -> bool:
    """Whether the body can hold a `${label.field}` reference: some text of the statement spells `${`,
    or a parameter is a reference. Walking every body costs."""
    items = [*statement.params, statement.json_body] if statement.json_body else statement.params
    for param in items:
        value = param.value
        if isinstance(value, Reference) or (isinstance(value, str) and "${" in value):
            return True
    return False


def _response_fields(method: Method) -> set[str]:
    return set(method.response_properties)


def _raw_offset(statement_text: str, value_offset: int, value: str, pos: int) -> int:
    """Offset in the statement of character `pos` of a quoted string value (`''` stands for one quote)."""
    if value_offset >= len(statement_text) or statement_text[value_offset] != "'":
        return value_offset
    return value_offset + 1 + pos + value.count("'", 0, pos)


def secret_paths(
    document: Mapping[str, Any], schema: Mapping[str, Any] | None, source: str = "(manifest)"
) -> tuple[PathKey, ...]:
    """Paths of the body fields marked `x-redact` (or `x-secret`), through refs, allOf and oneOf."""
    if schema is None:
        return ()
    reader = Document(document, source)
    found: list[PathKey] = []

    def walk(node: Any, path: PathKey, depth: int) -> None:
        if depth > 16:
            return
        node = reader.resolve(node, "request body schema" + "".join(f".{p}" for p in path))
        if not isinstance(node, Mapping):
            return
        if path and (node.get("x-redact") or node.get("x-secret")):
            found.append(path)
            return
        for name, sub in (node.get("properties") or {}).items():
            walk(sub, (*path, name), depth + 1)
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in node.get(key) or []:
                walk(sub, path, depth + 1)
        if "items" in node:
            walk(node["items"], (*path, "*"), depth + 1)

    walk(schema, (), 0)
    return tuple(dict.fromkeys(found))


def _why(exc: ValueError) -> str:
    """Python's message for an over-long integer names a Python setting; say what is wrong instead."""
    text = str(exc)
    return "a number has more than 4300 digits" if "4300" in text else text[:200]
