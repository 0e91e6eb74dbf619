"""Render a script's Jinja2 template; each value lands as one SQL literal or one JSON value of its own.

Every `{{ expression }}` is data. While Jinja runs, an output expression writes a marker instead of its
value; once the whole text is known, each marker is replaced by its value written for where it stands (a SQL
string, a JSON string or value inside one, a bare SQL value, a comment). Text captured by `{% set %}` blocks
and macros is a `Fragment`: it reads as Jinja would make it, and written out it keeps its markers, so the
values inside it are placed like any other.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ._errors import Location, TemplateError
from .sql.grammar import HINT_OPENING
from .sql.lexical import Span, is_comment, spans

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters mark each rendered value until it is placed
_MARKER = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
_MARKERS = ("{{", "{%", "{#")
MAX_RENDERED_CHARS = 64 * 1024 * 1024
"""A rendered script may be as large as a script file may be (64 MiB), no larger."""
MAX_REPEAT = 1 << 20
"""`'x' * n`, `[...] * n`, padding and format widths in a template make at most 1 Mi characters or items."""
MAX_POWER_BITS = 4096
"""`a ** b` in a template makes an integer of at most 4096 bits (9**(9**9) would never finish)."""
_NAMED = "_stackql_value"  # the filter that every output expression is wrapped in (it marks the value)
_JSON_SCALAR = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VALUE_FOLLOWS = re.compile(r"(?:[=<>,(]|\bLIKE|\bBETWEEN|@@JSON)\s*\Z", re.IGNORECASE)
"""Code after which a bare string is a SQL value (quoted), not a name: `=`, comparisons, LIKE, lists."""
_JSON_TYPES = (str, int, float, bool, type(None), dict, list, tuple)


def needs_rendering(script: str) -> bool:
    return any(marker in script for marker in _MARKERS)


def render(script: str, variables: Mapping[str, Any]) -> str:
    """The SQL that `script` stands for with `variables`; plain SQL is returned as it is."""
    if not needs_rendering(script):
        return script
    if _OPEN in script or _CLOSE in script:
        raise TemplateError("the script contains the reserved characters U+E000/U+E001")
    return _Renderer(variables).render(script)


class Fragment(str):
    """Text a template captured ({% set %} block, macro): reads as Jinja made it, keeps its values marked."""

    marked: str


class _Renderer:
    def __init__(self, variables: Mapping[str, Any]) -> None:
        from jinja2 import StrictUndefined, Undefined

        self.undefined_type = Undefined
        self.variables = dict(variables)
        self.values: list[Any] = []
        self.names: list[str] = []
        self.env = _bounded_environment()(
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
        )
        self.env.concat = self._concat  # set blocks and macros make Fragments
        self.env.filters[_NAMED] = self._mark
        self.env.filters["tojson"] = _tojson
        for name in ("format", "center", "indent", "wordwrap"):
            self.env.filters[name] = _bounded_filter(self.env.filters[name])

    def _mark(self, value: Any, name: str) -> str:
        if isinstance(value, self.undefined_type):
            str(value)  # raises inside the render call, where the error is reported with its line
        if isinstance(value, Fragment):
            return value.marked
        self.values.append(value)
        self.names.append(name)
        return f"{_OPEN}{len(self.values) - 1}{_CLOSE}"

    def _concat(self, parts: Iterable[str]) -> str:
        marked = "".join(parts)
        if _OPEN not in marked:
            fragment = Fragment(marked)
        else:
            fragment = Fragment(_MARKER.sub(lambda m: _text(self.values[int(m.group(1))]), marked))
        fragment.marked = marked
        return fragment

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
        _mark_outputs(ast, self.env)
        try:
            template = self.env.from_string(ast)
            text = _bounded_render(template, self.variables, SecurityError)
            return _place(text, self.values, self.names)
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
        except TemplateError:
            raise
        except jinja2.TemplateError as exc:
            raise TemplateError(f"template: {exc}", location=_line(script, _template_line(exc))) from None
        except (TypeError, ValueError, ArithmeticError, AttributeError, RecursionError) as exc:
            raise TemplateError(
                f"template expression failed: {type(exc).__name__}: {_short(str(exc))}",
                location=_line(script, _template_line(exc)),
            ) from None


def _mark_outputs(ast: Any, environment: Any) -> None:
    """Wrap every output expression in the marking filter, and make `{% filter %}` blocks output a value."""
    from jinja2 import nodes

    counter = 0

    def rewrite(node: Any) -> list[Any]:
        nonlocal counter
        for field, child in node.iter_fields():
            if isinstance(child, list):
                items: list[Any] = []
                for item in child:
                    items.extend(rewrite(item) if isinstance(item, nodes.Node) else [item])
                setattr(node, field, items)
            elif isinstance(child, nodes.Node):
                rewrite(child)
        if isinstance(node, nodes.Output):
            node.nodes = [
                item
                if isinstance(item, nodes.TemplateData)
                else nodes.Filter(
                    item, _NAMED, [nodes.Const(_describe(item))], [], None, None, lineno=item.lineno
                )
                for item in node.nodes
            ]
        elif isinstance(node, nodes.FilterBlock):
            # A filter block's result is written without passing any output filter: capture it, then
            # output the filtered text as one value.
            counter += 1
            name = f"_stackql_filtered_{counter}"
            captured = nodes.AssignBlock(nodes.Name(name, "store"), None, node.body, lineno=node.lineno)
            node.filter.node = nodes.Name(name, "load", lineno=node.lineno)
            wrapped = nodes.Filter(
                node.filter, _NAMED, [nodes.Const("the filter block")], [], None, None, lineno=node.lineno
            )
            return [captured, nodes.Output([wrapped], lineno=node.lineno)]
        return [node]

    rewrite(ast)
    ast.set_environment(environment)


def _describe(node: Any) -> str:
    """How an error names an output expression: its variable (`c.name`) where it has one."""
    from jinja2 import nodes

    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_describe(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_describe(node.node)}[{node.arg.value!r}]"
    if isinstance(node, (nodes.Filter, nodes.Test)) and node.node is not None:
        return _describe(node.node)
    return f"the expression on line {node.lineno}"


@functools.cache
def _bounded_environment() -> Any:
    """The sandbox with `*`, `**`, `%` and padding bounded: a template cannot exhaust memory or time."""
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Bounded(ImmutableSandboxedEnvironment):
        intercepted_binops = frozenset({"*", "**", "%"})

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
            if operator == "%" and isinstance(left, str):
                _check_widths(left)
            return super().call_binop(context, operator, left, right)

        def wrap_str_format(self, value: Any) -> Any:
            owner = getattr(value, "__self__", None)
            if isinstance(owner, str) and getattr(value, "__name__", "") in ("format", "format_map"):
                _check_widths(owner)
            return super().wrap_str_format(value)

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            # str methods that pad (center, ljust, zfill, ...) are bounded like `*`; so are format's widths.
            if isinstance(getattr(__obj, "__self__", None), str) or getattr(__obj, "__name__", "") in (
                "format",
                "format_map",
            ):
                _check_sizes([*args, *kwargs.values()])
            return super().call(__context, __obj, *args, **kwargs)

    return Bounded


_WIDTH = re.compile(r"%[-#0 +]*(\*|[0-9]+)?(?:\.(\*|[0-9]+))?|\{[^{}]*:[^{}]*?([0-9]+)")


def _check_widths(format_text: str) -> None:
    """Refuse a format string whose widths or precisions make more than MAX_REPEAT characters."""
    from jinja2.exceptions import SecurityError

    for match in _WIDTH.finditer(format_text):
        for width in match.groups():
            if width == "*":
                raise SecurityError("format widths given as * are not allowed in templates")
            if width is not None and int(width) > MAX_REPEAT:
                raise SecurityError(f"a format width makes more than {MAX_REPEAT} characters")


def _check_sizes(args: list[Any]) -> None:
    from jinja2.exceptions import SecurityError

    for arg in args:
        if _int(arg) and arg > MAX_REPEAT:
            raise SecurityError(f"a width of {arg} makes more than {MAX_REPEAT} characters")


def _bounded_filter(function: Any) -> Any:
    """A padding or formatting filter whose widths are bounded (`'%0999999999d' | format(1)`)."""

    @functools.wraps(function)
    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            _check_widths(value)
        _check_sizes([*args, *kwargs.values()])
        return function(value, *args, **kwargs)

    return bounded


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
    return json.dumps(value, ensure_ascii=False, default=_scalar_text, allow_nan=False)


def _data_json(value: Any) -> str:
    """JSON text of a value that is data: a `${label.field}` inside it cannot be read as a reference."""
    return _tojson(value).replace("${", "\\u0024{")


def _scalar_text(value: Any) -> str:
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(value)


def _short(text: str) -> str:
    return text if len(text) <= 160 else text[:157] + "..."


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


class _Context:
    """Where a value stands: in code, or in a SQL string (and there, in JSON: a string or nested brackets)."""

    def __init__(self, in_sql_string: bool = False) -> None:
        self.in_sql_string = in_sql_string
        self.in_json_string = False
        self.json_depth = 0  # brackets open inside the current SQL string, outside JSON strings


_IN_CODE = _Context()  # never changed: only read by `_written`
_IN_STRING = re.compile(f"[{_OPEN}'\"{{}}\\[\\]]")  # what changes the JSON state inside a SQL string


class _Before:
    """The end of the code written so far, comments left out: whether a value there is a SQL value."""

    def __init__(self) -> None:
        self.text = ""

    def add(self, piece: str) -> None:
        trimmed = piece.rstrip()
        if len(trimmed) < len(piece):
            trimmed += " "  # white space of any length counts as one: the window keeps what ends the code
        self.text = (self.text + trimmed)[-_BEFORE_CHARS:]


_BEFORE_CHARS = 40


def _place(text: str, values: list[Any], names: list[str]) -> str:
    """Replace each value marker by the value written for where it stands: SQL, SQL string or JSON."""
    out: list[str] = []
    before = _Before()
    i = 0
    for span in spans(text):  # the strings, quoted names and comments, as the splitter sees them
        _place_in_code(text, i, span.start, values, names, out, before)
        if span.kind == "string":
            _place_in_string(text, span, values, names, out)
            before.add(text[span.start : span.end])
        elif text.startswith(HINT_OPENING, span.start):
            out.append(_hint(text[span.start : span.end], values, names))  # code, as in the parser
            before.add(" ")
        elif is_comment(span):
            out.append(_plain(text[span.start : span.end], values, text[span.start]))
            before.add(" ")
        else:
            out.append(_plain(text[span.start : span.end], values, text[span.start]))
            before.add(text[span.start : span.end])
        i = span.end
    _place_in_code(text, i, len(text), values, names, out, before)
    return "".join(out)


def _place_in_code(
    text: str, i: int, n: int, values: list[Any], names: list[str], out: list[str], before: _Before
) -> None:
    for found in _MARKER.finditer(text, i, n):
        out.append(text[i : found.start()])
        before.add(text[i : found.start()])
        index = int(found.group(1))
        written = _written(values[index], names[index], _IN_CODE, before.text)
        last = next((part for part in reversed(out) if part), "")  # values in code are never empty
        written = _apart(last[-1:], written, text[found.end() : found.end() + 1])
        out.append(written)
        before.add(written)
        i = found.end()
    out.append(text[i:n])
    before.add(text[i:n])


def _unspelled(written: str, before: str, after: str) -> str:
    """JSON string content that spells no `${label.field}` with the characters beside it (the text of
    the template, or another value's marker): a `{` after a `$`, a `$` before a `{`, are escaped."""
    if written.startswith("{") and before in ("$", _CLOSE):
        written = "\\u007b" + written[1:]
    if written.endswith("$") and after in ("{", _OPEN):
        written = written[:-1] + "\\u0024"
    return written


def _apart(before: str, written: str, after: str) -> str:
    """`written` with a space where it would fuse with the character before or after it: `-` and `-1`
    would open a comment, `'a'` and `'b'` would read as one string `a'b`."""
    if written[:1] in ("-", "'") and before == written[0]:
        written = " " + written
    if written[-1:] == "'" and after == "'":
        written += " "
    return written


def _place_in_string(text: str, span: Span, values: list[Any], names: list[str], out: list[str]) -> None:
    """A SQL string's values: JSON string content, one JSON value, or text, escaped for the string."""
    out.append(text[span.start])
    at = _Context(in_sql_string=True)
    n = span.end - 1 if span.closed else span.end
    pos = i = span.start + 1  # text[pos:i] is copied but not yet written out
    search = _IN_STRING.search
    while (found := search(text, i, n)) is not None:
        i = found.start()
        ch = text[i]
        if ch == _OPEN:
            out.append(text[pos:i])
            end = text.index(_CLOSE, i)
            index = int(text[i + 1 : end])
            value, name = values[index], names[index]
            after = end + 1
            quoted_whole = (
                at.in_json_string
                and isinstance(value, (dict, list))
                and text[i - 1] == '"'
                and not _escaped(text, i - 1)
                and after < n
                and text[after] == '"'
            )
            if quoted_whole:
                # The provider docs write "organization": "{{ organization }}": put the object itself there.
                out[-1] = out[-1][:-1]
                out.append(_data_json(value).replace("'", "''"))
                after += 1
                at.in_json_string = False
            elif at.in_json_string:
                written = _written(value, name, at, "")
                out.append(_unspelled(written, text[i - 1], text[after : after + 1]))
            else:
                out.append(_written(value, name, at, ""))
            pos = i = after
            continue
        if ch == "'":  # a doubled quote inside the string (the span ends at the closing one)
            i += 2
            continue
        if ch == '"':
            if not _escaped(text, i):
                at.in_json_string = not at.in_json_string
        elif not at.in_json_string:
            at.json_depth = at.json_depth + 1 if ch in "{[" else max(0, at.json_depth - 1)
        i += 1
    out.append(text[pos:n])
    if span.closed:
        out.append(text[n])


def _plain(chunk: str, values: list[Any], opener: str) -> str:
    """Values inside comments and quoted identifiers are written as text that cannot leave them."""

    def written(match: re.Match[str]) -> str:
        text = _text(values[int(match.group(1))])
        if opener == "-":
            return text.replace("\r", " ").replace("\n", " ")
        if opener == "/":
            # No `*/` inside, nor with a `*` or `/` of the text beside the value.
            text = text.replace("*", "* ")
            return " " + text if text.startswith("/") else text
        return text.replace(opener, opener * 2)

    return _MARKER.sub(written, chunk)


def _hint(chunk: str, values: list[Any], names: list[str]) -> str:
    """A `/*+ ... */` hint is read as code (its words set the label and AWAIT): a value there is one name."""

    def written(match: re.Match[str]) -> str:
        index = int(match.group(1))
        text = _text(values[index])
        if not _WORD.fullmatch(text):
            raise TemplateError(
                f"the value of {names[index]!r} ({_short(text)!r}) cannot stand in a /*+ hint */: "
                "a value there must be one word (a label)"
            )
        return text

    return _MARKER.sub(written, chunk)


def _escaped(text: str, i: int) -> bool:
    backslashes = 0
    while i - backslashes - 1 >= 0 and text[i - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _text(value: Any) -> str:
    """A value as bare text: JSON for objects, lists, booleans and null; strings as they are."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return "null"  # NaN and infinities have no JSON form
    if isinstance(value, (dict, list, tuple, bool)) or value is None:
        return _tojson(value)
    return str(value)


def _written(value: Any, name: str, at: _Context, before: str) -> str:
    """One value as one SQL literal, or as one JSON value or JSON string content inside a SQL string;
    `before` is the code the value follows (outside strings)."""
    if not isinstance(value, _JSON_TYPES):
        value = _scalar_text(value)  # a YAML date, set or binary: its text, placed as any string is
    if at.in_sql_string:
        if at.in_json_string:  # JSON string content: whatever the value, escaped as part of the string
            text = _data_json(_text(value))[1:-1]
        elif at.json_depth > 0:  # a JSON value position: one JSON value of its own
            text = _json_value(value)
        elif isinstance(value, str):
            text = _json_value(value) if "${" in value and value.lstrip()[:1] in ("{", "[") else value
        else:
            text = _data_json(value) if isinstance(value, (dict, list, tuple)) else _text(value)
        return text.replace("'", "''")
    if isinstance(value, (dict, list, tuple)):
        # An object outside any quotes becomes a SQL string literal holding its JSON.
        return "'" + _data_json(value).replace("'", "''") + "'"
    if not isinstance(value, str):
        return _text(value)
    if _JSON_SCALAR.fullmatch(value):
        return value  # a CSV cell or a --var that reads as true, 12 or null stays that literal
    if _VALUE_FOLLOWS.search(before):
        return "'" + value.replace("'", "''") + "'"
    if _NAME.fullmatch(value):
        return value  # a name part: SHOW METHODS IN {{ provider }}.partner.signups
    raise TemplateError(
        f"the value of {name!r} ({_short(value)!r}) cannot stand where the template puts it: outside "
        "quotes a value must be a name, a number, true, false or null",
        hint=f"put {{{{ {name} }}}} inside quotes ('{{{{ {name} }}}}') to pass it as a string",
    )


def _json_value(value: Any) -> str:
    """A value where JSON expects one value: JSON text given as a string (`tojson`) stays one value."""
    if isinstance(value, str):
        try:
            return _data_json(json.loads(value, parse_constant=_no_constant))
        except (ValueError, RecursionError):
            return _data_json(value)  # not JSON (or a number JSON cannot hold): the string itself
    return _data_json(value) if not isinstance(value, float) else _text(value)


def _no_constant(name: str) -> Any:
    raise ValueError(name)
