"""The dispatch stage: send planned requests with httpx and say what became of each.

This package's own names import without httpx (for `--help` and `--dryrun`); the sending parts are in
`dispatch.executor` (`Executor`, `AsyncExecutor`) and `dispatch.runner` (`run`, `arun`), which import it.
"""

from __future__ import annotations

from .config import AuthSettings, DispatchConfig
from .outcome import Outcome, RetryNotice, RunSummary

__all__ = ["AuthSettings", "DispatchConfig", "Outcome", "RetryNotice", "RunSummary"]
