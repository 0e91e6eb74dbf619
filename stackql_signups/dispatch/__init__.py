"""The dispatch stage: send planned requests with httpx and say what became of each.

Settings and results import without httpx (for `--help` and `--dryrun`); the rest loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import AuthSettings, DispatchConfig, add_arguments, config_from_args, parse_auth
from .outcome import Outcome, RetryNotice, RunSummary

if TYPE_CHECKING:
    from .executor import AsyncExecutor, Executor
    from .runner import arun, run

_LAZY = {"Executor": "executor", "AsyncExecutor": "executor", "run": "runner", "arun": "runner"}

__all__ = [
    "AsyncExecutor",
    "AuthSettings",
    "DispatchConfig",
    "Executor",
    "Outcome",
    "RetryNotice",
    "RunSummary",
    "add_arguments",
    "arun",
    "config_from_args",
    "parse_auth",
    "run",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)
