"""A small recursive-descent parser over the StackQL dialect's tokens, producing `statements`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from .._errors import Location, ParseError
from . import splitter
from .dialect import StackQLTokenizer
from .grammar import DESCRIBE_VERBS, LABEL_HINT, QUERY_VERBS, SHOW_OBJECTS, UNSUPPORTED_VERBS
from .lexical import first_code
from .statements import (
    Describe,
    Exec,
    Param,
    Query,
    Reference,
    Scalar,
    Show,
    ShowExecTemplate,
    ShowInsertTemplate,
    Source,
    Statement,
    Unsupported,
    Use,
)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_$-]*\Z")
_VALUE_TOKENS = (TokenType.STRING, TokenType.NUMBER, TokenType.TRUE, TokenType.FALSE, TokenType.NULL)
_EXPECTED_START = "EXEC, SHOW, DESCRIBE, USE, SELECT, INSERT, UPDATE, DELETE or REGISTRY"


def parse(script: str) -> list[Statement]:
    """Parse every statement of a rendered script; the first error stops with its position."""
    return list(iter_parse(script))


def iter_parse(script: str) -> Iterator[Statement]:
    for number, chunk in enumerate(splitter.split(script), start=1):
        yield parse_statement(script, chunk, number)


def parse_statement(script: str, chunk: splitter.Chunk, number: int) -> Statement:
    anchor = (chunk.offset, chunk.line)
    line, column, _ = splitter.line_and_column(script, chunk.offset + first_code(chunk.text), anchor)
    source = Source(
        number=number, offset=chunk.offset, line=line, column=column, text=chunk.text, offset_line=chunk.line
    )
    try:
        tokens = StackQLTokenizer().tokenize(chunk.text)
    except TokenError as exc:  # the splitter catches unterminated strings; this is what is left
        raise ParseError(
            f"cannot read the statement: {str(exc).splitlines()[0]}",
            location=splitter.location(script, chunk.offset + first_code(chunk.text), number, anchor),
        ) from None
    return _Parser(script, chunk, tokens, source).statement()


class _Parser:
    """Parses one statement's tokens; `expect_*` methods raise a positioned ParseError."""

    def __init__(self, script: str, chunk: splitter.Chunk, tokens: list[Token], source: Source) -> None:
        self.script = script
        self.chunk = chunk
        self.tokens = tokens
        self.source = source
        self.i = 0

    # -- token helpers -------------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def advance(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.token_type != TokenType.STRING and token.text.upper() in words

    def accept_word(self, *words: str) -> str | None:
        if self.at_word(*words):
            return self.advance().text.upper()
        return None

    def expect_word(self, *words: str) -> str:
        word = self.accept_word(*words)
        if word is None:
            self.fail(" or ".join(words))
        return word  # type: ignore[return-value]

    def location_at(self, token: Token | None) -> Location:
        if token is None:  # at the end: point just past the statement's last character
            offset = self.chunk.offset + len(self.chunk.text.rstrip())
        else:
            offset = self.chunk.offset + token.start
        return splitter.location(self.script, offset, self.source.number, self.source.anchor)

    def fail(self, expected: str, token: Token | None = None, hint: str | None = None) -> None:
        token = token if token is not None else self.peek()
        found = "end of statement" if token is None else _describe(token)
        raise ParseError(f"expected {expected}, found {found}", location=self.location_at(token), hint=hint)

    def expect_end(self) -> None:
        if self.peek() is not None:
            self.fail("end of statement (';')")

    # -- statements ----------------------------------------------------------------------------
    def statement(self) -> Statement:
        token = self.peek()
        if token is None:
            self.fail(_EXPECTED_START)
        assert token is not None
        word = token.text.upper()
        if token.token_type == TokenType.EXECUTE:
            return self.exec_statement()
        if word == "SHOW":
            return self.show_statement()
        if word in DESCRIBE_VERBS:
            return self.describe_statement()
        if word == "USE":
            self.advance()
            name = self.name(max_parts=1)
            self.expect_end()
            return Use(provider=name[0], source=self.source)
        if word in QUERY_VERBS or (word == "INSERT" and self._insert_into()):
            # Run as SQL: read by sqlglot in `query/`, which knows the resources' columns.
            return Query(
                verb="INSERT" if word == "INSERT" else "SELECT", text=self.chunk.text, source=self.source
            )
        if word in UNSUPPORTED_VERBS:
            return self.unsupported_statement(word)
        self.fail(_EXPECTED_START, hint="see `SHOW METHODS IN confluent.partner.signups` for what can be run")
        raise AssertionError  # unreachable

    def exec_statement(self) -> Exec:
        self.advance()
        hints: list[str] = []
        label: str | None = None
        while (token := self.peek()) is not None and token.token_type == TokenType.HINT:
            self.advance()
            text = token.text.strip()
            text = text[3:-2] if text.startswith("/*+") and text.endswith("*/") else text
            match = LABEL_HINT.search(text)
            if match:
                label = match.group(1)
                text = LABEL_HINT.sub(" ", text)
            hints.extend(word.upper() for word in text.split())
        name = self.name(max_parts=4, what="a method name such as confluent.partner.signups.signup")
        params: list[Param] = []
        json_body: Param | None = None
        seen: set[str] = set()
        while (token := self.peek()) is not None:
            if token.token_type == TokenType.COMMA and params:
                # One comma between two items; not two in a row, and not one at the end.
                self.advance()
                following = self.peek()
                if following is None or following.token_type != TokenType.PARAMETER:
                    self.fail("@name=value or @@json='...' after ','", following)
                continue
            if token.token_type != TokenType.PARAMETER:
                self.fail("@name=value, @@json='...' or the end of the statement")
            self.advance()
            double = token.text == "@@"
            param_name = self.param_name()
            if param_name.lower() in seen:
                raise ParseError(
                    f"parameter @{param_name} is given twice",
                    location=self.location_at(token),
                    hint="give each parameter once",
                )
            seen.add(param_name.lower())
            eq = self.peek()
            if eq is None or eq.token_type != TokenType.EQ:
                self.fail(f"'=' after @{'@' if double else ''}{param_name}")
            self.advance()
            if double:
                if param_name.lower() != "json":
                    raise ParseError(
                        f"unknown @@ parameter @@{param_name}",
                        location=self.location_at(token),
                        hint="the only @@ parameter is @@json='<json object>'",
                    )
                value_token = self.peek()
                if value_token is None or value_token.token_type != TokenType.STRING:
                    self.fail("a single-quoted JSON string after @@json=", value_token)
                assert value_token is not None
                self.advance()
                json_body = Param(
                    name="json", value=value_token.text, offset=value_token.start, at=token.start
                )
            else:
                value_start = self.peek()
                params.append(
                    Param(
                        name=param_name,
                        value=self.value(),
                        offset=value_start.start if value_start else 0,
                        at=token.start,
                    )
                )
        return Exec(
            name=name,
            params=tuple(params),
            json_body=json_body,
            hints=tuple(hints),
            label=label,
            source=self.source,
        )

    def _insert_into(self) -> bool:
        following = self.peek(1)
        return following is not None and following.text.upper() == "INTO"

    def show_statement(self) -> Show | ShowExecTemplate | ShowInsertTemplate:
        self.advance()
        extended = self.accept_word("EXTENDED") is not None
        if self.accept_word("INSERT"):
            required_only = False
            while (hint := self.peek()) is not None and hint.token_type == TokenType.HINT:
                self.advance()
                required_only = required_only or "REQUIRED" in hint.text.upper().split()
            self.expect_word("INTO")
            name = self.name(max_parts=3, what="a resource name")
            self.expect_end()
            return ShowInsertTemplate(name=name, required_only=required_only, source=self.source)
        token = self.peek()
        if token is not None and token.token_type == TokenType.EXECUTE:
            self.advance()
            required_only = False
            while (hint := self.peek()) is not None and hint.token_type == TokenType.HINT:
                self.advance()
                required_only = required_only or "REQUIRED" in hint.text.upper().split()
            name = self.name(max_parts=4, what="a method name")
            self.expect_end()
            return ShowExecTemplate(name=name, required_only=required_only, source=self.source)
        what = self.expect_word(*SHOW_OBJECTS, "EXEC")
        target: tuple[str, ...] = ()
        if what != "PROVIDERS":
            if self.accept_word("IN", "FROM") is None:
                self.fail(f"IN <name> after SHOW {what}")
            target = self.name(max_parts=3)
        like: str | None = None
        where: list[tuple[str, str, str]] = []
        if self.accept_word("LIKE"):
            like = self.string("a quoted pattern after LIKE")
        elif self.accept_word("WHERE"):
            where.append(self.condition())
            while self.accept_word("AND"):
                where.append(self.condition())
        self.expect_end()
        return Show(
            what=what, extended=extended, target=target, like=like, where=tuple(where), source=self.source
        )

    def condition(self) -> tuple[str, str, str]:
        column = self.param_name()
        token = self.peek()
        if token is not None and token.token_type in (TokenType.EQ, TokenType.NEQ):
            self.advance()
            op = "=" if token.token_type == TokenType.EQ else "!="
        elif self.accept_word("LIKE"):
            op = "LIKE"
        else:
            self.fail("=, != or LIKE")
            raise AssertionError
        return column, op, self.string("a quoted value")

    def describe_statement(self) -> Describe:
        self.advance()
        method = self.accept_word("METHOD") is not None
        extended = self.accept_word("EXTENDED") is not None
        if not method:
            method = self.accept_word("METHOD") is not None
        name = self.name(max_parts=4 if method else 3)
        self.expect_end()
        return Describe(name=name, extended=extended, method=method, source=self.source)

    def unsupported_statement(self, verb: str) -> Unsupported:
        # Only the resource matters for the answer; find the name after FROM / INTO / the verb.
        markers = {"SELECT": ("FROM",), "DELETE": ("FROM",), "INSERT": ("INTO",), "REPLACE": ("INTO",)}
        self.advance()
        wanted = markers.get(verb, ())
        name: tuple[str, ...] = ()
        if not wanted:
            name = self.name(max_parts=4)
        else:
            while (token := self.peek()) is not None:
                self.advance()
                if token.token_type != TokenType.STRING and token.text.upper() in wanted:
                    name = self.name(max_parts=4)
                    break
        return Unsupported(verb=verb, name=name, source=self.source)

    # -- pieces --------------------------------------------------------------------------------
    def name(self, max_parts: int, what: str = "a name") -> tuple[str, ...]:
        parts = [self.identifier(what)]
        while (token := self.peek()) is not None and token.token_type == TokenType.DOT:
            dot = self.advance()
            if len(parts) == max_parts:
                self.fail(f"at most {max_parts} dotted parts in a name", dot)
            parts.append(self.identifier("a name after '.'"))
        return tuple(parts)

    def identifier(self, what: str) -> str:
        token = self.peek()
        if (
            token is None
            or not (token.token_type in (TokenType.IDENTIFIER, TokenType.VAR) or _IDENT.match(token.text))
            or token.token_type == TokenType.STRING
        ):
            self.fail(what)
        assert token is not None
        self.advance()
        return token.text

    def param_name(self) -> str:
        token = self.peek()
        if token is None or token.token_type == TokenType.STRING or not _IDENT.match(token.text):
            self.fail("a parameter name")
        assert token is not None
        self.advance()
        return token.text

    def string(self, what: str) -> str:
        token = self.peek()
        if token is None or token.token_type != TokenType.STRING:
            self.fail(what)
        assert token is not None
        self.advance()
        return token.text

    def value(self) -> Scalar | Reference:
        token = self.peek()
        if token is None:
            self.fail("a value (a 'string', a number, true, false or NULL)")
        assert token is not None
        negative = False
        if token.token_type == TokenType.DASH:
            nxt = self.peek(1)
            if nxt is not None and nxt.token_type == TokenType.NUMBER:
                self.advance()
                token, negative = nxt, True
        if token.token_type == TokenType.STRING:
            self.advance()
            return token.text
        if token.token_type == TokenType.NUMBER:
            self.advance()
            number = _number(token.text)
            if number is None:
                self.fail(f"a number of at most {MAX_NUMBER_DIGITS} digits", token)
            return -number if negative and number is not None else number
        if token.token_type == TokenType.TRUE:
            self.advance()
            return True
        if token.token_type == TokenType.FALSE:
            self.advance()
            return False
        if token.token_type == TokenType.NULL:
            self.advance()
            return None
        if _IDENT.match(token.text) and (dot := self.peek(1)) is not None and dot.token_type == TokenType.DOT:
            label = self.advance().text
            self.advance()
            return Reference(label=label, field=self.identifier("a response field after '.'"))
        self.fail(
            "a value (a 'string', a number, true, false or NULL)",
            hint="quote text values with single quotes: @name='value'",
        )
        raise AssertionError


MAX_NUMBER_DIGITS = 4300
"""Python reads no longer integer (and a float that long would be infinite): such a number is refused."""


def _number(text: str) -> int | float | None:
    if len(text) > MAX_NUMBER_DIGITS:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def _describe(token: Token) -> str:
    if token.token_type == TokenType.STRING:
        return "a quoted string"  # its text may hold a secret, so it is not repeated
    if len(token.text) > 40:
        return f"a word of {len(token.text)} characters"  # not repeated: it may be a pasted secret
    return f"'{token.text}'"
