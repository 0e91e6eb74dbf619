"""Settings read from the environment, for clients that cannot pass our flags (pystackql, stackql-deploy).

A flag always wins over its variable; an empty variable counts as unset.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

from .._errors import UsageError

ENDPOINT = "STACKQL_SIGNUPS_ENDPOINT"
ON_CONFLICT = "STACKQL_SIGNUPS_ON_CONFLICT"
STATE = "STACKQL_SIGNUPS_STATE"

# (attribute of the parsed flags, variable that supplies it when the flag is not given)
SETTINGS = (("endpoint", ENDPOINT), ("on_conflict", ON_CONFLICT), ("state", STATE))


def apply(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> argparse.Namespace:
    """Fill the settings a command has but was not given a flag for; a bad value is a UsageError."""
    env = os.environ if environ is None else environ
    for attribute, variable in SETTINGS:
        if not hasattr(args, attribute) or getattr(args, attribute) is not None:
            continue
        value = env.get(variable, "").strip()
        if value:
            _check(attribute, variable, value)
            setattr(args, attribute, value)
    return args


def _check(attribute: str, variable: str, value: str) -> None:
    # Checked here so that the message names the variable the user set, not a flag they never typed.
    if attribute == "endpoint" and value != "local":
        from ..dispatch.endpoint import is_http_url

        if not is_http_url(value):
            raise UsageError(
                f"{variable} must be an http:// or https:// URL or 'local', got {value[:100]!r}",
                hint=f"e.g. {variable}=http://127.0.0.1:8080, or {variable}=local for the built-in emulator",
            )
    if attribute == "on_conflict" and value not in ("fail", "existing"):
        raise UsageError(f"{variable} must be fail or existing, got {value[:100]!r}")
