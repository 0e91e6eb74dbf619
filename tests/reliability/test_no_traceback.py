"""Failures that happen after sending, and bad emulator flags: a one-line message, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from stackql_signups.emulator import EmulatorConfig, EmulatorServer
from stackql_signups.emulator.config import DEFAULT_API_KEY, DEFAULT_API_SECRET

from ..e2e import clean_env, require_cli
from .reliability_support import CLI, signup_sql

FULL = Path("/dev/full")


@pytest.mark.skipif(not FULL.exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("flag", ["--report", "-f"])
def test_a_full_disk_after_sending_still_reports_every_outcome(tmp_path: Path, flag: str) -> None:
    require_cli()
    with EmulatorServer(EmulatorConfig(state_path=tmp_path / "s.sqlite3")) as emulator:
        done = subprocess.run(
            [
                str(CLI),
                "exec",
                signup_sql("Full Disk", "full-1"),
                "--endpoint",
                emulator.url,
                flag,
                str(FULL),
            ],
            capture_output=True,
            text=True,
            env=clean_env(tmp_path / "home"),
            timeout=60,
        )
        log = httpx.get(f"{emulator.url}/_emulator/requests", auth=(DEFAULT_API_KEY, DEFAULT_API_SECRET))
        sent = int(log.json()["total"])
    assert "Traceback" not in done.stderr, done.stderr
    assert sent == 1
    assert "statement 1: the operation was despatched successfully (201" in done.stderr
    assert "1 statement: 1 succeeded" in done.stderr
    assert f"cannot write {'--report' if flag == '--report' else '-f/--outfile'} /dev/full" in done.stderr
    assert done.returncode == 1, done.stderr  # the run is not a success: the file the user asked for is not


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--latency", "1e308"), "--latency must be a number of milliseconds"),
        (("--latency", "inf"), "--latency must be a number of milliseconds"),
        (("--api-key", ""), "--api-key and --api-secret must not be empty"),
        (("--api-secret", ""), "--api-key and --api-secret must not be empty"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, tuple) else None,
)
def test_bad_emulator_flags_are_refused_at_start(
    tmp_path: Path, flags: tuple[str, ...], message: str
) -> None:
    require_cli()
    done = subprocess.run(
        [str(CLI), "emulator", "--port", "0", "--state", str(tmp_path / "s.sqlite3"), *flags],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path / "home"),
        timeout=30,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("usage error: " + message), done.stderr
    assert "Traceback" not in done.stderr
    assert "listening" not in done.stdout
