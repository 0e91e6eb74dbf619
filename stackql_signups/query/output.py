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
    lowered = {name.lower() for name in objects}  # SQLite's names ignore case
    objects = set(objects)
    computed: set[str] = set()
    if isinstance(tree, exp.Select):
        for projection in tree.expressions:
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            if isinstance(inner, exp.Column) and inner.name.lower() in lowered:
                objects.add(projection.alias_or_name)  # `organization AS org` is still the object
            elif not isinstance(inner, (exp.Column, exp.Star)):
                computed.add(projection.alias_or_name)
    return frozenset(i for i, name in enumerate(names) if name in objects and name not in computed)


def opaque(tree: exp.Expr, objects: set[str]) -> frozenset[str]:
    """Object columns that SQLite never needs to read: only shown as they are, never compared or sorted.

    Their cells are loaded as short placeholders instead of JSON text and given back as the objects, which
    spares encoding every object of every row (most of a `SELECT *`'s cost over SQLite). When in doubt a
    column is not opaque: names are compared as SQLite does (without case), and a column shown under an
    alias that the query names anywhere else (`WHERE o->>'$.id' ...`) is read.
    """
    if any(tree.find_all(exp.Order, exp.Group, exp.Distinct, exp.SetOperation, exp.Join, exp.Subquery)):
        return frozenset()
    if not isinstance(tree, exp.Select) or tree.args.get("with"):
        return frozenset()
    shown = {p.this if isinstance(p, exp.Alias) else p for p in tree.expressions}
    candidates = {name.lower(): name for name in objects}
    names_of: dict[str, set[str]] = {key: {key} for key in candidates}  # a column and its aliases
    for projection in tree.expressions:
        if isinstance(projection, exp.Alias) and isinstance(projection.this, exp.Column):
            key = projection.this.name.lower()
            if key in names_of:
                names_of[key].add(projection.alias.lower())
    read = {
        column.name.lower()
        for column in tree.find_all(exp.Column)
        if column not in shown or not isinstance(column.parent, (exp.Select, exp.Alias))
    }
    return frozenset(candidates[key] for key, names in names_of.items() if not names & read)
