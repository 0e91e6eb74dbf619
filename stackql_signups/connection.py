"""Where requests go on this machine: the built-in emulator a session runs for `endpoint="local"`."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ._errors import UsageError

DEFAULT_API_KEY = "emulator-key"
DEFAULT_API_SECRET = "emulator-secret"
"""The emulator's documented credentials: it accepts them unless told others, and a loopback endpoint is
sent them when no variable is set. Here rather than in `emulator/`, so that a client never imports it."""


def default_state_path() -> Path:
    """The embedded emulator's state file, in the user's data directory."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "stackql-signups" / "emulator.sqlite3"


@contextlib.contextmanager
def local_emulator(state: str | None) -> Iterator[str]:
    """Run the emulator in this process on loopback for the duration; yields its base URL."""
    from .emulator import EmulatorConfig, EmulatorServer
    from .emulator.store import StoreError

    path = Path(state).expanduser() if state else default_state_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the emulator's state folder {path.parent}: {exc.strerror}") from None
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(
                EmulatorServer(EmulatorConfig(host="127.0.0.1", port=0, state_path=str(path)))
            )
        except StoreError as exc:
            raise UsageError(
                str(exc), hint="--state must name an SQLite file the emulator made, or a new file"
            ) from None
        yield server.url


def loopback_credentials() -> tuple[str, str]:
    """The emulator's documented key and secret: sent to a loopback endpoint when no variable is set."""
    return DEFAULT_API_KEY, DEFAULT_API_SECRET
