"""Limits checked before anything is sent: a request body larger than the API accepts is refused here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._errors import Location, ValidationError
from .config import MAX_BODY_BYTES

if TYPE_CHECKING:
    from ..plan import PlannedRequest


def encoded_body(request: PlannedRequest) -> bytes:
    """The request body as it will be sent (compact UTF-8 JSON); b"" without a body.

    `ValidationError` when it cannot be sent as UTF-8: a lone UTF-16 surrogate (a `\\ud800` escape in the
    JSON) decodes to a string that no UTF-8 encoder accepts.
    """
    if request.body is None:
        return b""
    text = json.dumps(request.body, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"the request body of statement {request.statement} holds an unpaired UTF-16 surrogate "
            f"(U+{ord(text[exc.start]):04X}), which cannot be sent as UTF-8; nothing was sent",
            location=Location(statement=request.statement),
            hint="a \\uD800-\\uDFFF escape must be half of a pair; remove it or write the character itself",
        ) from None


def check_body_sizes(requests: Sequence[PlannedRequest], limit: int = MAX_BODY_BYTES) -> None:
    """`ValidationError` (exit status 2) for the first body over `limit` bytes, or not encodable as UTF-8,
    before any request is sent."""
    for request in requests:
        size = len(encoded_body(request))
        if size > limit:
            raise ValidationError(
                f"the request body of statement {request.statement} is {size} bytes, larger than the "
                f"limit of {limit} bytes ({limit // 1024} KiB); nothing was sent",
                location=Location(statement=request.statement),
                hint="the API refuses bodies that large (413): shorten the values in the statement",
            )
