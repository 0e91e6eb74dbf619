"""The emulator's settings: one immutable dataclass, passed explicitly to every part."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..connection import DEFAULT_API_KEY as DEFAULT_API_KEY
from ..connection import DEFAULT_API_SECRET as DEFAULT_API_SECRET

API_KEY_ENV = "CONFLUENT_CLOUD_API_KEY"
API_SECRET_ENV = "CONFLUENT_CLOUD_API_SECRET"

MAX_BODY_BYTES = 1 << 20
"""Largest request body accepted (1 MiB); a larger Content-Length is answered 413 without reading it."""

MAX_LATENCY_MS = 600_000
"""Longest answer delay (10 minutes): beyond that, sleeping overflows or never ends."""

STOP_AFTER_EXIT_STATUS = 137
"""Exit status of the CLI when `--stop-after` ends it (what a shell reports for `kill -9`)."""


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything the emulator needs to know; `port=0` picks a free port, `state_path=None` a temp file."""

    host: str = "127.0.0.1"
    port: int = 0
    state_path: Path | str | None = None
    api_key: str = DEFAULT_API_KEY
    api_secret: str = DEFAULT_API_SECRET
    latency_ms: float = 0
    rate_limit: float | None = None
    fail_rate: float = 0.0
    drop_after_commit: float = 0.0
    stop_after: int | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        """Each setting that is out of range, described as a flag would be."""
        found: list[str] = []
        if not 0 <= self.port <= 65535:
            found.append(f"--port must be between 0 and 65535, got {self.port}")
        if not self.api_key or not self.api_secret:
            found.append("--api-key and --api-secret must not be empty")
        if not (math.isfinite(self.latency_ms) and 0 <= self.latency_ms <= MAX_LATENCY_MS):
            found.append(
                f"--latency must be a number of milliseconds, 0 to {MAX_LATENCY_MS}, got {self.latency_ms}"
            )
        if self.rate_limit is not None and not (math.isfinite(self.rate_limit) and self.rate_limit > 0):
            found.append(f"--rate-limit must be a number of requests per second > 0, got {self.rate_limit}")
        for flag, value in (("--fail-rate", self.fail_rate), ("--drop-after-commit", self.drop_after_commit)):
            if not 0.0 <= value <= 1.0:
                found.append(f"{flag} must be a fraction between 0 and 1, got {value}")
        if self.stop_after is not None and self.stop_after < 1:
            found.append(f"--stop-after must be a count >= 1, got {self.stop_after}")
        return found


def credentials_from(
    env: Mapping[str, str], api_key: str | None = None, api_secret: str | None = None
) -> tuple[str, str]:
    """The key and secret to accept: the flags, else the environment, else the documented defaults."""
    # A flag given empty stays empty, so that the config refuses it rather than quietly using the default.
    key = api_key if api_key is not None else env.get(API_KEY_ENV) or DEFAULT_API_KEY
    secret = api_secret if api_secret is not None else env.get(API_SECRET_ENV) or DEFAULT_API_SECRET
    return key, secret
