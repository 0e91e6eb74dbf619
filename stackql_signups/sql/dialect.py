"""The StackQL tokenizer: sqlglot tables as data; the grammar's words are in `grammar.py`, parsing in
`parser.py`."""

from __future__ import annotations

from sqlglot.tokens import Tokenizer, TokenType


class StackQLTokenizer(Tokenizer):
    """sqlglot's default string rules keep JSON payloads intact: `''` is a quote, backslashes stay."""

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
    # As in StackQL (and the statement splitter), `/* a /* b */` is one comment: comments do not nest.
    NESTED_COMMENTS = False

