"""The StackQL tokenizer: sqlglot tables as data; the grammar's words are in `grammar.py`, parsing in
`parser.py`."""

from __future__ import annotations

from sqlglot.tokens import Tokenizer, TokenType

from .grammar import BLOCK_COMMENT, IDENTIFIER_QUOTES, LINE_COMMENT, STRING_QUOTE


class StackQLTokenizer(Tokenizer):
    """sqlglot's default string rules keep JSON payloads intact: `''` is a quote, backslashes stay."""

    # The quote and comment facts the splitter and the renderer scan by (`lexical.py`), from one table.
    QUOTES = [STRING_QUOTE]  # noqa: RUF012
    STRING_ESCAPES = [STRING_QUOTE]  # noqa: RUF012 - a doubled quote; backslashes stay as they are
    IDENTIFIERS = list(IDENTIFIER_QUOTES)  # noqa: RUF012
    COMMENTS = [LINE_COMMENT, BLOCK_COMMENT]  # noqa: RUF012
    KEYWORDS = {  # noqa: RUF012 - sqlglot's tables are class attributes
        **Tokenizer.KEYWORDS,
        "EXEC": TokenType.EXECUTE,
        # `@@json` must be one parameter marker followed by the name, not two `@` tokens.
        "@@": TokenType.PARAMETER,
    }
    # Left in COMMANDS, EXEC and SHOW would swallow the rest of the statement as one raw string.
    COMMANDS = Tokenizer.COMMANDS - {TokenType.EXECUTE, TokenType.SHOW}
    # So that `EXEC /*+ AWAIT */ ...` yields a HINT token rather than a comment.
    TOKENS_PRECEDING_HINT = Tokenizer.TOKENS_PRECEDING_HINT | {TokenType.EXECUTE, TokenType.SHOW}
    # As in StackQL (and `lexical.py`), `/* a /* b */` is one comment: comments do not nest.
    NESTED_COMMENTS = False
