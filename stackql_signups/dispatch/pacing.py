"""Client-side pacing learned from the API's X-RateLimit-* headers, shared by every sending thread.

Retry-After is in whole seconds: threads that each sleep it after a 429 leave the limit unused or, at
high concurrency, meet 429 again and run out of retries. Instead, once the API reports its budget
nearly spent (or answers 429), requests start at most `limit / window` a second (a little under it),
so that the budget refills while it is used; when the API reports room again, pacing stops. Waiting
happens before a request is sent, so it never touches the rule that decides what may be resent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

MARGIN = 0.95  # pace a little under the limit, so that the API's budget refills while it is used


class Pacer:
    """Start times for requests to one API: no wait until it reports a limit close, then evenly spaced."""

    def __init__(self, concurrency: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        # Requests already on their way when a low budget is reported will spend some of it too.
        self._low = max(2, 2 * concurrency)
        self._interval = 0.0  # seconds between request starts; 0 while not pacing
        self._next = 0.0  # the earliest start of the next paced request
        self._window = 1.0  # the longest X-RateLimit-Reset seen: the length of the API's window

    @property
    def pacing(self) -> bool:
        return self._interval > 0.0

    def wait(self) -> float:
        """Seconds to wait before sending the next request (0 when not pacing); reserves its start."""
        with self._lock:
            if not self._interval:
                return 0.0
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._interval
            return start - now

    def observe(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from one answer's X-RateLimit-Limit, -Remaining and -Reset (absent: nothing changes)."""
        limit = _count(headers.get("X-RateLimit-Limit"))
        if limit is None:
            return  # the usual answer of an API without a limit: nothing more to read
        remaining = _count(headers.get("X-RateLimit-Remaining"))
        reset = _count(headers.get("X-RateLimit-Reset"))
        if limit <= 0 or (remaining is None and status != 429):
            return
        with self._lock:
            if reset is not None:
                self._window = max(self._window, float(reset))
            if status == 429 or (remaining is not None and remaining <= self._low):
                self._interval = self._window / (limit * MARGIN)
            elif remaining is not None and remaining > 2 * self._low and remaining > limit // 2:
                self._interval = 0.0  # plenty left: the API's burst is there to be used


def _count(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None
