"""The CLI's side of sending: dispatch settings from flags, outcomes to stdout/stderr, exit status."""

from __future__ import annotations

import argparse
from typing import Any

from ..manifest import Registry
from ..plan import PlannedRequest


def _endpoint_url(args: argparse.Namespace) -> str | None:
    endpoint = getattr(args, "endpoint", None)
    return endpoint if endpoint and endpoint != "local" else None


def dry_run_view(request: PlannedRequest, args: argparse.Namespace, registry: Registry) -> dict[str, Any]:
    """What `--dryrun` prints for one request: method, full URL, headers (credentials masked), body."""
    provider = registry.provider(request.method_key.split(".", 1)[0])
    scheme = None
    if provider.auth is not None:
        scheme = {"basic": "Basic", "oauth2": "Bearer", "bearer": "Bearer"}.get(provider.auth.type)
    auth_text = getattr(args, "auth", None)
    if auth_text and '"oauth2"' in auth_text:
        scheme = "Bearer"
    return request.describe(server=_endpoint_url(args), auth_scheme=scheme)
