"""Parser stage: statements in, dataclasses out; errors carry statement, line, column and a caret.

Every test here runs in whatever interpreter runs pytest; its id names the sqlglot build it ran on
(`sqlglot-sqlglotc` when the compiled extension is installed, `sqlglot-pure-python` otherwise), so a CI
run with and one without `sqlglotc` both show which build each result belongs to.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackql_signups import ParseError
from stackql_signups.sql import splitter
from stackql_signups.sql.parser import parse
from stackql_signups.sql.statements import Describe, Exec, Query, Show, Unsupported, Use

from .support import sqlglot_build

BUILD = sqlglot_build()


@pytest.fixture(autouse=True, params=[BUILD], ids=[f"sqlglot-{BUILD}"])
def sqlglot_variant(request: pytest.FixtureRequest) -> str:
    """Puts the sqlglot build into every test id of this module."""
    return str(request.param)


def one(sql: str) -> object:
    statements = parse(sql)
    assert len(statements) == 1, statements
    return statements[0]


def pairs(statement: object) -> list[tuple[str, object]]:
    assert isinstance(statement, Exec)
    return [(p.name, p.value) for p in statement.params]


def parse_error(sql: str) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse(sql)
    return caught.value


# -- the build ----------------------------------------------------------------------------------------


def test_parsing_works_with_the_installed_sqlglot_build() -> None:
    from sqlglot import tokenizer_core
    from sqlglot.tokens import TokenType

    from stackql_signups.sql.dialect import StackQLTokenizer

    compiled = str(tokenizer_core.__file__).endswith((".so", ".pyd"))
    assert (BUILD == "sqlglotc") == compiled, tokenizer_core.__file__
    tokens = StackQLTokenizer().tokenize('EXEC /*+ AWAIT */ a.b.c.d @@json=\'{"k": "\\""}\'')
    types = [t.token_type for t in tokens]
    # EXEC is a verb token (not a swallowed COMMAND), the hint is a HINT, `@@` is one token.
    assert types[0] == TokenType.EXECUTE
    assert types[1] == TokenType.HINT
    assert [t.text for t in tokens if t.token_type == TokenType.PARAMETER] == ["@@"]
    statement = one('EXEC /*+ AWAIT */ a.b.c.d @@json=\'{"k": "\\""}\';')
    assert isinstance(statement, Exec)
    assert statement.hints == ("AWAIT",)
    assert json.loads(str(statement.json_body.value if statement.json_body else "")) == {"k": '"'}


# -- EXEC -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        ("/*+ AWAIT */", ("AWAIT",)),
        ("/*+ SHOWRESULTS */", ("SHOWRESULTS",)),
        ("/*+ AWAIT SHOWRESULTS */", ("AWAIT", "SHOWRESULTS")),
        ("/*+ showresults\n await */", ("SHOWRESULTS", "AWAIT")),
        ("", ()),
    ],
    ids=["await", "showresults", "both", "lowercase-multiline", "none"],
)
def test_exec_hints(hint: str, expected: tuple[str, ...]) -> None:
    statement = one(f"EXEC {hint} confluent.partner.signups.signup @dry_run=true;")
    assert isinstance(statement, Exec)
    assert statement.hints == expected
    assert statement.name == ("confluent", "partner", "signups", "signup")
    assert pairs(statement) == [("dry_run", True)]


def test_a_plain_comment_after_exec_is_not_a_hint() -> None:
    statement = one("EXEC /* AWAIT */ confluent.partner.signups.signup;")
    assert isinstance(statement, Exec)
    assert statement.hints == ()


@pytest.mark.parametrize(
    "name",
    ["signup", "signups.signup", "partner.signups.signup", "confluent.partner.signups.signup"],
    ids=["1-part", "2-parts", "3-parts", "4-parts"],
)
def test_exec_names_of_one_to_four_parts(name: str) -> None:
    statement = one(f"EXEC {name};")
    assert isinstance(statement, Exec)
    assert statement.name == tuple(name.split("."))
    assert statement.params == ()
    assert statement.json_body is None


def test_quoted_identifiers_in_names() -> None:
    statement = one('EXEC "confluent"."partner".signups."signup";')
    assert isinstance(statement, Exec)
    assert statement.name == ("confluent", "partner", "signups", "signup")


def test_use_then_three_part_names() -> None:
    statements = parse(
        "USE confluent;\n"
        "EXEC partner.signups.activate_signup @organization_id='o-1';\n"
        "SHOW METHODS IN partner.signups;\n"
        "DESCRIBE METHOD partner.signups.signup;"
    )
    assert [type(s) for s in statements] == [Use, Exec, Show, Describe]
    use, exec_, show, describe = statements
    assert isinstance(use, Use) and use.provider == "confluent"
    assert isinstance(exec_, Exec) and exec_.name == ("partner", "signups", "activate_signup")
    assert isinstance(show, Show) and show.target == ("partner", "signups")
    assert isinstance(describe, Describe) and describe.name == ("partner", "signups", "signup")


EXPECTED_ITEMS = [("organization_id", "o-1"), ("dry_run", True), ("count", 3)]


@pytest.mark.parametrize(
    "items",
    [
        "@organization_id='o-1', @dry_run=true, @count=3",
        "@organization_id='o-1' @dry_run=true @count=3",
        "@organization_id='o-1',@dry_run=true,@count=3",
        "\n  @organization_id='o-1' -- the org\n  @dry_run=true -- validate only\n  @count=3 -- how many\n",
        "\n  @organization_id='o-1', -- the org\n  @dry_run=true /* validate */ @count=3\n",
    ],
    ids=["commas", "spaces", "commas-no-spaces", "one-per-line-comments", "mixed"],
)
def test_parameters_with_and_without_commas(items: str) -> None:
    statement = one(f"EXEC confluent.partner.signups.activate_signup {items};")
    assert pairs(statement) == EXPECTED_ITEMS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'abc'", "abc"),
        ("'it''s'", "it's"),
        ("''''", "'"),
        ("''", ""),
        ("'semi;colon -- not a comment /* nor this */'", "semi;colon -- not a comment /* nor this */"),
        ("'café ☕'", "café ☕"),
        ("'back\\slash'", "back\\slash"),
        ("42", 42),
        ("0", 0),
        ("-7", -7),
        ("3.25", 3.25),
        ("-0.5", -0.5),
        ("1e3", 1000.0),
        ("true", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("NULL", None),
        ("null", None),
    ],
    ids=lambda v: repr(v),
)
def test_value_types(text: str, expected: object) -> None:
    statement = one(f"EXEC a.b.c.d @v={text};")
    [(name, value)] = pairs(statement)
    assert name == "v"
    assert value == expected
    assert type(value) is type(expected)


def test_json_body_keeps_backslashes_and_escaped_quotes() -> None:
    raw = r"""{"name": "say \"hi\"", "path": "C:\\temp\\new", "nl": "a\nb", "u": "\u00e9", "q": "O''Brien"}"""
    statement = one(f"EXEC confluent.partner.signups.signup @@json='{raw}';")
    assert isinstance(statement, Exec)
    assert statement.json_body is not None
    # `''` is the only escape the SQL string has; every backslash reaches json.loads unchanged.
    assert statement.json_body.value == raw.replace("''", "'")
    assert json.loads(str(statement.json_body.value)) == {
        "name": 'say "hi"',
        "path": "C:\\temp\\new",
        "nl": "a\nb",
        "u": "é",
        "q": "O'Brien",
    }


def test_json_body_with_other_parameters_and_comments() -> None:
    statement = one(
        "EXEC confluent.partner.signups.signup\n"
        "  @dry_run=true -- validate\n"
        '  @@json=\'{"organization": {"name": "a -- b; /* c */"}}\' -- the body\n'
        ";"
    )
    assert isinstance(statement, Exec)
    assert pairs(statement) == [("dry_run", True)]
    assert statement.json_body is not None
    assert json.loads(str(statement.json_body.value)) == {"organization": {"name": "a -- b; /* c */"}}


@settings(max_examples=200, deadline=None)
@given(st.text().filter(lambda s: "\x00" not in s))
def test_any_string_value_round_trips(text: str) -> None:
    statement = one("EXEC a.b.c.d @v='" + text.replace("'", "''") + "';")
    assert pairs(statement) == [("v", text)]


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES, st.booleans())
def test_any_json_body_round_trips(value: object, ascii_only: bool) -> None:
    body = {"k": value}
    text = json.dumps(body, ensure_ascii=ascii_only)
    statement = one("EXEC a.b.c.d @@json='" + text.replace("'", "''") + "';")
    assert isinstance(statement, Exec) and statement.json_body is not None
    assert json.loads(str(statement.json_body.value)) == body


# -- SHOW, DESCRIBE and the other verbs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "what", "extended", "target", "like", "where"),
    [
        ("SHOW PROVIDERS", "PROVIDERS", False, (), None, ()),
        ("SHOW EXTENDED PROVIDERS LIKE 'conf%'", "PROVIDERS", True, (), "conf%", ()),
        ("SHOW SERVICES IN confluent", "SERVICES", False, ("confluent",), None, ()),
        ("show extended services from confluent", "SERVICES", True, ("confluent",), None, ()),
        (
            "SHOW RESOURCES IN confluent.partner LIKE 'sign%'",
            "RESOURCES",
            False,
            ("confluent", "partner"),
            "sign%",
            (),
        ),
        ("SHOW EXTENDED RESOURCES IN partner", "RESOURCES", True, ("partner",), None, ()),
        (
            "SHOW METHODS IN confluent.partner.signups",
            "METHODS",
            False,
            ("confluent", "partner", "signups"),
            None,
            (),
        ),
        (
            "SHOW METHODS IN confluent.partner.signups WHERE MethodName = 'signup'",
            "METHODS",
            False,
            ("confluent", "partner", "signups"),
            None,
            (("MethodName", "=", "signup"),),
        ),
        (
            "SHOW EXTENDED METHODS IN partner.signups WHERE SQLVerb = 'EXEC' AND MethodName LIKE 'sign%'",
            "METHODS",
            True,
            ("partner", "signups"),
            None,
            (("SQLVerb", "=", "EXEC"), ("MethodName", "LIKE", "sign%")),
        ),
        (
            "SHOW METHODS IN a.b.c WHERE MethodName != 'x'",
            "METHODS",
            False,
            ("a", "b", "c"),
            None,
            (("MethodName", "!=", "x"),),
        ),
    ],
    ids=[
        "providers",
        "extended-providers-like",
        "services",
        "extended-services-from-lowercase",
        "resources-like",
        "extended-resources",
        "methods",
        "methods-where",
        "methods-where-and-like",
        "methods-where-not-equal",
    ],
)
def test_show(
    sql: str,
    what: str,
    extended: bool,
    target: tuple[str, ...],
    like: str | None,
    where: tuple[tuple[str, str, str], ...],
) -> None:
    statement = one(sql + ";")
    assert isinstance(statement, Show)
    assert (statement.what, statement.extended, statement.target, statement.like, statement.where) == (
        what,
        extended,
        target,
        like,
        where,
    )


@pytest.mark.parametrize(
    ("sql", "name", "extended", "method"),
    [
        ("DESCRIBE confluent.partner.signups", ("confluent", "partner", "signups"), False, False),
        ("DESCRIBE EXTENDED confluent.partner.signups", ("confluent", "partner", "signups"), True, False),
        ("DESC partner.signups", ("partner", "signups"), False, False),
        (
            "DESCRIBE METHOD confluent.partner.signups.signup",
            ("confluent", "partner", "signups", "signup"),
            False,
            True,
        ),
        (
            "DESCRIBE METHOD EXTENDED confluent.partner.signups.signup",
            ("confluent", "partner", "signups", "signup"),
            True,
            True,
        ),
        ("DESCRIBE EXTENDED METHOD a.b.c.d", ("a", "b", "c", "d"), True, True),
    ],
    ids=[
        "describe",
        "describe-extended",
        "desc",
        "describe-method",
        "describe-method-extended",
        "describe-extended-method",
    ],
)
def test_describe(sql: str, name: tuple[str, ...], extended: bool, method: bool) -> None:
    statement = one(sql)
    assert isinstance(statement, Describe)
    assert (statement.name, statement.extended, statement.method) == (name, extended, method)


@pytest.mark.parametrize(
    ("sql", "verb"),
    [
        ("SELECT * FROM confluent.partner.signups WHERE x = 'a;b'", "SELECT"),
        ("select organization_id from confluent.partner.signups", "SELECT"),
        ("WITH x AS (SELECT 1) SELECT * FROM x", "SELECT"),
        ("INSERT INTO confluent.partner.signups (a) SELECT 'x'", "INSERT"),
    ],
    ids=["select", "select-lowercase", "with", "insert"],
)
def test_sql_statements_are_kept_whole_for_sqlglot(sql: str, verb: str) -> None:
    # SELECT and INSERT are read by sqlglot in query/, which knows the resources' columns.
    statement = one(sql + ";")
    assert isinstance(statement, Query)
    assert (statement.verb, statement.text) == (verb, sql)


@pytest.mark.parametrize(
    ("sql", "verb"),
    [
        ("UPDATE confluent.partner.signups SET a = 'b' WHERE c = 1", "UPDATE"),
        ("DELETE FROM confluent.partner.signups WHERE a = 1", "DELETE"),
        ("REPLACE INTO confluent.partner.signups (a) SELECT 'x'", "REPLACE"),
    ],
    ids=["update", "delete", "replace"],
)
def test_other_verbs_are_recognised(sql: str, verb: str) -> None:
    statement = one(sql + ";")
    assert isinstance(statement, Unsupported)
    assert statement.verb == verb
    assert statement.name == ("confluent", "partner", "signups")


# -- scripts -----------------------------------------------------------------------------------------


SCRIPT = """\
-- onboarding script; the semicolons in comments do not end statements
/* block comment ; with a semicolon
   over two lines ; */
USE confluent;

SHOW METHODS IN partner.signups; -- trailing comment ;
EXEC /*+ AWAIT */ partner.signups.signup
  @dry_run=true -- a comment; with a semicolon
  @@json='{"organization": {"name": "x;y -- z /* w */"}}'
;
/* a comment between statements */ DESCRIBE METHOD partner.signups.signup;
EXEC partner.signups.activate_signup @organization_id='a;''b''' ;
-- the end ;
"""


def test_script_of_many_statements() -> None:
    statements = parse(SCRIPT)
    assert [type(s).__name__ for s in statements] == ["Use", "Show", "Exec", "Describe", "Exec"]
    assert [s.source.number for s in statements] == [1, 2, 3, 4, 5]
    lines = SCRIPT.splitlines()
    describe_column = lines[10].index("DESCRIBE") + 1
    assert [(s.source.line, s.source.column) for s in statements] == [
        (4, 1),
        (6, 1),
        (7, 1),
        (11, describe_column),
        (12, 1),
    ]
    signup, activate = statements[2], statements[4]
    assert isinstance(signup, Exec) and isinstance(activate, Exec)
    assert signup.hints == ("AWAIT",)
    assert pairs(signup) == [("dry_run", True)]
    assert signup.json_body is not None
    assert json.loads(str(signup.json_body.value)) == {"organization": {"name": "x;y -- z /* w */"}}
    assert pairs(activate) == [("organization_id", "a;'b'")]


def test_splitter_ignores_semicolons_in_strings_comments_and_identifiers() -> None:
    chunks = list(splitter.split("SHOW PROVIDERS; -- a;b\n/* c;d */ EXEC \"x;y\".b.c.d @v='e;f'; ;;  \n"))
    assert [c.text.strip() for c in chunks] == [
        "SHOW PROVIDERS",
        "-- a;b\n/* c;d */ EXEC \"x;y\".b.c.d @v='e;f'",
    ]


def test_script_of_only_comments_and_semicolons_has_no_statements() -> None:
    assert parse("-- nothing here;\n/* nor ; here */ ;;\n") == []


# -- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "statement", "line", "column", "expected"),
    [
        (
            "FROB confluent;",
            1,
            1,
            1,
            "expected EXEC, SHOW, DESCRIBE, USE, SELECT, INSERT, UPDATE, DELETE or REGISTRY",
        ),
        ("EXEC;", 1, 1, 5, "expected a method name"),
        ("EXEC a.b.c.d.e;", 1, 1, 13, "expected at most 4 dotted parts"),
        ("EXEC a..b;", 1, 1, 8, "expected a name after '.'"),
        ("EXEC a.b.c.d @x 1;", 1, 1, 17, "expected '=' after @x"),
        ("EXEC a.b.c.d @x=;", 1, 1, 17, "expected a value"),
        ("EXEC a.b.c.d @x=bare;", 1, 1, 17, "expected a value"),
        ("EXEC a.b.c.d @x=1 extra;", 1, 1, 19, "expected @name=value, @@json='...' or the end"),
        ("EXEC a.b.c.d @x=1 @X=2;", 1, 1, 19, "parameter @X is given twice"),
        ("EXEC a.b.c.d @@body='{}';", 1, 1, 14, "unknown @@ parameter @@body"),
        ("EXEC a.b.c.d @@json=1;", 1, 1, 21, "expected a single-quoted JSON string after @@json="),
        ("SHOW;", 1, 1, 5, "expected PROVIDERS or SERVICES or RESOURCES or METHODS"),
        ("SHOW METHODS confluent.partner.signups;", 1, 1, 14, "expected IN <name> after SHOW METHODS"),
        ("SHOW METHODS IN a.b.c.d;", 1, 1, 22, "expected at most 3 dotted parts"),
        ("SHOW PROVIDERS LIKE conf;", 1, 1, 21, "expected a quoted pattern after LIKE"),
        ("SHOW PROVIDERS WHERE name;", 1, 1, 26, "expected =, != or LIKE"),
        ("SHOW PROVIDERS please;", 1, 1, 16, "expected end of statement"),
        ("USE confluent.partner;", 1, 1, 14, "expected at most 1 dotted parts"),
        ("SHOW PROVIDERS;\nSHOW PROVIDERS;\nEXEC a.b.c.d\n  @x=1\n  @y=oops;", 3, 5, 6, "expected a value"),
        ("SHOW PROVIDERS; -- fine\n\n  EXEC a.b.c.d @x='never closed;\n", 2, 3, 19, "unterminated string"),
        ("SHOW PROVIDERS;\nSHOW /* never closed", 2, 2, 6, "unterminated comment"),
        ('EXEC "a.b.c.d @x=1;', 1, 1, 6, "unterminated quoted identifier"),
    ],
    ids=[
        "unknown-verb",
        "exec-no-name",
        "five-parts",
        "empty-part",
        "no-equals",
        "no-value",
        "bare-word",
        "trailing-word",
        "duplicate-param",
        "unknown-double-at",
        "json-not-string",
        "show-nothing",
        "show-no-in",
        "show-four-parts",
        "like-unquoted",
        "where-no-op",
        "show-trailing",
        "use-dotted",
        "third-statement-fifth-line",
        "unterminated-string",
        "unterminated-comment",
        "unterminated-identifier",
    ],
)
def test_parse_errors_name_statement_line_column_and_show_a_caret(
    sql: str, statement: int, line: int, column: int, expected: str
) -> None:
    error = parse_error(sql)
    assert error.location is not None
    assert (error.location.statement, error.location.line, error.location.column) == (statement, line, column)
    source_line = sql.splitlines()[line - 1]
    assert error.location.source_line == source_line
    text = error.describe()
    head, *rest = text.splitlines()
    assert head.startswith("parse error: ")
    assert expected in head
    assert f"(statement {statement}, line {line}, col {column})" in head
    # The offending line, then a caret under the column.
    assert rest[0] == "  " + source_line
    assert rest[1] == "  " + " " * (column - 1) + "^"


def test_error_for_a_quoted_string_does_not_repeat_its_text() -> None:
    error = parse_error("EXEC a.b.c.d 'hunter2-secret';")
    assert "expected @name=value" in error.message
    assert "hunter2-secret" not in error.message


def test_first_error_stops_the_script() -> None:
    error = parse_error("EXEC a.b.c.d @x=oops;\nEXEC a.b.c.d @y=alsobad;")
    assert error.location is not None and error.location.statement == 1


@pytest.mark.parametrize(
    "sql",
    ["/* see /* this */ SHOW PROVIDERS;", "SHOW PROVIDERS; /* a /* b */ SHOW PROVIDERS;"],
    ids=["first-statement", "second-statement"],
)
def test_a_block_comment_ends_at_the_first_close(sql: str) -> None:
    statements = parse(sql)
    assert statements and all(isinstance(s, Show) and s.what == "PROVIDERS" for s in statements)
