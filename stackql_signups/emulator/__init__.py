"""A local emulator of Confluent Cloud's Partner API signup operations (HTTP on loopback, SQLite state)."""

from __future__ import annotations

from .config import DEFAULT_API_KEY, DEFAULT_API_SECRET, MAX_BODY_BYTES, EmulatorConfig
from .server import EmulatorServer

__all__ = ["DEFAULT_API_KEY", "DEFAULT_API_SECRET", "MAX_BODY_BYTES", "EmulatorConfig", "EmulatorServer"]
