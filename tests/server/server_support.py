"""A real `stackql-signups srv` process for the server suite, and what its clients see."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ..e2e import CLI, Run, run

PSQL = "/usr/bin/psql"


def require_psql() -> None:
    """Skip (saying why) where the psql client is not installed."""
    if not Path(PSQL).is_file():
        pytest.skip(f"psql is not installed at {PSQL}")


class Server:
    """`stackql-signups srv --pgsrv.port 0 ...` (or `stackql srv`) as a user starts it; stopped by SIGTERM."""

    def __init__(self, flags: list[str], env: dict[str, str], log_dir: Path, command: Path = CLI) -> None:
        self.env = env
        self._out = log_dir / f"srv-{uuid.uuid4().hex[:6]}.out"
        self._err = self._out.with_suffix(".err")
        with self._out.open("wb") as out, self._err.open("wb") as err:
            self.process = subprocess.Popen(
                [str(command), "srv", "--pgsrv.port", "0", *flags],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        self.host, self.port = self._wait_for_address()

    def _wait_for_address(self) -> tuple[str, int]:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for line in self._out.read_text("utf-8", "replace").splitlines():
                if line.startswith("srv listening on "):
                    host, _, port = line.split()[3].rpartition(":")
                    return host, int(port)
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.process.kill()
        raise RuntimeError(f"srv did not start: {self._out.read_text()}\n{self._err.read_text()}")

    @property
    def log(self) -> str:
        """What the server wrote on stderr: one line per request outcome."""
        return self._err.read_text("utf-8", "replace")

    @property
    def stdout(self) -> str:
        return self._out.read_text("utf-8", "replace")

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        params: dict[str, Any] = {"user": "stackql", "dbname": "stackql", "autocommit": True}
        params.update(kwargs)
        return psycopg.connect(host=self.host, port=self.port, **params)

    def psql(self, *args: str, env: dict[str, str] | None = None, timeout: float = 30) -> Run:
        require_psql()
        argv = [PSQL, "-X", "-h", self.host, "-p", str(self.port), "-U", "stackql", "-d", "stackql", *args]
        return run(argv, {**self.env, **(env or {})}, timeout=timeout)

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def outcome_lines(self) -> list[str]:
        return [line for line in self.log.splitlines() if ", statement " in line]
