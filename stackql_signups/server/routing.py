"""Which statements the engine answers, and which are the Postgres chatter that drivers send at connect."""

from __future__ import annotations

import re

import pg_mimic
from pg_mimic import ResultColumn, Statement, StaticStatement
from pg_mimic.middleware import (
    MiddlewareContext,
    asyncpg_typeinfo,
    information_schema,
    pg_catalog,
    session_functions,
    set_show,
    static_select,
    transaction_control,
)

from ..sql.lexical import first_code

_ISOLATION = re.compile(r"\s*SHOW\s+TRANSACTION\s+ISOLATION\s+LEVEL\s*;?\s*$", re.IGNORECASE)


async def transaction_isolation(ctx: MiddlewareContext) -> Statement | None:
    """`SHOW TRANSACTION ISOLATION LEVEL`, which JDBC and BI tools ask: Postgres's default."""
    if not _ISOLATION.match(ctx.sql):
        return None
    text: int = pg_mimic.TEXT
    return StaticStatement("SHOW", [ResultColumn("transaction_isolation", text)], [("read committed",)])


# `SET x`, `SHOW server_version`, `SELECT 'test' as test_value`, `SELECT version()`, BEGIN/COMMIT and
# psql's catalog queries; everything else reaches the engine. static_select answers table-less SELECTs
# (pystackql's connection test) because the engine has nothing to say about them.
POSTGRES_CHATTER = (
    transaction_control,
    transaction_isolation,
    set_show,
    session_functions,
    static_select,
    information_schema,
    asyncpg_typeinfo,
    pg_catalog,
)

_ENGINE_VERBS = frozenset(
    {"EXEC", "EXECUTE", "DESCRIBE", "DESC", "USE", "INSERT", "UPDATE", "DELETE", "REPLACE", "REGISTRY"}
)
# What follows SHOW in StackQL's own SHOW statements; `SHOW server_version` and the like are Postgres's.
_STACKQL_SHOW = frozenset({"PROVIDERS", "SERVICES", "RESOURCES", "METHODS", "EXTENDED", "EXEC", "INSERT"})
_WORDS = re.compile(r"[A-Za-z_]+")


def engine_first(sql: str) -> bool:
    """Whether `sql` is certainly a StackQL statement: then no Postgres handler may answer it.

    Cheap on purpose: it runs for every statement, and the handlers would parse an EXEC with sqlglot.
    """
    words = _WORDS.findall(sql, first_code(sql), first_code(sql) + 40)
    if not words:
        return False
    verb = words[0].upper()
    if verb in _ENGINE_VERBS:
        return True
    return verb == "SHOW" and len(words) > 1 and words[1].upper() in _STACKQL_SHOW
