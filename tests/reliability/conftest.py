"""Fixtures of the reliability suite: a clean user environment, emulator processes started from the
installed CLI (with faults, stopped at the end), and the CLI itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..e2e import env
from .reliability_support import EmulatorProcess, Run, RunCli, StartEmulator, run_cli

__all__ = ["env"]  # the clean user environment of tests/e2e.py, a fixture here too


@pytest.fixture
def start_emulator(tmp_path: Path, env: dict[str, str]) -> Iterator[StartEmulator]:
    """`start_emulator("--fail-rate", "0.1", state=...)`: an emulator process; all stopped at the end."""
    started: list[EmulatorProcess] = []

    def start(
        *flags: str, state: Path | None = None, environ: dict[str, str] | None = None
    ) -> EmulatorProcess:
        emulator = EmulatorProcess(state or tmp_path / "state.sqlite3", environ or env, tmp_path, flags)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def cli(env: dict[str, str], tmp_path: Path) -> RunCli:
    """`cli("exec", "-i", "batch.iql", ..., report=path)`: the installed CLI in the clean environment."""

    def call(*args: str, stdin: str = "", timeout: float = 120, report: Path | None = None) -> Run:
        return run_cli(list(args), env, tmp_path, stdin=stdin, timeout=timeout, report=report)

    return call
