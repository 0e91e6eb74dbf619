"""Turn a bound call into the HTTP request it stands for: pure data, printable by `--dryrun`."""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from .bind import Call
from .manifest.model import Method, OutcomeRules
from .redact import MASK, url_userinfo
from .sql.statements import Reference

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class PlannedRequest:
    """One HTTP request, before credentials are added; `server` may be replaced by `--endpoint`."""

    statement: int
    method_key: str
    label: str | None
    http_method: str
    server: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: tuple[tuple[str, str], ...]
    body: Any
    secret_paths: tuple[PathKey, ...]
    references: tuple[tuple[PathKey, Reference], ...]
    columns: tuple[str, ...] = ()  # the method's response fields: a result's column names, rows or none
    # The manifest's x-outcome: how dispatch reads the answer.
    outcome: OutcomeRules = field(default_factory=OutcomeRules)

    def url(self, server: str | None = None) -> str:
        base = (server or self.server).rstrip("/")
        return base + self.path + (("?" + _query_string(self.query)) if self.query else "")

    def redacted_body(self) -> Any:
        return redact(self.body, self.secret_paths)

    def describe(self, server: str | None = None, auth_scheme: str | None = None) -> dict[str, Any]:
        """The `--dryrun` view: secrets masked, references shown as `${label.field}`."""
        headers = dict(self.headers)
        if auth_scheme:
            headers["Authorization"] = f"{auth_scheme} {MASK}"
        return {
            "statement": self.statement,
            "method": self.http_method,
            "url": url_userinfo(self.url(server)),
            "headers": headers,
            "body": self.redacted_body(),
        }


def plan(call: Call) -> PlannedRequest:
    method = call.method
    path = method.path
    for name, value in call.path_params:
        # Percent-encoded, so that a value cannot add path segments or a query.
        path = path.replace("{" + name + "}", quote(query_text(value), safe=""))
    return request_for(
        method,
        call.source.number,
        path=path,
        query=tuple([(name, query_text(value)) for name, value in call.query]),
        body=call.body,
        label=call.label,
        secret_paths=call.secret_paths,
        references=call.references,
    )


def request_for(
    method: Method,
    statement: int,
    *,
    path: str | None = None,
    query: tuple[tuple[str, str], ...] = (),
    body: Any = None,
    label: str | None = None,
    secret_paths: tuple[PathKey, ...] = (),
    references: tuple[tuple[PathKey, Reference], ...] = (),
    columns: tuple[str, ...] | None = None,
) -> PlannedRequest:
    """The request for `method`: what the manifest says of it (server, verb, headers, x-outcome) filled in,
    so that EXEC, SELECT and INSERT requests cannot differ in it."""
    content_type = method.body_media_type or ("application/json" if body is not None else None)
    return PlannedRequest(
        statement=statement,
        method_key=method.key,
        label=label,
        http_method=method.http_method,
        server=method.servers[0] if method.servers else "",
        path=method.path if path is None else path,
        query=query,
        headers=_headers(content_type),
        body=body,
        secret_paths=secret_paths,
        references=references,
        columns=method.response_fields if columns is None else columns,
        outcome=method.outcome,
    )


@functools.lru_cache(maxsize=64)
def _headers(content_type: str | None) -> tuple[tuple[str, str], ...]:
    accept = ("Accept", "application/json")
    return (accept,) if content_type is None else (("Content-Type", content_type), accept)


@functools.lru_cache(maxsize=1024)  # a batch repeats the same few query strings
def _query_string(query: tuple[tuple[str, str], ...]) -> str:
    return urlencode(query)


def query_text(value: Any) -> str:
    """A parameter value as the URL carries it: booleans lower-case, null empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def redact(body: Any, paths: tuple[PathKey, ...]) -> Any:
    """A copy of `body` with the value at each secret path replaced by a mask."""
    if not paths or not isinstance(body, (Mapping, list)):
        return body
    masked = copy.deepcopy(body)
    for path in paths:
        _mask(masked, path)
    return masked


def _mask(node: Any, path: PathKey) -> None:
    if not path:
        return
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(node, list):
        for item in node:
            _mask(item, rest) if rest else None
        if not rest:
            node[:] = [MASK for _ in node]
        return
    if isinstance(node, dict) and head in node:
        if rest:
            _mask(node[head], rest)
        elif node[head] is not None:
            node[head] = MASK
