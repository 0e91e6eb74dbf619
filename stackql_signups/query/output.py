"""How a SELECT's result comes out: column names as written, and which columns are objects (nested JSON)."""

from __future__ import annotations

from typing import Any

from sqlglot import exp


def name_as_written(tree: exp.Expr, text: str) -> None:
    """Name each computed result column by its text as written (`COUNT(*)`), as SQLite itself would.

    sqlglot rewrites the SQL it writes (function names change case), and SQLite names an unaliased
    column after that text; the user's own spelling is found again among the tokens of the SELECT list.
    """
    if not isinstance(tree, exp.Select):
        return
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.tokens import TokenType

    try:
        tokens = Dialect.get_or_raise("sqlite").tokenize(text)
    except Exception:  # only a nicer name is lost; parsing already succeeded
        return
    depth, start = 0, None
    items: list[list[Any]] = []
    for token in tokens:
        kind = token.token_type
        if start is None:
            if depth == 0 and kind == TokenType.SELECT:
                start = token
                items.append([])
            depth += kind == TokenType.L_PAREN
            depth -= kind == TokenType.R_PAREN
            continue
        if depth == 0 and kind in (TokenType.FROM, TokenType.SEMICOLON):
            break
        if depth == 0 and kind == TokenType.COMMA:
            items.append([])
            continue
        if not items[-1] and depth == 0 and kind in (TokenType.DISTINCT, TokenType.ALL):
            continue
        depth += kind == TokenType.L_PAREN
        depth -= kind == TokenType.R_PAREN
        items[-1].append(token)
    if len(items) != len(tree.expressions) or not all(items):
        return
    for projection, item in zip(list(tree.expressions), items, strict=True):
        if isinstance(projection, (exp.Alias, exp.Column, exp.Star)):
            continue
        written = text[item[0].start : item[-1].end + 1]
        projection.replace(exp.alias_(projection.copy(), exp.to_identifier(written, quoted=True)))


def json_positions(tree: exp.Expr, names: tuple[str, ...], objects: set[str]) -> frozenset[int]:
    """Result columns that are object columns as they are (not computed from them): shown as nested JSON."""
    objects = set(objects)
    computed: set[str] = set()
    if isinstance(tree, exp.Select):
        for projection in tree.expressions:
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            if isinstance(inner, exp.Column) and inner.name in objects:
                objects.add(projection.alias_or_name)  # `organization AS org` is still the object
            elif isinstance(inner, exp.Column) and isinstance(projection, exp.Alias):
                computed.add(projection.alias_or_name)  # `name AS organization` is still the text
            elif not isinstance(inner, (exp.Column, exp.Star)):
                computed.add(projection.alias_or_name)
    return frozenset(i for i, name in enumerate(names) if name in objects and name not in computed)


def opaque(tree: exp.Expr, objects: set[str]) -> frozenset[str]:
    """Object columns that SQLite never needs to read: only shown as they are, never compared or sorted.

    Their cells are loaded as short placeholders instead of JSON text and given back as the objects, which
    spares encoding and parsing every object of every row (most of a `SELECT *`'s cost over SQLite).
    """
    if any(tree.find_all(exp.Order, exp.Group, exp.Distinct, exp.SetOperation, exp.Join, exp.Subquery)):
        return frozenset()
    if not isinstance(tree, exp.Select) or tree.args.get("with"):
        return frozenset()
    shown = {p.this if isinstance(p, exp.Alias) else p for p in tree.expressions}
    objects = set(objects)
    for column in tree.find_all(exp.Column):
        if column not in shown or not isinstance(column.parent, (exp.Select, exp.Alias)):
            objects.discard(column.name)
    return frozenset(objects)
