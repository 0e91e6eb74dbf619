"""HTTP requests and answers as plain data, and the API's `Failure` error bodies."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request; header names are lower-case, repeated headers joined with ', '."""

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    """What to answer, and what to do with the connection around it.

    `drop` closes the connection without answering; `api` marks an answer of the API (counted by
    `--stop-after`, logged); `delay` is the latency to wait before answering.
    """

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str | None = "application/json"
    close: bool = False
    drop: bool = False
    shutdown: bool = False
    delay: float = 0.0
    api: bool = False
    logged: bool = True


def dumps(value: Any) -> bytes:
    """Compact JSON; ASCII-escaped so that any string a client sent can be echoed safely."""
    return json.dumps(value, separators=(",", ":")).encode("ascii")


def json_response(status: int, value: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """An `application/json` answer."""
    return Response(status, dumps(value), headers)


def error(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    pointer: str | None = None,
    parameter: str | None = None,
) -> dict[str, Any]:
    """One `Error` object of a `Failure` body, with a fresh id."""
    item: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "status": str(status),
        "code": code,
        "title": title,
        "detail": detail,
    }
    if pointer is not None or parameter is not None:
        source: dict[str, str] = {}
        if pointer is not None:
            source["pointer"] = pointer
        if parameter is not None:
            source["parameter"] = parameter
        item["source"] = source
    return item


def failure(status: int, errors: list[dict[str, Any]], headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """A `Failure` answer (`{"errors": [...]}`) with the given errors."""
    return json_response(status, {"errors": errors}, headers)


def single_failure(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    pointer: str | None = None,
    parameter: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Response:
    """A `Failure` answer with one error."""
    return failure(
        status, [error(status, code, title, detail, pointer=pointer, parameter=parameter)], headers
    )
