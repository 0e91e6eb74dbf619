"""Render a script's Jinja2 template; values are quoted for the place in the SQL where they land."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

from ._errors import Location, TemplateError

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters mark each rendered value until it is placed
_MARKERS = ("{{", "{%", "{#")
MAX_RENDERED_CHARS = 64 * 1024 * 1024
"""A rendered script may be as large as a script file may be (64 MiB), no larger."""
MAX_REPEAT = 1 << 20
"""`'x' * n` and `[...] * n` in a template make at most 1 Mi characters or items."""
MAX_POWER_BITS = 4096
"""`a ** b` in a template makes an integer of at most 4096 bits (9**(9**9) would never finish)."""


def needs_rendering(script: str) -> bool:
    return any(marker in script for marker in _MARKERS)


def render(script: str, variables: Mapping[str, Any]) -> str:
    """The SQL that `script` stands for with `variables`; plain SQL is returned as it is."""
    if not needs_rendering(script):
        return script
    if _OPEN in script or _CLOSE in script:
        raise TemplateError("the script contains the reserved characters U+E000/U+E001")
    return _Renderer(variables).render(script)


class _Renderer:
    def __init__(self, variables: Mapping[str, Any]) -> None:
        from jinja2 import StrictUndefined, Undefined

        self.undefined_type = Undefined
        self.variables = dict(variables)
        self.values: list[Any] = []
        self.env = _bounded_environment()(
            undefined=StrictUndefined,
            finalize=self._mark,
            autoescape=False,
            keep_trailing_newline=True,
        )
        self.env.filters["tojson"] = _tojson
        self.env.filters["sql_string"] = lambda v: "'" + str(v).replace("'", "''") + "'"

    def _mark(self, value: Any) -> str:
        if isinstance(value, self.undefined_type):
            str(value)  # raises inside the render call, where the error is reported with its line
        self.values.append(value)
        return f"{_OPEN}{len(self.values) - 1}{_CLOSE}"

    def render(self, script: str) -> str:
        import jinja2
        from jinja2 import meta, nodes
        from jinja2.exceptions import SecurityError

        try:
            ast = self.env.parse(script)
            # Compiling for the analysis also finds unknown filters and tests (TemplateAssertionError).
            meta.find_undeclared_variables(ast)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"template syntax: {exc.message}", location=_line(script, exc.lineno)
            ) from None
        reads = next(ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)), None)
        if reads is not None:
            raise TemplateError(
                "templates cannot read files: include, import, from and extends are refused",
                location=_line(script, reads.lineno),
                hint="pass data with --var or -q/--iqldata instead",
            )
        try:
            template = self.env.from_string(ast)
            text = _bounded_render(template, self.variables, SecurityError)
        except MemoryError:
            raise TemplateError(
                "the template needs more memory than there is", hint="make the values it builds smaller"
            ) from None
        except SecurityError as exc:
            raise TemplateError(
                f"the template tried something templates may not do: {exc}",
                location=_line(script, _template_line(exc)),
                hint="templates can use variables, filters, loops and conditions only",
            ) from None
        except jinja2.UndefinedError as exc:
            # Found while rendering, so that `is defined` and `| default(...)` guard a variable as usual.
            missing = _UNDEFINED_NAME.match(exc.message or "")
            if missing:
                name = missing.group(1)
                others = sorted(meta.find_undeclared_variables(ast) - set(self.variables) - {name})
                also = f" (also not given: {', '.join(others)})" if others else ""
                raise TemplateError(
                    f"undefined variable '{name}'{also}",
                    location=_line(script, _template_line(exc)),
                    hint=f"give it with --var {name}=VALUE or in the -q/--iqldata file (JSON or YAML)",
                ) from None
            raise TemplateError(
                f"undefined value: {exc.message}",
                location=_line(script, _template_line(exc)),
                hint="check the variable's fields in the -q/--iqldata file or --var",
            ) from None
        except jinja2.TemplateError as exc:
            raise TemplateError(f"template: {exc}", location=_line(script, _template_line(exc))) from None
        except (TypeError, ValueError, ArithmeticError, AttributeError, RecursionError) as exc:
            raise TemplateError(
                f"template expression failed: {type(exc).__name__}: {exc}",
                location=_line(script, _template_line(exc)),
            ) from None
        return _place(text, self.values)


@functools.cache
def _bounded_environment() -> Any:
    """The sandbox with `*` and `**` bounded: a template cannot make a value that exhausts memory or time."""
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Bounded(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            power = operator == "**" and _int(left) and _int(right) and right > 0 and abs(left) > 1
            if power and right * abs(left).bit_length() > MAX_POWER_BITS:
                raise SecurityError(f"the power is too large (more than {MAX_POWER_BITS} bits)")
            if operator == "*":
                for items, count in ((left, right), (right, left)):
                    if (
                        isinstance(items, (str, list, tuple))
                        and _int(count)
                        and len(items) * count > MAX_REPEAT
                    ):
                        raise SecurityError(
                            f"the repetition makes more than {MAX_REPEAT} characters or items"
                        )
            return super().call_binop(context, operator, left, right)

    return Bounded


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bounded_render(template: Any, variables: Mapping[str, Any], security_error: type[Exception]) -> str:
    """The template's text, refused once it grows past MAX_RENDERED_CHARS (a loop that writes too much)."""
    parts: list[str] = []
    size = 0
    for part in template.generate(variables):
        size += len(part)
        if size > MAX_RENDERED_CHARS:
            raise security_error(
                f"the rendered script is larger than {MAX_RENDERED_CHARS // (1024 * 1024)} MiB"
            )
        parts.append(part)
    return "".join(parts)


_UNDEFINED_NAME = re.compile(r"'([A-Za-z_][A-Za-z0-9_]*)' is undefined\Z")


def _tojson(value: Any) -> str:
    """JSON text of a template value; dates and other YAML scalars become strings (ISO 8601 for dates)."""
    return json.dumps(value, ensure_ascii=False, default=_scalar_text)


def _scalar_text(value: Any) -> str:
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(value)


def _line(script: str, lineno: int | None) -> Location | None:
    if lineno is None:
        return None
    lines = script.splitlines()
    source_line = lines[lineno - 1] if 0 < lineno <= len(lines) else None
    return Location(line=lineno, source_line=source_line, column=1 if source_line is not None else None)


def _template_line(exc: BaseException) -> int | None:
    import traceback  # only for errors

    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
    return lines[-1] if lines else None


def _place(text: str, values: list[Any]) -> str:
    """Replace each value marker by the value written for its context: SQL, SQL string or JSON string."""
    out: list[str] = []
    i, n = 0, len(text)
    in_sql_string = False
    in_json_string = False
    while i < n:
        ch = text[i]
        if ch == _OPEN:
            end = text.index(_CLOSE, i)
            value = values[int(text[i + 1 : end])]
            if isinstance(value, str) and _OPEN in value:
                # Output captured by {% set %} blocks and macros holds markers of its own.
                value = _plain(value, values)
            i = end + 1
            quoted_whole = (
                in_sql_string
                and in_json_string
                and isinstance(value, (dict, list))
                and out
                and out[-1] == '"'
                and i < n
                and text[i] == '"'
            )
            if quoted_whole:
                # The provider docs write "organization": "{{ organization }}": put the object itself there.
                out.pop()
                out.append(_tojson(value).replace("'", "''"))
                i += 1
                in_json_string = False
                continue
            out.append(_written(value, in_sql_string, in_json_string))
            continue
        if not in_sql_string:
            if ch == "'":
                in_sql_string, in_json_string = True, False
            elif text.startswith("--", i) or text.startswith("/*", i) or ch in '"`':
                stop = {"-": "\n", "/": "*/", '"': '"', "`": "`"}[ch]
                end = text.find(stop, i + (2 if ch in "-/" else 1))
                end = n if end < 0 else end + len(stop)
                out.append(_plain(text[i:end], values, ch))
                i = end
                continue
        elif ch == "'":
            if text.startswith("''", i):
                out.append("''")
                i += 2
                continue
            in_sql_string = False
        elif ch == '"' and not _escaped(text, i):
            in_json_string = not in_json_string
        out.append(ch)
        i += 1
    return "".join(out)


def _plain(chunk: str, values: list[Any], opener: str = "") -> str:
    """Values inside comments and quoted identifiers are written as text that cannot leave them."""
    while _OPEN in chunk:
        start = chunk.index(_OPEN)
        end = chunk.index(_CLOSE, start)
        text = _text(values[int(chunk[start + 1 : end])])
        if opener == "-":
            text = text.replace("\r", " ").replace("\n", " ")
        elif opener == "/":
            text = text.replace("*/", "* /")
        elif opener in '"`' and opener:
            text = text.replace(opener, opener * 2)
        chunk = chunk[:start] + text + chunk[end + 1 :]
    return chunk


def _escaped(text: str, i: int) -> bool:
    backslashes = 0
    while i - backslashes - 1 >= 0 and text[i - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _text(value: Any) -> str:
    """A value as bare text: JSON for objects, lists, booleans and null; strings as they are."""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, bool)) or value is None:
        return _tojson(value)
    if isinstance(value, float) and value != value:  # NaN has no JSON form
        return "null"
    return str(value)


def _written(value: Any, in_sql_string: bool, in_json_string: bool) -> str:
    if in_sql_string:
        text = _tojson(value)[1:-1] if in_json_string and isinstance(value, str) else None
        if text is None:
            text = _text(value)
            if in_json_string:  # an object or number inside a JSON string: escape it as string content
                text = _tojson(text)[1:-1]
        return text.replace("'", "''")
    if isinstance(value, (dict, list)):
        # An object outside any quotes becomes a SQL string literal holding its JSON.
        return "'" + _tojson(value).replace("'", "''") + "'"
    return _text(value)
