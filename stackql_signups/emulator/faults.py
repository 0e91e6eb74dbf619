"""Injected faults: latency, a token-bucket rate limit, random failures and drops, and stop-after-N."""

from __future__ import annotations

import enum
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .config import EmulatorConfig


@dataclass(frozen=True)
class RateDecision:
    """Whether a request may proceed, and the X-RateLimit-* numbers to tell the client."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: int
    retry_after_s: int

    def headers(self) -> tuple[tuple[str, str], ...]:
        base = (
            ("X-RateLimit-Limit", str(self.limit)),
            ("X-RateLimit-Remaining", str(self.remaining)),
            ("X-RateLimit-Reset", str(self.reset_s)),
        )
        return base if self.allowed else (*base, ("Retry-After", str(self.retry_after_s)))


class TokenBucket:
    """`rate` requests per second across all clients, with bursts of up to `rate` (at least one)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._tokens = self.capacity
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> RateDecision:
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            allowed = self._tokens >= 1.0
            if allowed:
                self._tokens -= 1.0
            tokens = self._tokens
        reset = math.ceil((self.capacity - tokens) / self.rate)
        # Integer seconds (the API documents integers); never 0, or a client would retry at once.
        retry_after = max(1, math.ceil((1.0 - tokens) / self.rate))
        return RateDecision(allowed, math.ceil(self.rate), math.floor(tokens), reset, retry_after)


class Admission(enum.Enum):
    """What `--stop-after` lets a finished request do."""

    ANSWER = "answer"
    ANSWER_AND_STOP = "answer-and-stop"  # the N-th answer: send it, then stop as if killed
    HOLD = "hold"  # past N: never answer (the process is about to die)


class AnswerGate:
    """Counts API answers, so that exactly N are sent before `--stop-after` stops the emulator."""

    def __init__(self, stop_after: int | None) -> None:
        self._limit = stop_after
        self._admitted = 0
        self._writing = 0
        self._idle = threading.Condition()

    def admit(self) -> Admission:
        """Take one of the N answers; call written() once it is sent (or failed to send)."""
        if self._limit is None:
            return Admission.ANSWER
        with self._idle:
            if self._admitted >= self._limit:
                return Admission.HOLD
            self._admitted += 1
            self._writing += 1
            return Admission.ANSWER_AND_STOP if self._admitted == self._limit else Admission.ANSWER

    def written(self) -> None:
        if self._limit is None:
            return
        with self._idle:
            self._writing -= 1
            self._idle.notify_all()

    def wait_written(self, timeout: float = 5.0) -> bool:
        """Wait until every admitted answer is sent: the N-th may finish before an earlier one."""
        with self._idle:
            return self._idle.wait_for(lambda: self._writing == 0, timeout)


class Faults:
    """The fault settings of one emulator, with seeded random draws (one stream per kind of fault)."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.latency_s = config.latency_ms / 1000.0
        self.bucket = TokenBucket(config.rate_limit, clock) if config.rate_limit is not None else None
        self._fail_rate = config.fail_rate
        self._drop_rate = config.drop_after_commit
        # Separate streams: turning drops on does not change which requests fail, for the same seed.
        seed = config.seed
        self._fail_rng = random.Random(None if seed is None else f"{seed}:fail")
        self._drop_rng = random.Random(None if seed is None else f"{seed}:drop")
        self._lock = threading.Lock()
        self.gate = AnswerGate(config.stop_after)

    def rate(self) -> RateDecision | None:
        """The rate limiter's decision for one more API request, or None when there is no limit."""
        return self.bucket.take() if self.bucket is not None else None

    def fail(self) -> bool:
        """Whether to answer this API request 500 without processing it."""
        if self._fail_rate <= 0.0:
            return False
        with self._lock:
            return self._fail_rng.random() < self._fail_rate

    def drop(self) -> bool:
        """Whether to close the connection, without an answer, after committing this signup."""
        if self._drop_rate <= 0.0:
            return False
        with self._lock:
            return self._drop_rng.random() < self._drop_rate
