"""The GET requests a resource's select method stands for, as plain `PlannedRequest`s."""

from __future__ import annotations

from urllib.parse import quote

from ..manifest import Method
from ..plan import PlannedRequest, query_text, request_for
from ..sql.statements import Scalar


def select_request(
    statement: int, method: Method, params: tuple[tuple[str, Scalar], ...], label: str | None = None
) -> PlannedRequest:
    """The request for `method` with `params` (path ones percent-encoded, the rest in the query string)."""
    path = method.path
    query: list[tuple[str, str]] = []
    for name, value in params:
        parameter = method.parameter(name)
        if parameter is not None and parameter.location == "path":
            # Percent-encoded: a value is data, it cannot add path segments or a query.
            path = path.replace("{" + name + "}", quote(query_text(value), safe=""))
        else:
            query.append((name, query_text(value)))
    return request_for(method, statement, path=path, query=tuple(query), label=label, columns=())
