"""Read well-formed EXEC, SHOW, DESCRIBE and USE statements without sqlglot; others go to the parser.

The fast path accepts a conservative subset of the grammar (plain names, `@name=value` items with
quoted strings, integers, decimals, booleans, NULL and `label.field`, one `/*+ hint */`, `--` comments;
SHOW, DESCRIBE and USE made of words and dotted names only) and yields exactly the statement the
tokenizer path yields (property-based tests hold them equal). It declines whatever it is not sure of,
so sqlglot stays the authority for every error message.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .grammar import (
    BLOCK_COMMENT,
    DESCRIBE_VERBS,
    LABEL_HINT,
    LINE_COMMENT,
    LITERAL_WORDS,
    SHOW_OBJECTS,
    STRING_QUOTE,
)
from .lexical import first_code
from .splitter import Chunk
from .statements import Describe, Exec, Param, Reference, Scalar, Show, Source, Statement, Use

# The quote and comment facts of `grammar.py`, as regular-expression pieces.
_Q = re.escape(STRING_QUOTE)


def _quoted(group: str) -> str:
    """A string literal, its text between the quotes captured as `group` (a doubled quote is one)."""
    return rf"{_Q}(?P<{group}>[^{_Q}]*(?:{_Q}{_Q}[^{_Q}]*)*){_Q}"


_OPEN, _CLOSE = (re.escape(mark) for mark in BLOCK_COMMENT)
# What sqlglot skips between tokens (block comments are left to it); its line comments end at \r or \n.
_WS = rf"(?:[ \t\r\n]|{re.escape(LINE_COMMENT)}[^\r\n]*(?![^\r\n]))"  # to the line end: no backtracking
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_HEAD = re.compile(
    rf"{_WS}*"  # leading white space and line comments
    rf"(?i:EXEC){_WS}+"
    rf"(?:({_OPEN}\+(?:(?!{_CLOSE}|{_OPEN})[\s\S])*{_CLOSE}){_WS}+)?"  # one hint: sqlglot keeps only one
    rf"({_NAME}(?:\.{_NAME}){{0,3}})"
    rf"(?={_WS}|\Z)"
)
_ITEM = re.compile(
    rf"(?:{_WS}+|{_WS}*(?P<comma>,){_WS}*)"  # the separator
    rf"@(?P<double>@?)(?P<name>{_NAME}){_WS}*={_WS}*"
    rf"(?:{_quoted('string')}"
    r"|(?P<number>-?[0-9]+(?:\.[0-9]+)?)"
    rf"|(?P<label>{_NAME})\.(?P<field>{_NAME})"
    rf"|(?P<word>{_NAME})"  # true, false or null
    r")"
    rf"(?={_WS}|,|\Z)"
)
_TAIL = re.compile(rf"{_WS}*\Z")


Prefixes = dict[str, "_Prefix | None"]


def parse_statement(script: str, chunk: Chunk, number: int, prefixes: Prefixes | None = None) -> Statement:
    """The statement in `chunk`: from the fast path when it can, else from the sqlglot parser.

    `prefixes` remembers, across the statements of one script, the text before `@@json` they repeat.
    """
    found: Statement | None = parse_exec(script, chunk, number, prefixes)
    if found is None:
        found = parse_simple(script, chunk, number)
    if found is not None:
        return found
    from .registry_statement import parse_registry

    registry_command = parse_registry(script, chunk, number)
    if registry_command is not None:
        return registry_command
    from .parser import parse_statement as parse_with_sqlglot  # imports sqlglot (~120 ms): only here

    return parse_with_sqlglot(script, chunk, number)


def parse_exec(script: str, chunk: Chunk, number: int, prefixes: Prefixes | None = None) -> Exec | None:
    """The EXEC in `chunk`, or None when the fast path is not sure it reads it as sqlglot would."""
    text = chunk.text
    # A batch repeats one statement with a different body: read what precedes `@@json='` once.
    cut = text.find(_JSON_OPENING)
    at = cut + len(_JSON_OPENING) - 1  # the opening quote of the body
    if (
        prefixes is not None
        and cut > 0
        and text[cut - 1] in " \t\r\n"
        and (body := _BODY.match(text, at)) is not None
    ):
        prefix = text[:cut]
        if LINE_COMMENT in prefix[max(prefix.rfind("\n"), prefix.rfind("\r")) + 1 :]:
            return _parse_exec(script, chunk, number)  # `@@json` is inside a line comment
        if prefix not in prefixes:
            if len(prefixes) >= _MAX_PREFIXES:
                prefixes.clear()
            prefixes[prefix] = _read_prefix(prefix)
        known = prefixes[prefix]
        if known is not None:
            return Exec(
                name=known.name,
                params=known.params,
                json_body=Param(
                    name="json",
                    value=_unquoted(body.group("body")),
                    offset=cut + len(_JSON_OPENING) - 1,
                    at=cut,
                ),
                hints=known.hints,
                label=known.label,
                source=_source(script, chunk, number, known.first),
            )
    return _parse_exec(script, chunk, number)


class _Prefix(NamedTuple):
    """What an EXEC reads as up to its `@@json`: shared by the statements that repeat it."""

    name: tuple[str, ...]
    params: tuple[Param, ...]
    hints: tuple[str, ...]
    label: str | None
    first: int  # the offset of its first code


def _read_prefix(prefix: str) -> _Prefix | None:
    found = _parse_exec("", Chunk(prefix, 0, 1), 0)
    if found is None or any(p.name.lower() == "json" for p in found.params):
        return None  # declined, or @json given twice: the parser explains
    return _Prefix(found.name, found.params, found.hints, found.label, first_code(prefix))


_BODY = re.compile(rf"{_quoted('body')}[ \t\r\n]*\Z")  # the rest of the statement: one JSON string
_JSON_OPENING = "@@json=" + STRING_QUOTE
_MAX_PREFIXES = 512  # distinct prefixes remembered per script


def _parse_exec(script: str, chunk: Chunk, number: int) -> Exec | None:
    text = chunk.text
    head = _HEAD.match(text)
    if head is None:
        return None
    hints: list[str] = []
    label: str | None = None
    if head.group(1) is not None:
        hint = head.group(1)[3:-2]
        match = LABEL_HINT.search(hint)
        if match:
            label = match.group(1)
            hint = LABEL_HINT.sub(" ", hint)
        hints = [word.upper() for word in hint.split()]
    params: list[Param] = []
    json_body: Param | None = None
    seen: set[str] = set()
    pos = head.end()
    item = _ITEM.match
    while (m := item(text, pos)) is not None:
        comma, double, name, string, digits, first, second, word = m.groups()
        if comma and not params:
            return None  # a comma before any @name=value: the parser's message
        key = name.lower()
        if key in seen or (double and (key != "json" or string is None)):
            return None  # given twice, or an @@ item other than @@json='...': the parser explains
        seen.add(key)
        # Where the value's first token starts, as sqlglot reports it: the quote, the minus sign, the word.
        kind = "number" if digits is not None else "label" if first is not None else "word"
        offset = m.start("string") - 1 if string is not None else m.start(kind)
        if double:
            json_body = Param(name="json", value=_unquoted(string), offset=offset, at=m.start("double") - 1)
        else:
            value = _value(string, digits, first, second, word)
            if value is _DECLINE:
                return None
            at = m.start("double") - 1
            params.append(Param(name=name, value=value, offset=offset, at=at))  # type: ignore[arg-type]
        pos = m.end()
    if _TAIL.match(text, pos) is None:
        return None
    return Exec(
        name=tuple(head.group(2).split(".")),
        params=tuple(params),
        json_body=json_body,
        hints=tuple(hints),
        label=label,
        source=_source(script, chunk, number),
    )


def parse_simple(script: str, chunk: Chunk, number: int) -> Show | Describe | Use | None:
    """SHOW [EXTENDED] <objects> [IN name], DESCRIBE [METHOD] [EXTENDED] name or USE name, or None."""
    words: list[str] = []
    for match in _SIMPLE_TOKEN.finditer(chunk.text):
        if match.group(2) is not None:
            return None  # a quote, a comparison, a hint...: the parser's business
        if match.group(1) is not None:
            words.append(match.group(1))
    reader = _Words(words)
    verb = reader.word()
    if verb == "SHOW":
        extended = reader.accept("EXTENDED")
        what = reader.word()
        if what not in SHOW_OBJECTS:
            return None  # SHOW EXEC, or a mistake
        target: tuple[str, ...] = ()
        if what != "PROVIDERS":
            if not (reader.accept("IN") or reader.accept("FROM")):
                return None
            target = reader.name(3)
        if (not target and what != "PROVIDERS") or not reader.done:
            return None  # LIKE / WHERE, or a mistake
        source = _source(script, chunk, number)
        return Show(what=what, extended=extended, target=target, like=None, where=(), source=source)
    if verb in DESCRIBE_VERBS:
        method = reader.accept("METHOD")
        extended = reader.accept("EXTENDED")
        method = method or reader.accept("METHOD")
        name = reader.name(4 if method else 3)
        if not name or not reader.done:
            return None
        return Describe(name=name, extended=extended, method=method, source=_source(script, chunk, number))
    if verb == "USE":
        name = reader.name(1)
        if not name or not reader.done:
            return None
        return Use(provider=name[0], source=_source(script, chunk, number))
    return None


_SIMPLE_TOKEN = re.compile(rf"{_WS}+|({_NAME}|\.)|([\s\S])")


class _Words:
    """The words and dots of a simple statement, read as the parser reads its tokens."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.i = 0

    @property
    def done(self) -> bool:
        return self.i == len(self.words)

    def word(self) -> str | None:
        """The next word in upper case (None at the end or at a dot)."""
        if self.done or self.words[self.i] == ".":
            return None
        self.i += 1
        return self.words[self.i - 1].upper()

    def accept(self, word: str) -> bool:
        if not self.done and self.words[self.i].upper() == word:
            self.i += 1
            return True
        return False

    def name(self, max_parts: int) -> tuple[str, ...]:
        """A dotted name of at most `max_parts` parts, or () when there is none or it is too long."""
        parts: list[str] = []
        while not self.done and self.words[self.i] != ".":
            parts.append(self.words[self.i])
            self.i += 1
            if self.done or self.words[self.i] != ".":
                break
            self.i += 1  # the dot
            if len(parts) == max_parts or self.done:
                return ()
        return tuple(parts) if parts and len(parts) <= max_parts else ()


def _source(script: str, chunk: Chunk, number: int, first: int | None = None) -> Source:
    """Where the statement stands: the line and column of its first code (`first`, when known)."""
    offset = chunk.offset + (first_code(chunk.text) if first is None else first)
    line = chunk.line + script.count("\n", chunk.offset, offset)
    column = offset - script.rfind("\n", 0, offset)  # as splitter.line_and_column
    return Source(
        number=number, offset=chunk.offset, line=line, column=column, text=chunk.text, offset_line=chunk.line
    )


_DECLINE = object()


def _unquoted(string: str) -> str:
    """A string's text between its quotes, each doubled quote read as one."""
    return string.replace(STRING_QUOTE * 2, STRING_QUOTE)


def _value(
    string: str | None, number: str | None, first: str | None, second: str | None, word: str | None
) -> Scalar | Reference | object:
    if string is not None:
        return _unquoted(string)
    if number is not None:
        if len(number) > 4300:
            return _DECLINE  # longer than Python reads: the parser says so
        return float(number) if "." in number else int(number)
    if first is not None and second is not None:
        if first.upper() in LITERAL_WORDS:
            return _DECLINE  # `true.x`: the parser refuses it
        return Reference(label=first, field=second)
    assert word is not None
    return LITERAL_WORDS.get(word.upper(), _DECLINE)
