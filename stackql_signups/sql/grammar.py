"""The facts of the StackQL grammar every reader shares: the lexical scanner, the fast path, the tokenizer's
tables and the parser import them.

No sqlglot here: the fast path must not pay for it. SELECT (and WITH) and `INSERT INTO` are statements this
grammar hands on whole to sqlglot's own SQL parser (`query/`); the other SQL verbs get StackQL's message.
"""

from __future__ import annotations

import re

DESCRIBE_VERBS = ("DESCRIBE", "DESC")
SHOW_OBJECTS = ("PROVIDERS", "SERVICES", "RESOURCES", "METHODS")
"""What SHOW lists; PROVIDERS alone takes no `IN name`."""
QUERY_VERBS = frozenset({"SELECT", "WITH"})
"""Statements run as SQL (with `INSERT INTO`): read by sqlglot's parser in `query/`, not by this grammar."""
UNSUPPORTED_VERBS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE"})
"""SQL verbs answered with StackQL's message when they are not run as SQL."""
LITERAL_WORDS = {"TRUE": True, "FALSE": False, "NULL": None}
"""The bare words an `@name=` item may take as its value."""
LABEL_HINT = re.compile(r"\bAS\s+([A-Za-z_][A-Za-z0-9_]*)\b", re.IGNORECASE)
"""`/*+ ... AS label */`: the label of an EXEC, inside its hint."""

STRING_QUOTE = "'"
"""Opens and closes a string; doubled inside one, it stands for itself (no backslash escapes)."""
IDENTIFIER_QUOTES = ('"', "`")
"""Open and close a quoted name (StackQL reads MySQL's backticks too); doubled inside, as in a string."""
LINE_COMMENT = "--"
"""Starts a comment that runs to the end of the line."""
BLOCK_COMMENT = ("/*", "*/")
"""Start and end of a block comment; they do not nest, as in StackQL."""
HINT_OPENING = BLOCK_COMMENT[0] + "+"
"""Starts a hint (`/*+ AS label */`), which is code, not a comment."""
