"""Fetch a resource's rows: one GET, or a list followed page by page, through the normal executor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..dispatch.outcome import Outcome
from ..plan import PlannedRequest
from .select import Fetch

MAX_PAGES = 1000
"""Most pages one resource of one SELECT follows (100,000 rows at 100 a page); documented in the README."""

PAGE_TOKEN = "page_token"

Send = Callable[[PlannedRequest], Outcome]


@dataclass(frozen=True)
class Fetched:
    """The rows of one resource and how many requests they took; `truncated` when MAX_PAGES stopped it."""

    rows: list[dict[str, Any]]
    requests: int
    truncated: bool = False


class FetchFailed(Exception):
    """A request of a SELECT failed; `outcome` carries the API's or the network's error."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.status)
        self.outcome = outcome


def fetch_rows(fetch: Fetch, send: Send, max_pages: int = MAX_PAGES) -> Fetched:
    """Every row the method answers: pages are followed while the answer names a `next` page."""
    request = fetch.request
    key = fetch.method.object_key
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for count in range(1, max_pages + 1):
        outcome = send(request)
        if outcome.status != "succeeded":
            if key is None and outcome.http_status == 404:
                return Fetched([], count)  # a get of an id that does not exist: no row, as in StackQL
            raise FetchFailed(outcome)
        answer = outcome.row or {}
        if key is None:
            return Fetched([answer], count)
        page = answer.get(key[2:])
        rows.extend(r for r in page or [] if isinstance(r, dict))
        token = _next_token(answer)
        if token is None or token in seen:  # a token seen before would loop forever
            return Fetched(rows, count)
        seen.add(token)
        query = (*((k, v) for k, v in request.query if k != PAGE_TOKEN), (PAGE_TOKEN, token))
        request = replace(request, query=query)
    return Fetched(rows, max_pages, truncated=True)


def _next_token(answer: dict[str, Any]) -> str | None:
    """The `page_token` of `metadata.next` (a URL), or None on the last page."""
    metadata = answer.get("metadata")
    link = metadata.get("next") if isinstance(metadata, dict) else None
    if not isinstance(link, str) or not link:
        return None
    tokens = parse_qs(urlsplit(link).query).get(PAGE_TOKEN)
    return tokens[0] if tokens else None
