"""The facts of the StackQL grammar both readers share: the fast path and the sqlglot parser import them.

No sqlglot here: the fast path must not pay for it. SELECT and INSERT are listed as statements this
grammar hands on (to StackQL's message today; to sqlglot's own parser when a resource can answer them).
"""

from __future__ import annotations

import re

DESCRIBE_VERBS = ("DESCRIBE", "DESC")
SHOW_OBJECTS = ("PROVIDERS", "SERVICES", "RESOURCES", "METHODS")
"""What SHOW lists; PROVIDERS alone takes no `IN name`."""
UNSUPPORTED_VERBS = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE"})
"""Statements read by sqlglot's own SQL parser rather than this grammar."""
LITERAL_WORDS = {"TRUE": True, "FALSE": False, "NULL": None}
"""The bare words an `@name=` item may take as its value."""
LABEL_HINT = re.compile(r"\bAS\s+([A-Za-z_][A-Za-z0-9_]*)\b", re.IGNORECASE)
"""`/*+ ... AS label */`: the label of an EXEC, inside its hint."""
