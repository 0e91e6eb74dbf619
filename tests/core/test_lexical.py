"""One scanner for quotes and comments: the splitter, the renderer and sqlglot's tokenizer agree on them."""

from __future__ import annotations

import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot.tokens import TokenType

from stackql_signups.render import render
from stackql_signups.sql.dialect import StackQLTokenizer
from stackql_signups.sql.lexical import Span, first_code, has_code, spans
from stackql_signups.sql.splitter import split

from ..e2e import CLI

PIECES = ["'", "''", '"', "`", "--", "/*", "*/", "\n", "\r", " ", "a", "1", ";", "(", ")", "=", "-", "/", "*"]
texts = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


def test_spans_name_strings_quoted_names_and_comments_in_order() -> None:
    text = "a 'b;''c' \"d\"\"e\" `f` -- g;\n/* h */ ; 'open"
    assert list(spans(text, stops=";")) == [
        Span("string", 2, 9),
        Span("identifier", 10, 16),
        Span("identifier", 17, 20),
        Span("line comment", 21, 27),
        Span("block comment", 27, 34),
        Span("stop", 35, 36),
        Span("string", 37, 42, closed=False),
    ]


def test_code_is_found_past_comments_and_a_hint_counts_as_code() -> None:
    assert not has_code("  -- only a comment\n /* and another */ ")
    assert has_code("-- c\n 'x'")
    assert first_code("-- c\n/* d */ SHOW") == 13
    assert first_code("/*+ AWAIT */ EXEC") == 0


@settings(max_examples=300, deadline=None)
@given(texts)
def test_the_tokenizer_reads_the_strings_and_names_the_scanner_finds(text: str) -> None:
    found = list(spans(text))
    if any(not s.closed for s in found):
        return
    strings = [text[s.start + 1 : s.end - 1].replace("''", "'") for s in found if s.kind == "string"]
    names = [
        text[s.start + 1 : s.end - 1].replace(text[s.start] * 2, text[s.start])
        for s in found
        if s.kind == "identifier"
    ]
    tokens = StackQLTokenizer().tokenize(text)
    assert [t.text for t in tokens if t.token_type == TokenType.STRING] == strings
    assert [t.text for t in tokens if t.token_type == TokenType.IDENTIFIER] == names


@settings(max_examples=300, deadline=None)
@given(texts)
def test_splitting_keeps_every_character_of_code_and_strings(text: str) -> None:
    try:
        chunks = list(split(text))
    except Exception:
        return  # an unterminated string or comment is refused (tested elsewhere)
    for chunk in chunks:
        assert text[chunk.offset : chunk.offset + len(chunk.text)] == chunk.text
        assert has_code(chunk.text)
    if "\r" not in text:  # Jinja writes every line end as \n
        assert render(text + "\n{{ 1 }}", {}) == text + "\n1"  # the renderer leaves template text as it is


def test_backticks_quote_names_and_a_semicolon_inside_them_does_not_end_the_statement() -> None:
    def run(sql: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(CLI), "exec", sql], capture_output=True, text=True, timeout=60)

    named = run("SHOW METHODS IN `confluent`.partner.`signups`;")
    assert named.returncode == 0 and "signup_partner_v2_link" in named.stdout, named.stderr
    refused = run("SHOW PROVIDERS; SHOW METHODS IN `a;b`.c.d")
    assert refused.returncode == 2 and refused.stdout == ""
    assert "unknown provider: 'a;b'" in refused.stderr and "statement 2" in refused.stderr


def test_a_carriage_return_ends_a_line_comment_as_in_sqlglot() -> None:
    assert [c.text.strip() for c in split("-- a comment\rSHOW PROVIDERS;\r\n-- c\r\nSHOW SERVICES")] == [
        "-- a comment\rSHOW PROVIDERS",
        "-- c\r\nSHOW SERVICES",
    ]
