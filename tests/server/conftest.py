"""Fixtures: a real emulator, a real `srv` in front of it, and the real clients (psql, psycopg, pystackql)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..e2e import Emulator, clean_env, emulator, env, module_emulator, require_cli
from .server_support import Server, require_psql

__all__ = ["emulator", "env", "module_emulator"]


@pytest.fixture(scope="module")
def module_server(module_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for a whole module, sending to the module's emulator (tests compare before and after)."""
    require_cli()
    folder = tmp_path_factory.mktemp("module-srv")
    running = Server(["--endpoint", module_emulator.url], clean_env(folder / "home"), folder)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def needs_psql() -> None:
    require_psql()
