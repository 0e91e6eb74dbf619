"""The EXEC fast path yields exactly what the sqlglot tokenizer path yields, or declines."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stackql_signups._errors import ParseError
from stackql_signups.sql import fastpath, splitter
from stackql_signups.sql.parser import parse_statement as parse_with_sqlglot
from stackql_signups.sql.statements import Exec

WORDS = ["confluent", "partner", "signups", "signup", "user", "select", "json", "exec", "order", "true", "a1"]
NAMES = st.sampled_from(WORDS) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_$-]{0,5}", fullmatch=True)
SPACE = st.sampled_from([" ", "  ", "\n", "\r\n", "\t", " -- note\n", " -- a, b\r", "\n-- c;'\n", "\x0b", ""])
STRING_BODY = st.text(alphabet="ab'\"\\\n -;{}:@é", max_size=12)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


VALUES = st.one_of(
    STRING_BODY.map(_quoted),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["007", "-0", "1.5", "-2.25", "1e3", "1.", ".5", "- 4", "--5", "0x1F", "1_000"]),
    st.sampled_from(["true", "FALSE", "Null", "nil", "true.x", "acme.organization_id", "a.b.c", "x'41'"]),
    st.tuples(NAMES, NAMES).map(lambda p: f"{p[0]}.{p[1]}"),
    st.sampled_from(['\'{"organization": {"name": "it\'\'s"}}\'', "'{}'", "'[1]'", "''"]),
)


@st.composite
def items(draw: st.DrawFn) -> str:
    double = draw(st.sampled_from(["", "", "", "@"]))
    name = "json" if double and draw(st.booleans()) else draw(NAMES)
    name = draw(st.sampled_from([name, name.upper()]))
    eq = draw(st.sampled_from(["=", " = ", "=\n", "==", "= -- c\n", ""]))
    return f"@{double}{name}{eq}{draw(VALUES)}"


@st.composite
def statements(draw: st.DrawFn) -> str:
    parts = [draw(st.sampled_from(["", "\n", "  -- header\n", "/* c */ ", "-- x\r"]))]
    parts.append(draw(st.sampled_from(["EXEC", "exec", "Exec", "EXECUTE"])))
    parts.append(draw(st.sampled_from([" ", "\n", ""])))
    hint = draw(
        st.sampled_from(["", "/*+ AS acme */", "/*+ await AS x1 */", "/*+ AWAIT */", "/*+ a /* */ */"])
    )
    if hint:
        parts += [hint, draw(st.sampled_from([" ", " /*+ AS b */ ", ""]))]
    parts.append(".".join(draw(st.lists(NAMES, min_size=1, max_size=5))))
    for item in draw(st.lists(items(), max_size=5)):
        parts.append(draw(st.sampled_from([" ", " ", ", ", ",", " ,, ", "\n  "]) | SPACE))
        parts.append(item)
    parts.append(draw(SPACE | st.sampled_from([",", " /* end */", " junk"])))
    return "".join(parts)


IDENTS = st.sampled_from(WORDS) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True)
GOOD_VALUES = st.one_of(
    STRING_BODY.map(_quoted),
    st.integers(-(10**6), 10**6).map(str),
    st.sampled_from(["007", "-0", "1.5", "-2.25", "0.0", "true", "FALSE", "Null", "acme.organization_id"]),
    st.tuples(IDENTS, IDENTS).map(lambda p: f"{p[0]}.{p[1]}"),
)
GOOD_SPACE = st.sampled_from([" ", "\n  ", "\r\n", "\t", " -- note\n ", " -- a, b\r", "  -- c;'\n"])


@st.composite
def well_formed(draw: st.DrawFn) -> str:
    """Statements mostly inside the fast path's grammar, written in varied ways."""
    parts = [
        draw(st.sampled_from(["", "\n", "  -- header\n", "-- x\r\n"])),
        draw(st.sampled_from(["EXEC", "exec"])),
    ]
    parts.append(draw(GOOD_SPACE))
    hint = draw(
        st.sampled_from(["", "/*+ AS acme */", "/*+ await AS x1 */", "/*+ AWAIT  */", "/*+ as B2 */"])
    )
    if hint:
        parts += [hint, draw(GOOD_SPACE)]
    parts.append(".".join(draw(st.lists(IDENTS, min_size=1, max_size=4))))
    names = draw(st.lists(IDENTS, max_size=4, unique_by=str.lower))
    body = draw(st.none() | st.integers(0, len(names)))
    for i, name in enumerate([*names, ""]):
        if body == i:
            parts += [draw(GOOD_SPACE), "@@json=", draw(STRING_BODY.map(_quoted))]
        if name:
            separator = draw(GOOD_SPACE | st.sampled_from([", ", " ,\n"])) if i else draw(GOOD_SPACE)
            eq = draw(st.sampled_from(["=", " = ", "=\n", "= -- c\n"]))
            parts += [separator, f"@{name}{eq}{draw(GOOD_VALUES)}"]
    parts.append(draw(st.sampled_from(["", " ", "\n", " -- end"])))
    return "".join(parts)


def _sqlglot(script: str, chunk: splitter.Chunk) -> Exec | str:
    try:
        found = parse_with_sqlglot(script, chunk, 1)
    except ParseError as exc:
        return f"error: {exc.message}"
    assert isinstance(found, Exec)
    return found


def _same(script: str) -> bool:
    """Whether the fast path took the statement (and then it must agree with sqlglot)."""
    chunks = list(splitter.split(script))
    assert len(chunks) == 1
    fast = fastpath.parse_exec(script, chunks[0], 1, {})
    if fast is None:
        return False
    slow = _sqlglot(script, chunks[0])
    # repr compares types too: True is not 1, -0.0 is not 0.0; and it includes the source position.
    assert repr(fast) == repr(slow), script
    return True


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=statements() | well_formed())
@example(script="EXEC confluent.partner.signups.signup @dry_run=false\n@@json='{\"a\": \"it''s\"}'")
@example(script="EXEC a -- c\r@x=1\n@y=2")
@example(script="EXEC a -- c @@json='{}'")
@example(script="EXEC a @x=1 -- c\n @@json='{}'")
@example(script="EXEC a @json='x' @@json='{}'")
@example(script="EXEC a @x=1, @@json='{}'")
@example(script="EXEC a @x='y @@json=' @@json='{}'")
def test_fast_path_agrees_with_the_tokenizer(script: str) -> None:
    try:
        list(splitter.split(script))
    except ParseError:
        return  # unterminated quotes or comments never reach either parser
    if len(list(splitter.split(script))) != 1:
        return
    _same(script)


WELL_FORMED = [
    "EXEC confluent.partner.signups.signup @dry_run=false @@json='{\"organization\": {}}'",
    "\n-- a comment\nexec /*+ AS acme AWAIT */ partner.signups.signup\n @dry_run=true, @x=-5 -- n\n @y=1.5",
    "EXEC confluent.partner.signups.activate_signup @organization_id=acme.organization_id @user='{}'",
    "EXEC x @a=NULL, @b='O''Brien', @c=007 @@JSON='{}'",
]


@pytest.mark.parametrize("script", WELL_FORMED)
def test_well_formed_statements_take_the_fast_path(script: str) -> None:
    assert _same(script)


SIMPLE_WORDS = st.sampled_from(
    [
        "SHOW",
        "show",
        "EXTENDED",
        "METHODS",
        "methods",
        "SERVICES",
        "RESOURCES",
        "PROVIDERS",
        "IN",
        "from",
        "DESCRIBE",
        "desc",
        "METHOD",
        "USE",
        "EXEC",
        "LIKE",
        "confluent",
        "partner",
        "signups",
        "signup",
        "order",
        ".",
        ".",
        ".",
        "by",
        "'x'",
        "=",
        "/*+A*/",
        "1",
    ]
)
DESCRIBE_WORDS = ["", "METHOD ", "EXTENDED ", "METHOD EXTENDED ", "EXTENDED METHOD "]


@st.composite
def simple_statements(draw: st.DrawFn) -> str:
    """SHOW / DESCRIBE / USE: mostly well-formed, sometimes not."""
    name = ".".join(draw(st.lists(IDENTS, min_size=1, max_size=5)))
    shapes = [
        f"SHOW {draw(st.sampled_from(['', 'EXTENDED ']))}"
        f"{draw(st.sampled_from(['METHODS', 'services', 'RESOURCES', 'PROVIDERS', 'EXEC']))}"
        f"{draw(st.sampled_from([' IN ', ' from ', ' ']))}{name}",
        "SHOW PROVIDERS",
        f"DESCRIBE {draw(st.sampled_from(DESCRIBE_WORDS))}{name}",
        f"USE {name}",
        " ".join(draw(st.lists(SIMPLE_WORDS | IDENTS, min_size=1, max_size=7))),
    ]
    text = draw(st.sampled_from(shapes))
    spaces = draw(st.lists(GOOD_SPACE, min_size=3, max_size=3))
    text = text.replace(" ", spaces[0], 1).replace(" ", spaces[1], 1)
    return draw(st.sampled_from(["", "\n", "-- c\n"])) + text + spaces[2]


def _same_simple(script: str) -> bool:
    chunks = list(splitter.split(script))
    assert len(chunks) == 1
    fast = fastpath.parse_simple(script, chunks[0], 1)
    if fast is None:
        return False
    try:
        slow: object = parse_with_sqlglot(script, chunks[0], 1)
    except ParseError as exc:
        slow = f"error: {exc.message}"
    assert repr(fast) == repr(slow), script
    return True


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=simple_statements())
@example(script="SHOW METHODS IN confluent.partner.signups")
def test_simple_fast_path_agrees_with_the_tokenizer(script: str) -> None:
    try:
        if len(list(splitter.split(script))) != 1:
            return
    except ParseError:
        return
    _same_simple(script)


@pytest.mark.parametrize(
    "script",
    [
        "SHOW METHODS IN confluent.partner.signups",
        "show extended services from confluent",
        "SHOW PROVIDERS",
        "DESCRIBE METHOD confluent.partner.signups.signup",
        "DESCRIBE EXTENDED partner.signups",
        "USE confluent",
    ],
)
def test_simple_statements_take_the_fast_path(script: str) -> None:
    assert _same_simple(script)
