"""The emulator's command line: flags, the ready line, stopping, credentials from the environment."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from stackql_signups.emulator.cli import add_arguments, config_from

from .emulator_support import AUTH, REPO, SIGNUP, signup_body, start_process


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_defaults_listen_on_loopback_on_a_free_port() -> None:
    args = parse()
    assert (args.host, args.port, args.state, args.stop_after, args.seed) == (
        "127.0.0.1",
        0,
        None,
        None,
        None,
    )
    config = config_from(args)
    assert config.fail_rate == 0.0 and config.rate_limit is None and config.latency_ms == 0


def test_every_flag_reaches_the_config(tmp_path: Path) -> None:
    args = parse(
        "--host", "127.0.0.1", "--port", "8123", "--state", str(tmp_path / "s.db"),
        "--api-key", "k", "--api-secret", "s", "--latency", "5", "--rate-limit", "50",
        "--fail-rate", "0.1", "--drop-after-commit", "0.2", "--stop-after", "9", "--seed", "3",
    )  # fmt: skip
    config = config_from(args)
    assert (config.port, config.api_key, config.api_secret, config.latency_ms) == (8123, "k", "s", 5.0)
    assert (config.rate_limit, config.fail_rate, config.drop_after_commit) == (50.0, 0.1, 0.2)
    assert (config.stop_after, config.seed, str(config.state_path)) == (9, 3, str(tmp_path / "s.db"))


def test_help_documents_the_fault_flags() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stackql_signups.emulator", "--help"], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 0
    for flag in ("--latency", "--rate-limit", "--fail-rate", "--drop-after-commit", "--stop-after", "--seed"):
        assert flag in result.stdout
    assert "emulator-key" in result.stdout and "/_emulator/shutdown" in result.stdout


def test_shutdown_route_stops_the_process_with_status_0(tmp_path: Path) -> None:
    process, url = start_process("--state", str(tmp_path / "s.db"))
    assert httpx.post(f"{url}{SIGNUP}", json=signup_body(), auth=AUTH).status_code == 201
    assert httpx.post(f"{url}/_emulator/shutdown", auth=AUTH).json() == {"status": "stopping"}
    assert process.wait(timeout=10) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_the_process_with_status_0(signum: int) -> None:
    process, _ = start_process()
    process.send_signal(signum)
    assert process.wait(timeout=10) == 0
    assert process.stderr is not None and "Traceback" not in process.stderr.read()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--fail-rate", "2"], "--fail-rate must be a fraction"),
        (["--rate-limit", "0"], "--rate-limit must be"),
        (["--port", "99999"], "--port must be"),
    ],
)
def test_bad_flags_are_a_usage_error(flags: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "stackql_signups.emulator", *flags], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 2
    assert result.stderr.startswith("usage error: ") and message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unusable_state_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("not sqlite " * 200)
    result = subprocess.run(
        [sys.executable, "-m", "stackql_signups.emulator", "--state", str(bad)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert result.returncode == 2 and "cannot use this file" in result.stderr


def test_a_busy_port_is_a_usage_error() -> None:
    process, url = start_process()
    try:
        port = url.rsplit(":", 1)[1]
        result = subprocess.run(
            [sys.executable, "-m", "stackql_signups.emulator", "--port", port],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        assert result.returncode == 2 and "cannot listen" in result.stderr
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_credentials_from_the_environment_and_never_printed() -> None:
    env = dict(os.environ, CONFLUENT_CLOUD_API_KEY="env-key", CONFLUENT_CLOUD_API_SECRET="env-secret-xyz")
    process = subprocess.Popen(
        [sys.executable, "-m", "stackql_signups.emulator"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )
    assert process.stdout is not None
    url = process.stdout.readline().rsplit(" ", 1)[1].strip()
    assert (
        httpx.post(f"{url}{SIGNUP}", json=signup_body(), auth=("env-key", "env-secret-xyz")).status_code
        == 201
    )
    assert httpx.post(f"{url}{SIGNUP}", json=signup_body("2"), auth=AUTH).status_code == 401
    process.terminate()
    out, err = process.communicate(timeout=10)
    assert "env-secret-xyz" not in out + err
