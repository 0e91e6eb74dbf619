"""Read `REGISTRY LIST [provider]` and `REGISTRY PULL provider [version]` (StackQL's registry commands).

They are read here with regular expressions, not by the sqlglot tokenizer: a version such as
`v00.00.00000` is one word to StackQL but a name and numbers to sqlglot.
"""

from __future__ import annotations

import re

from .._errors import ParseError
from . import splitter
from .lexical import first_code
from .statements import RegistryCommand, Source

_KEYWORD = re.compile(r"(?i:REGISTRY)(?![A-Za-z0-9_$])")
_COMMENTS = re.compile(r"--[^\r\n]*|/\*[\s\S]*?\*/")
_WORD = re.compile(r"'([^']*)'|([^\s']+)")
_PROVIDER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
USAGE = "REGISTRY LIST [provider] or REGISTRY PULL provider [version]"


def parse_registry(script: str, chunk: splitter.Chunk, number: int) -> RegistryCommand | None:
    """The REGISTRY statement in `chunk`, None when it is not one; a malformed one raises ParseError."""
    first = first_code(chunk.text)
    head = _KEYWORD.match(chunk.text, first)
    if head is None:
        return None
    where = splitter.location(script, chunk.offset + first, number, (chunk.offset, chunk.line))
    words = [
        m.group(1) if m.group(1) is not None else m.group(2)
        for m in _WORD.finditer(_COMMENTS.sub(" ", chunk.text[head.end() :]))
    ]
    action = words[0].upper() if words else None
    if action not in ("LIST", "PULL"):
        raise ParseError(f"expected {USAGE}", location=where, hint="REGISTRY LIST lists the providers here")
    names = words[1:]
    most = 1 if action == "LIST" else 2
    if len(names) > most or (action == "PULL" and not names):
        raise ParseError(f"expected {USAGE}", location=where)
    provider = names[0] if names else None
    version = names[1] if len(names) > 1 else None
    if provider is not None and not _PROVIDER.match(provider):
        raise ParseError(f"'{provider[:60]}' is not a provider name", location=where, hint=f"write {USAGE}")
    if version is not None and not _VERSION.match(version):
        raise ParseError(
            f"'{version[:60]}' is not a provider version", location=where, hint="e.g. v00.00.00000"
        )
    source = Source(
        number=number,
        offset=chunk.offset,
        line=where.line or 1,
        column=where.column or 1,
        text=chunk.text,
        offset_line=chunk.line,
    )
    return RegistryCommand(action=action, provider=provider, version=version, source=source)
