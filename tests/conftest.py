"""Shared pytest fixtures. Each suite keeps its own fixtures under its own header below."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the same generated examples every time, so that a red run points at a change, not at luck;
# elsewhere the property tests stay random and keep exploring.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# ---------------------------------------------------------------------------------------------------
# Core engine suite (tests/core): the installed CLI, run as a user runs it, and the sqlglot build.
# ---------------------------------------------------------------------------------------------------

#: The console script installed beside the interpreter that runs pytest (a venv's bin/ or Scripts/).
CLI_PATH = Path(sys.executable).parent / ("stackql-signups.exe" if os.name == "nt" else "stackql-signups")

#: Environment variables that must not leak into a test run of the CLI from the developer's shell.
_SCRUBBED_ENV = (
    "CONFLUENT_CLOUD_API_KEY",
    "CONFLUENT_CLOUD_API_SECRET",
    "STACKQL_SIGNUPS_REGISTRY",
    "STACKQL_SIGNUPS_NO_CACHE",
)


def sqlglot_build() -> str:
    """'sqlglotc' when sqlglot's tokenizer core is the compiled extension, else 'pure-python'."""
    try:
        from sqlglot import tokenizer_core
    except ImportError:  # an older sqlglot without the split tokenizer core
        return "pure-python"
    return "sqlglotc" if str(tokenizer_core.__file__).endswith((".so", ".pyd")) else "pure-python"


def pytest_report_header(config: pytest.Config) -> str:
    import sqlglot

    return f"sqlglot {sqlglot.__version__} ({sqlglot_build()}); CLI: {CLI_PATH}"


@dataclass(frozen=True)
class CliResult:
    """What a user sees from one run of the CLI."""

    status: int
    stdout: str
    stderr: str
    args: tuple[str, ...]

    def explain(self) -> str:
        return (
            f"stackql-signups {' '.join(self.args)!r} exited {self.status}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


class Cli:
    """Runs the installed `stackql-signups` in a clean environment with a private manifest cache."""

    def __init__(self, path: Path, cache_home: Path, bytecode: Path) -> None:
        self.path = path
        self.env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        self.env["XDG_CACHE_HOME"] = str(cache_home)
        self.env["PYTHONIOENCODING"] = "utf-8"
        # Hundreds of runs: let them share compiled bytecode, kept outside the source tree.
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env["PYTHONPYCACHEPREFIX"] = str(bytecode)

    def run(
        self,
        *args: str,
        stdin: bytes | str | None = None,
        env: dict[str, str] | None = None,
        cwd: Path | str | None = None,
        timeout: float = 60,
    ) -> CliResult:
        data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
        done = subprocess.run(
            [str(self.path), *args],
            input=data if data is not None else b"",
            capture_output=True,
            env={**self.env, **(env or {})},
            cwd=cwd,
            timeout=timeout,
            check=False,
        )
        return CliResult(
            status=done.returncode,
            stdout=done.stdout.decode("utf-8", "replace"),
            stderr=done.stderr.decode("utf-8", "replace"),
            args=tuple(args),
        )


@pytest.fixture(scope="session")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """The installed CLI; skipped (with the reason) when this interpreter has none installed beside it."""
    if not CLI_PATH.is_file():
        pytest.skip(f"stackql-signups is not installed beside {sys.executable} (looked for {CLI_PATH})")
    return Cli(CLI_PATH, tmp_path_factory.mktemp("xdg-cache"), tmp_path_factory.mktemp("pycache"))
