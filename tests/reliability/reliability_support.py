"""Helpers of the reliability suite: the installed CLI, an emulator process started from it (with faults),
batches of signups, and what a run reports (stdout, stderr, the --report file, the summary line).

Every wait is bounded in time; every loop in count.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ..e2e import CLI, RESOURCE, start_emulator
from ..e2e import signup_body as e2e_signup_body

SIGNUP_PATH = "/partner/v2/signup"
ACTIVATE_PATH = "/partner/v2/signup/activate"
SUMMARY = re.compile(
    r"^(\d+) statements?: (\d+) succeeded, (\d+) failed, (\d+) unknown, (\d+) not sent", re.MULTILINE
)


# --- statements --------------------------------------------------------------------------------------


def customer(i: int, prefix: str) -> tuple[str, str]:
    """(organization name, entitlement external_id) of the i-th customer of a batch."""
    return f"Customer {prefix} {i:04d}"[:31], f"{prefix}-{i:04d}"


def signup_body(name: str, external_id: str, user: bool = False) -> dict[str, Any]:
    """tests/e2e.py's signup body; with `user`, a first user named after the external id."""
    first = {"email": f"{external_id}@acme.example", "given_name": "Jane", "family_name": "Doe"}
    return e2e_signup_body(name, external_id, first if user else None)


def signup_sql(name: str, external_id: str, label: str | None = None, user: bool = False) -> str:
    hint = f"/*+ AS {label} */ " if label else ""
    body = json.dumps(signup_body(name, external_id, user)).replace("'", "''")
    return f"EXEC {hint}{RESOURCE}.signup @@json='{body}';"


def activate_sql(label: str, external_id: str) -> str:
    user = json.dumps({"email": f"{external_id}@acme.example", "given_name": "Jane", "family_name": "Doe"})
    return f"EXEC {RESOURCE}.activate_signup @organization_id={label}.organization_id @user='{user}';"


def signup_batch(count: int, prefix: str) -> str:
    """`count` independent signups, one per line."""
    return "\n".join(signup_sql(*customer(i, prefix)) for i in range(count)) + "\n"


def onboarding_batch(customers: int, prefix: str) -> str:
    """Per customer a labelled signup, then the activation of its first user (2 statements each)."""
    lines = []
    for i in range(customers):
        name, external_id = customer(i, prefix)
        lines.append(signup_sql(name, external_id, label=f"c{i}"))
        lines.append(activate_sql(f"c{i}", external_id))
    return "\n".join(lines) + "\n"


# --- runs --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """What a user (or a script) sees from one command."""

    status: int
    stdout: str
    stderr: str
    command: str
    seconds: float
    report: tuple[dict[str, Any], ...] = ()

    def explain(self) -> str:
        return (
            f"{self.command[:300]!r} exited {self.status} after {self.seconds:.1f} s\n"
            f"--- stdout (head) ---\n{self.stdout[:3000]}\n--- stderr (head) ---\n{self.stderr[:6000]}"
        )

    def summary(self) -> dict[str, int]:
        """The closing summary line on stderr, as counts."""
        found = SUMMARY.findall(self.stderr)
        assert len(found) == 1, f"expected one summary line\n{self.explain()}"
        total, succeeded, failed, unknown, not_sent = map(int, found[0])
        return {
            "total": total,
            "succeeded": succeeded,
            "failed": failed,
            "unknown": unknown,
            "not_sent": not_sent,
        }

    def statuses(self) -> dict[int, str]:
        """Statement number -> status, from the --report file."""
        return {r["statement"]: r["status"] for r in self.report}

    def counts(self) -> Counter[str]:
        return Counter(r["status"] for r in self.report)


def run_cli(
    args: list[str],
    env: dict[str, str],
    cwd: Path,
    *,
    stdin: str = "",
    timeout: float = 120,
    report: Path | None = None,
) -> Run:
    """The installed CLI; with `report`, `--report FILE` is added and the file read back."""
    argv = [str(CLI), *args] + (["--report", str(report)] if report is not None else [])
    start = time.monotonic()
    done = subprocess.run(
        argv,
        input=stdin.encode("utf-8"),
        capture_output=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    records: tuple[dict[str, Any], ...] = ()
    if report is not None and report.exists():
        records = tuple(json.loads(line) for line in report.read_text("utf-8").splitlines() if line.strip())
    return Run(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
        " ".join(argv),
        time.monotonic() - start,
        records,
    )


def json_lines(run: Run) -> list[list[dict[str, Any]]]:
    """`-o json` stdout: one array per statement."""
    out = []
    for line in run.stdout.splitlines():
        if line.strip():
            value = json.loads(line)
            assert isinstance(value, list), run.explain()
            out.append(value)
    return out


# --- the emulator, as a user starts it --------------------------------------------------------------


@dataclass
class EmulatorProcess:
    """`stackql-signups emulator --port 0 --state FILE [faults]`; output kept in files under `logs`."""

    state_path: Path
    env: dict[str, str]
    logs: Path
    flags: tuple[str, ...] = ()
    url: str = ""
    process: subprocess.Popen[bytes] | None = None
    out_path: Path = field(init=False)
    err_path: Path = field(init=False)

    def __post_init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        self.out_path = self.logs / f"emulator-{tag}.out"
        self.err_path = self.logs / f"emulator-{tag}.err"
        self.process, self.url = start_emulator(
            self.state_path, self.env, self.out_path, self.err_path, self.flags
        )

    def output(self) -> str:
        return self.out_path.read_text("utf-8", "replace") + self.err_path.read_text("utf-8", "replace")

    @property
    def admin_auth(self) -> tuple[str, str]:
        """The credentials its /_emulator/ routes need: the ones it was started with."""
        from stackql_signups.emulator.config import credentials_from

        flags = dict(zip(self.flags[::2], self.flags[1::2], strict=False))
        return credentials_from(self.env, flags.get("--api-key"), flags.get("--api-secret"))

    def get(self, path: str) -> Any:
        answer = httpx.get(self.url + path, auth=self.admin_auth, timeout=15)
        answer.raise_for_status()
        return answer.json()

    def state(self) -> dict[str, list[dict[str, Any]]]:
        result: dict[str, list[dict[str, Any]]] = self.get("/_emulator/state")
        return result

    def request_log(self) -> dict[str, Any]:
        result: dict[str, Any] = self.get("/_emulator/requests")
        return result

    def total(self) -> int:
        return int(self.request_log()["total"])

    def settled_log(self, at_least: int, quiet: float = 0.4, timeout: float = 15) -> dict[str, Any]:
        """The request log once it holds `at_least` requests and has not grown for `quiet` seconds
        (answers delayed by --latency are logged when they are written, after the client gave up)."""
        deadline = time.monotonic() + timeout
        log = self.request_log()
        while time.monotonic() < deadline:
            time.sleep(quiet)
            again = self.request_log()
            if again["total"] == log["total"] and again["total"] >= at_least:
                return again
            log = again
        return log

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_exit(self, timeout: float = 20) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            httpx.post(self.url + "/_emulator/shutdown", auth=self.admin_auth, timeout=5)
            self.process.wait(timeout=10)
        except (httpx.HTTPError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait(timeout=10)


# --- checks shared by the fault tests ------------------------------------------------------------------


def assert_every_statement_reported(run: Run, count: int) -> None:
    """Each statement has exactly one outcome in the report, the summary agrees, stderr names each one,
    and `-o json` stdout has one array per statement, non-empty exactly for the successes."""
    assert [r["statement"] for r in run.report] == list(range(1, count + 1)), run.explain()
    assert {r["status"] for r in run.report} <= {"succeeded", "failed", "unknown", "not_sent"}
    summary = run.summary()
    counts = run.counts()
    assert summary == {
        "total": count,
        "succeeded": counts["succeeded"],
        "failed": counts["failed"],
        "unknown": counts["unknown"],
        "not_sent": counts["not_sent"],
    }, run.explain()
    named = {int(n) for n in re.findall(r"\bstatement (\d+)\b", run.stderr)}
    assert named == set(range(1, count + 1)), run.explain()
    arrays = json_lines(run)
    assert len(arrays) == count, run.explain()
    for record, rows in zip(run.report, arrays, strict=True):
        if record["status"] == "succeeded":
            assert len(rows) == 1 and rows[0]["organization_id"] == record["organization_id"]
        else:
            assert rows == [], (record, rows)


def assert_one_organization_per_customer(state: dict[str, list[dict[str, Any]]]) -> None:
    """No customer (entitlement external_id) has two organizations, and no organization lacks one."""
    entitlements = state["entitlements"]
    external_ids = Counter(e["external_id"] for e in entitlements)
    assert max(external_ids.values(), default=1) == 1, external_ids.most_common(3)
    organizations = [o["id"] for o in state["organizations"]]
    assert len(organizations) == len(set(organizations))
    linked = Counter(e["organization_id"] for e in entitlements)
    assert set(linked) == set(organizations), "an organization without its entitlement, or the reverse"
    assert max(linked.values(), default=1) == 1


def external_ids_by_organization(state: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    return {e["organization_id"]: e["external_id"] for e in state["entitlements"]}


def api_posts(log: dict[str, Any], path: str = SIGNUP_PATH) -> list[dict[str, Any]]:
    return [r for r in log["requests"] if r["method"] == "POST" and r["path"] == path]


#: The fixtures' types, here rather than in conftest.py: test modules must not import `conftest` by name,
#: which resolves to whichever suite's conftest was imported first.
StartEmulator = Callable[..., EmulatorProcess]
RunCli = Callable[..., Run]
