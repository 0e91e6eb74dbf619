"""Limits checked before anything is sent: a request body larger than the API accepts is refused here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._errors import Location, ValidationError
from .config import MAX_BODY_BYTES

if TYPE_CHECKING:
    from ..plan import PlannedRequest


def body_size(request: PlannedRequest) -> int:
    """Bytes of the request body as it will be sent (compact UTF-8 JSON); 0 without a body."""
    if request.body is None:
        return 0
    text = json.dumps(request.body, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-8", "surrogatepass"))


def check_body_sizes(requests: Sequence[PlannedRequest], limit: int = MAX_BODY_BYTES) -> None:
    """`ValidationError` (exit status 2) for the first body over `limit` bytes, before any request is sent."""
    for request in requests:
        size = body_size(request)
        if size > limit:
            raise ValidationError(
                f"the request body of statement {request.statement} is {size} bytes, larger than the "
                f"limit of {limit} bytes ({limit // 1024} KiB); nothing was sent",
                location=Location(statement=request.statement),
                hint="the API refuses bodies that large (413): shorten the values in the statement",
            )
