"""The log of API requests received, kept in memory for tests to inspect (`GET /_emulator/requests`)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from .store import now_iso

MAX_ENTRIES = 100_000


@dataclass(frozen=True)
class LoggedRequest:
    """One API request: never its headers, body or query values, which may carry secrets."""

    method: str
    path: str
    status: int | None  # None: the connection was closed without an answer
    at: str
    request_id: str


class RequestLog:
    """The most recent API requests (bounded) and the total count since the start."""

    def __init__(self, limit: int = MAX_ENTRIES) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=limit)
        self._total = 0
        self._lock = threading.Lock()

    def record(self, method: str, path: str, status: int | None, request_id: str) -> None:
        entry = LoggedRequest(method, path, status, now_iso(), request_id)
        with self._lock:
            self._entries.append(entry)
            self._total += 1

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {"total": self._total, "requests": [asdict(e) for e in self._entries]}
