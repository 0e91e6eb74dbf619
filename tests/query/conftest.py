"""Fixtures: one emulator on 127.0.0.1 with 30 signed-up customers, 5 of them with a second entitlement."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stackql_signups.emulator import EmulatorConfig, EmulatorServer

from .query_support import World, seed, world_of


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Read-only tests share it: they must not create anything."""
    path = tmp_path_factory.mktemp("query") / "state.sqlite3"
    with EmulatorServer(EmulatorConfig(state_path=path)) as server:
        seed(server)
        yield world_of(server)


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[World]:
    """A world of its own, for tests that create entitlements."""
    with EmulatorServer(EmulatorConfig(state_path=tmp_path / "state.sqlite3")) as server:
        seed(server)
        yield world_of(server)
