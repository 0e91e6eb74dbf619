"""End-to-end helpers shared by tests/examples, tests/shell and tests/api.

A real emulator process started from the installed CLI on 127.0.0.1 with a temporary state file, the
installed CLI run in a clean environment (no credentials from the developer's shell, private XDG folders),
and the emulator's admin routes (state, request log, link tokens) read over HTTP with httpx.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

BIN = Path(sys.executable).parent
CLI = BIN / ("stackql-signups.exe" if os.name == "nt" else "stackql-signups")
REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
RESOURCE = "confluent.partner.signups"

#: Variables of the developer's shell that must not reach the CLI under test.
SCRUBBED = ("CONFLUENT_CLOUD_API_KEY", "CONFLUENT_CLOUD_API_SECRET", "EMULATOR_URL", "SIGNUPS_STATE")


def require_cli() -> None:
    if not CLI.is_file():
        pytest.skip(f"stackql-signups is not installed beside {sys.executable} (looked for {CLI})")


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a user with private data/cache folders, the venv first on PATH, no secrets;
    `extra` variables set on top."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED and not k.startswith("STACKQL_SIGNUPS_")}
    for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        folder = home / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env["PYTHONIOENCODING"] = "utf-8"
    env["INPUTRC"] = os.devnull  # no user key bindings in readline
    env.pop("PYTHONSTARTUP", None)
    env.update(extra)
    return env


@dataclass(frozen=True)
class Run:
    """What a user sees from one command."""

    status: int
    stdout: str
    stderr: str
    command: str

    def explain(self) -> str:
        return (
            f"{self.command!r} exited {self.status}\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )

    def json_lines(self) -> list[Any]:
        """Each non-empty stdout line parsed as JSON (fails the test on a line that is not JSON)."""
        out = []
        for line in self.stdout.splitlines():
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pytest.fail(f"stdout line is not JSON: {line!r}\n{self.explain()}")
        return out


def run(
    argv: list[str],
    env: dict[str, str],
    *,
    cwd: Path | None = None,
    stdin: str = "",
    timeout: float = 60,
) -> Run:
    done = subprocess.run(
        argv,
        input=stdin.encode("utf-8"),
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    return Run(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
        " ".join(argv),
    )


def start_emulator(
    state: Path, env: dict[str, str], out_path: Path, err_path: Path, flags: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `stackql-signups emulator --port 0 --state FILE [flags]`; the process and the URL it prints."""
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            [str(CLI), "emulator", "--port", "0", "--state", str(state), *flags],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for line in out_path.read_text("utf-8", "replace").splitlines():
            if line.startswith("emulator listening on "):
                return process, line.removeprefix("emulator listening on ").strip()
        if process.poll() is not None:
            break
        time.sleep(0.02)
    process.kill()
    process.wait()
    output = out_path.read_text("utf-8", "replace") + err_path.read_text("utf-8", "replace")
    raise RuntimeError(f"the emulator did not start: {output}")


class Emulator:
    """`stackql-signups emulator --port 0 --state FILE`, as a user starts it; stopped by the fixture."""

    def __init__(self, state: Path, env: dict[str, str], log_dir: Path, *flags: str) -> None:
        self.state_path = state
        self._out = log_dir / f"emulator-{uuid.uuid4().hex[:6]}.out"
        self._err = self._out.with_suffix(".err")
        self.process, self.url = start_emulator(state, env, self._out, self._err, flags)
        # The /_emulator/ routes need the emulator's credentials (its defaults: the env has none set).
        self.http = httpx.Client(base_url=self.url, timeout=10, auth=("emulator-key", "emulator-secret"))

    def state(self) -> dict[str, list[dict[str, Any]]]:
        answer = self.http.get("/_emulator/state")
        answer.raise_for_status()
        return answer.json()

    def requests(self) -> list[dict[str, Any]]:
        answer = self.http.get("/_emulator/requests")
        answer.raise_for_status()
        return answer.json()["requests"]

    def link_token(self, organization_id: str) -> str:
        answer = self.http.post("/_emulator/link-tokens", json={"organization_id": organization_id})
        assert answer.status_code == 201, answer.text
        return answer.json()["token"]

    def signup(self, name: str, external_id: str) -> str:
        """Set-up shortcut (not under test): a signup without user straight over HTTP; the new org's id."""
        from stackql_signups.emulator.config import DEFAULT_API_KEY, DEFAULT_API_SECRET

        body = json.loads(signup_sql(name, external_id).split("@@json='", 1)[1].rsplit("'", 1)[0])
        answer = self.http.post("/partner/v2/signup", json=body, auth=(DEFAULT_API_KEY, DEFAULT_API_SECRET))
        assert answer.status_code == 201, answer.text
        return str(answer.json()["organization_id"])

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.http.post("/_emulator/shutdown")
                self.process.wait(timeout=5)
            except (httpx.HTTPError, subprocess.TimeoutExpired):
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        self.http.close()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    require_cli()
    return clean_env(tmp_path / "home")


@pytest.fixture
def emulator(tmp_path: Path, env: dict[str, str]) -> Iterator[Emulator]:
    running = Emulator(tmp_path / "emulator-state.db", env, tmp_path)
    try:
        yield running
    finally:
        running.stop()


class Cli(Protocol):
    def __call__(self, *args: str, stdin: str = ..., cwd: Path | None = ..., timeout: float = ...) -> Run: ...


@pytest.fixture(scope="module")
def module_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One emulator for a whole test module (tests then compare state before and after, not totals)."""
    require_cli()
    folder = tmp_path_factory.mktemp("module-emulator")
    running = Emulator(folder / "emulator-state.db", clean_env(folder / "home"), folder)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def run_cli(env: dict[str, str], tmp_path: Path) -> Cli:
    """`run_cli("exec", "...", stdin=...)`: the installed CLI in the clean environment, cwd tmp_path."""

    def call(*args: str, stdin: str = "", cwd: Path | None = None, timeout: float = 60) -> Run:
        return run([str(CLI), *args], env, cwd=cwd or tmp_path, stdin=stdin, timeout=timeout)

    return call


@pytest.fixture
def examples_copy(tmp_path: Path) -> Path:
    """A private copy of examples/, so files the README's commands write stay out of the repository."""
    target = tmp_path / "examples"
    shutil.copytree(EXAMPLES, target, ignore=shutil.ignore_patterns("__pycache__", "*.db", "*.local.yaml"))
    return target


# --- statements used by several suites ---------------------------------------------------------------


def signup_body(name: str, external_id: str, user: dict[str, str] | None = None) -> dict[str, Any]:
    """A valid signup body; with `user`, the signup is complete in one call."""
    body: dict[str, Any] = {
        "organization": {"name": name, "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "tenant-1"}},
        "entitlement": {
            "external_id": external_id,
            "name": f"{name} production",
            "plan_id": "confluent-cloud-payg-prod",
            "product_id": "confluent-cloud-kafka-service-azure",
        },
    }
    if user is not None:
        body["user"] = user
    return body


def signup_sql(
    name: str, external_id: str, *, label: str | None = None, user: dict[str, str] | None = None
) -> str:
    """A valid signup EXEC; with `user`, the signup is complete in one call."""
    body = signup_body(name, external_id, user)
    hint = f"/*+ AS {label} */ " if label else ""
    return f"EXEC {hint}{RESOURCE}.signup @@json='{json.dumps(body)}';"


USER = {"email": "jane.doe@acme.example", "given_name": "Jane", "family_name": "Doe"}


def activate_sql(organization: str) -> str:
    """An activate_signup EXEC; `organization` is a quoted id ('...') or a reference (a.organization_id)."""
    body = json.dumps({"user": USER})
    return f"EXEC {RESOURCE}.activate_signup @organization_id={organization} @@json='{body}';"


_OPENSSL_REQUEST = ("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1")
_OPENSSL_REQUEST += ("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1")


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no CA bundle trusts, and its key (made with openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (it makes the test's certificate)")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [*_OPENSSL_REQUEST, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key
