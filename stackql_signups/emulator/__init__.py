"""A local emulator of Confluent Cloud's Partner API signup operations (HTTP on loopback, SQLite state).

Importing this package is cheap: the server (and jsonschema, sqlite3) load on first use of EmulatorServer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .config import DEFAULT_API_KEY, DEFAULT_API_SECRET, MAX_BODY_BYTES, EmulatorConfig

if TYPE_CHECKING:
    from .server import EmulatorServer

__all__ = ["DEFAULT_API_KEY", "DEFAULT_API_SECRET", "MAX_BODY_BYTES", "EmulatorConfig", "EmulatorServer"]


def __getattr__(name: str) -> Any:
    if name == "EmulatorServer":
        from .server import EmulatorServer

        return EmulatorServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
