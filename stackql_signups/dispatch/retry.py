"""When to wait before a retry: bounded exponential back-off with jitter, or the server's `Retry-After`."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from .config import DispatchConfig


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` extra attempts, delays growing from `base` to `cap`; `Retry-After` honoured up to a cap."""

    retries: int = 2
    base: float = 0.5
    cap: float = 8.0
    retry_after_cap: float = 60.0

    @classmethod
    def from_config(cls, config: DispatchConfig) -> RetryPolicy:
        return cls(config.retries, config.backoff_base, config.backoff_cap, config.retry_after_cap)

    def allows(self, attempt: int) -> bool:
        """Whether attempt number `attempt` (1-based) may be followed by another."""
        return attempt <= self.retries

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after attempt `attempt` failed."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_cap)
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        # "Equal jitter": at least half the step, so clients that failed together do not retry together.
        return float(ceiling / 2 + rng.uniform(0, ceiling / 2))


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if math.isfinite(seconds):
        return max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(when.timestamp() - now(), 0.0)
