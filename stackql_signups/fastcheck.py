"""A JSON Schema subset compiled to Python source: a fast "certainly valid?" check in front of jsonschema.

`compile_check(schema)` returns a function answering True (jsonschema would accept), False (it would
refuse) or None (not sure), or None itself when the schema uses a keyword not handled here. It is never
more lenient than jsonschema: the tests compare both on random bodies. jsonschema stays the authority
and the only source of error messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], "bool | None"]

# Keywords that only annotate (jsonschema ignores them when validating), so the check may too.
_ANNOTATIONS = frozenset(
    {
        "description",
        "example",
        "examples",
        "title",
        "default",
        "deprecated",
        "writeOnly",
        "discriminator",
        "$comment",
    }
)
_HANDLED = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "pattern",
        "minLength",
        "maxLength",
        "enum",
        "allOf",
        "anyOf",
        "oneOf",
        "readOnly",
        "format",
    }
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_TYPES = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
    "number": "(isinstance({v}, (int, float)) and not isinstance({v}, bool))",
    "integer": (
        "((isinstance({v}, int) and not isinstance({v}, bool))"
        " or (isinstance({v}, float) and {v}.is_integer()))"
    ),
}
MAX_NODES = 5000  # a larger schema (after inlining refs) is left to jsonschema alone
_MAX_INLINE_DEPTH = 12  # deeper sub-schemas get their own function: Python limits indentation


class _Unsupported(Exception):
    """The schema uses something the compiled check does not handle."""


def compile_check(schema: Any) -> Check | None:
    """The three-valued check for `schema`, or None when it uses a keyword not handled here."""
    compiler = _Compiler()
    try:
        name = compiler.function(schema)
    except (_Unsupported, RecursionError):
        return None
    namespace: dict[str, Any] = {"_EMAIL": _EMAIL, **compiler.constants}
    exec(compile("\n".join(compiler.lines), "<stackql-signups fastcheck>", "exec"), namespace)
    check: Check = namespace[name]
    return check


class _Compiler:
    """Writes one Python function per schema that is not simply conjoined into its parent."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self._count = 0
        self._nodes = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def constant(self, value: Any) -> str:
        name = self._name("_c")
        self.constants[name] = value
        return name

    def function(self, schema: Any) -> str:
        """A function `f(v) -> True | False | None` for `schema`; returns its name."""
        name = self._name("_f")
        body: list[str] = []
        self.block(schema, "v", body, 1)
        self.lines.append(f"def {name}(v):")
        self.lines.append("    u = False")
        self.lines.extend(body)
        self.lines.append("    return None if u else True")
        return name

    def block(self, schema: Any, var: str, out: list[str], depth: int) -> None:
        """Code that `return False`s when `var` breaks `schema` and sets `u` when it cannot tell."""
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Unsupported("too large")
        if schema is True or (isinstance(schema, Mapping) and not schema):
            return
        if not isinstance(schema, Mapping):
            raise _Unsupported("not a schema")
        if depth > _MAX_INLINE_DEPTH:
            self._call(self.function(schema), var, out, depth)
            return
        pad = "    " * depth
        keywords = {k: v for k, v in schema.items() if k not in _ANNOTATIONS and not k.startswith("x-")}
        unknown = set(keywords) - _HANDLED
        if unknown:
            raise _Unsupported(", ".join(sorted(unknown)))
        exact_dict = keywords.get("type") == "object"
        exact_str = keywords.get("type") == "string"
        if "type" in keywords:
            types = keywords["type"]
            types = list(types) if isinstance(types, list) else [types]
            if not types or not all(isinstance(t, str) and t in _TYPES for t in types):
                raise _Unsupported("type")
            test = " or ".join(_TYPES[t].format(v=var) for t in types)
            out.append(f"{pad}if not ({test}):")
            out.append(f"{pad}    return False")
        if keywords.get("readOnly") is True:
            # validate.py makes readOnly an assertion: a request that carries such a field is refused.
            out.append(f"{pad}return False")
            return
        if "enum" in keywords:
            values = keywords["enum"]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise _Unsupported("enum")
            allowed = self.constant(frozenset(values))
            out.append(f"{pad}if not (isinstance({var}, str) and {var} in {allowed}):")
            out.append(f"{pad}    return False")
        self._strings(keywords, var, out, depth, exact_str)
        self._objects(keywords, var, out, depth, exact_dict)
        for sub in _list(keywords.get("allOf", []), "allOf"):
            self.block(sub, var, out, depth)
        for kind in ("anyOf", "oneOf"):
            if kind in keywords:
                self._alternatives(kind, _list(keywords[kind], kind), var, out, depth)

    def _strings(
        self, keywords: Mapping[str, Any], var: str, out: list[str], depth: int, exact: bool
    ) -> None:
        tests: list[str] = []
        if "pattern" in keywords:
            if not isinstance(keywords["pattern"], str):
                raise _Unsupported("pattern")
            try:
                regex = self.constant(re.compile(keywords["pattern"]))
            except re.error:
                raise _Unsupported("pattern") from None
            tests.append(f"{regex}.search({var}) is None")
        for keyword, op in (("minLength", "<"), ("maxLength", ">")):
            if keyword in keywords:
                limit = keywords[keyword]
                if isinstance(limit, bool) or not isinstance(limit, int):
                    raise _Unsupported(keyword)
                tests.append(f"len({var}) {op} {limit}")
        fmt = keywords.get("format")
        if not tests and fmt is None:
            return
        pad = "    " * depth
        inner = pad
        if not exact:
            out.append(f"{pad}if isinstance({var}, str):")
            inner = pad + "    "
        if tests:
            out.append(f"{inner}if {' or '.join(tests)}:")
            out.append(f"{inner}    return False")
        if fmt == "email":
            # True only for a plain `a@b` address: never more lenient, with or without a format checker.
            out.append(f"{inner}if _EMAIL.fullmatch({var}) is None:")
            out.append(f"{inner}    u = True")
        elif fmt is not None:
            out.append(f"{inner}u = True")

    def _objects(
        self, keywords: Mapping[str, Any], var: str, out: list[str], depth: int, exact: bool
    ) -> None:
        required = _list(keywords.get("required", []), "required")
        properties = keywords.get("properties", {})
        if not isinstance(properties, Mapping) or not all(isinstance(n, str) for n in required):
            raise _Unsupported("properties")
        closed = "additionalProperties" in keywords
        if closed and keywords["additionalProperties"] is not False:
            raise _Unsupported("additionalProperties")
        if not (required or properties or closed):
            return
        pad = "    " * depth
        inner_depth = depth
        if not exact:
            out.append(f"{pad}if isinstance({var}, dict):")
            inner_depth += 1
        inner = "    " * inner_depth
        body_start = len(out)
        if required:
            test = " and ".join(f"{name!r} in {var}" for name in required)
            out.append(f"{inner}if not ({test}):")
            out.append(f"{inner}    return False")
        if closed:
            known = self.constant(frozenset(properties))
            out.append(f"{inner}if not {known}.issuperset({var}):")
            out.append(f"{inner}    return False")
        for name, sub in properties.items():
            child: list[str] = []
            item = self._name("v")
            self.block(sub, item, child, inner_depth + 1)
            if not child:
                continue
            out.append(f"{inner}if {name!r} in {var}:")
            out.append(f"{inner}    {item} = {var}[{name!r}]")
            out.extend(child)
        if len(out) == body_start and not exact:
            out.pop()  # an empty `if isinstance(...)` block

    def _alternatives(self, kind: str, subs: list[Any], var: str, out: list[str], depth: int) -> None:
        names = [self.function(sub) for sub in subs]
        pad = "    " * depth
        results = self._name("r")
        out.append(f"{pad}{results} = ({', '.join(f'{n}({var})' for n in names)},)")
        if kind == "anyOf":
            out.append(f"{pad}if True not in {results}:")
            out.append(f"{pad}    if None not in {results}:")
            out.append(f"{pad}        return False")
            out.append(f"{pad}    u = True")
            return
        # oneOf: two certain matches refuse; an unsure branch might match too (or be the only match).
        out.append(f"{pad}if {results}.count(True) > 1:")
        out.append(f"{pad}    return False")
        out.append(f"{pad}if None in {results}:")
        out.append(f"{pad}    u = True")
        out.append(f"{pad}elif True not in {results}:")
        out.append(f"{pad}    return False")

    def _call(self, name: str, var: str, out: list[str], depth: int) -> None:
        pad = "    " * depth
        result = self._name("r")
        out.append(f"{pad}{result} = {name}({var})")
        out.append(f"{pad}if {result} is False:")
        out.append(f"{pad}    return False")
        out.append(f"{pad}if {result} is None:")
        out.append(f"{pad}    u = True")


def _list(value: Any, keyword: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Unsupported(keyword)
    return value
