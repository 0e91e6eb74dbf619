"""Helpers of the StackQL-clients suite: the `stackql` stand-in as pystackql and stackql-deploy find it.

pystackql looks for `<download_dir>/stackql` and downloads the real binary when it is missing; every test
here passes `download_dir` = this venv's bin (where `pip install` put our `stackql`) and checks that the file
is there first, so nothing is ever downloaded. The endpoint comes from `STACKQL_SIGNUPS_ENDPOINT`, which is
how a user points these clients (which cannot pass our flags) at the emulator.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from ..e2e import BIN, Emulator, Run, clean_env, require_cli, run, signup_sql

STACKQL = BIN / ("stackql.exe" if os.name == "nt" else "stackql")


def require_stackql() -> None:
    require_cli()
    if not STACKQL.is_file():
        pytest.skip(f"the stackql console script is not installed beside {BIN} (pip install -e .)")


def signup(name: str, external_id: str) -> str:
    """A valid signup EXEC on one line, without the `;` (pystackql sends statements one at a time)."""
    return signup_sql(name, external_id).removesuffix(";")


def unique(prefix: str) -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"{prefix} {tag}", f"ext-{tag}"


def organizations_named(emulator: Emulator, name: str) -> list[dict[str, Any]]:
    return [o for o in emulator.state()["organizations"] if o["name"] == name]


@pytest.fixture
def client_env(tmp_path: Path, module_emulator: Emulator) -> dict[str, str]:
    """A user's clean environment, the venv's bin first on PATH, the endpoint set to the emulator."""
    require_stackql()
    env = clean_env(tmp_path / "home")
    env["STACKQL_SIGNUPS_ENDPOINT"] = module_emulator.url
    return env


class StackqlRunner(Protocol):
    def __call__(self, *args: str, stdin: str = ..., env: dict[str, str] | None = ...) -> Run: ...


@pytest.fixture
def run_stackql(client_env: dict[str, str], tmp_path: Path) -> StackqlRunner:
    """`run_stackql("exec", "...")`: the installed `stackql` in the clean environment (cwd tmp_path)."""

    def call(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> Run:
        return run([str(STACKQL), *args], {**client_env, **(env or {})}, cwd=tmp_path, stdin=stdin)

    return call


@pytest.fixture
def pystackql(
    client_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Callable[..., Any]]:
    """`pystackql(**kwargs)` builds `pystackql.StackQL(download_dir=<venv bin>, ...)` in this process, whose
    subprocesses see the clean environment (pystackql passes its own environment on)."""
    from pystackql import StackQL

    for name in list(os.environ):
        if name not in client_env:
            monkeypatch.delenv(name)
    for name, value in client_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    assert (BIN / "stackql").is_file()  # so pystackql finds ours and never downloads the real one

    def make(**kwargs: Any) -> Any:
        return StackQL(download_dir=str(BIN), **kwargs)

    yield make
