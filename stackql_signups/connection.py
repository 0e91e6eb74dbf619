"""Where requests go and with which settings: shared by the CLI, the shell and the Python API."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from ._errors import UsageError
from .dispatch import DispatchConfig, config_from_args
from .manifest import Registry
from .plan import PlannedRequest

LOCAL = "local"


def dispatch_config(args: argparse.Namespace, registry: Registry, request: PlannedRequest) -> DispatchConfig:
    """Settings from the flags, with the auth of the provider that `request` belongs to."""
    provider = registry.provider(request.method_key.split(".", 1)[0])
    return config_from_args(args, provider.auth, provider=provider.name)


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


def executor_env(config: DispatchConfig) -> Mapping[str, str] | None:
    """The environment credentials come from; none for the built-in emulator, which must never see
    the user's real Confluent Cloud secrets (dispatch then uses the emulator's documented defaults)."""
    return {} if config.endpoint == LOCAL else None


@contextlib.contextmanager
def endpoint_for(config: DispatchConfig, state: str | None) -> Iterator[DispatchConfig]:
    """The config to send with; `--endpoint local` runs the emulator in this process meanwhile."""
    if config.endpoint != LOCAL:
        yield config
        return
    import dataclasses

    with local_emulator(state) as url:
        yield dataclasses.replace(config, endpoint=url)
