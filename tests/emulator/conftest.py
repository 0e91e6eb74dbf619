"""Fixtures: a real emulator on 127.0.0.1 with a SQLite file in tmp_path, and a client for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stackql_signups.emulator import EmulatorConfig, EmulatorServer

from .emulator_support import AUTH


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(state_path=tmp_path / "state.sqlite3")) as running:
        yield running


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, auth=AUTH, timeout=10) as http:
        yield http
