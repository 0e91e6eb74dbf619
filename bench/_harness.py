"""What the benchmarks share: timing whole processes against a floor, interleaved, best of N."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TENANT = "b3a17773-05cc-4431-9560-433fb4613da8"


@dataclass
class Runs:
    """Wall-clock seconds and CPU seconds (user + system) of the runs of one command."""

    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run_once(
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    stdout: int | None = subprocess.DEVNULL,
) -> float:
    """Run `command` to its end and return its wall-clock seconds; a failure stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run(
        list(command), env=dict(env) if env is not None else None, stdout=stdout, stderr=subprocess.PIPE
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr.decode()[-2000:]}")
    return elapsed


# A child's peak RSS counts the pages of the process it was forked from, so a large benchmark process
# would hide the figure: a small launcher forks the command and reports its ru_maxrss (KiB on Linux).
_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def peak_kib(command: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """The peak resident memory of `command`, in KiB (Linux)."""
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *command],
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return int(done.stdout.strip())


def compare(
    commands: Mapping[str, Sequence[str]],
    rounds: int,
    env: Mapping[str, str] | None = None,
    budget_s: float = 90.0,
) -> dict[str, Runs]:
    """Each command `rounds` times, interleaved so that load from others hits all alike; one warm-up."""
    runs = {name: Runs() for name in commands}
    for command in commands.values():
        run_once(command, env)  # warm the page cache and the manifest cache
    deadline = time.monotonic() + budget_s
    for done in range(rounds):
        for name, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs[name].seconds.append(run_once(command, env))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs[name].cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if time.monotonic() > deadline and done >= 2:
            break  # bound the run time on a slow machine; at least 3 rounds
    return runs


def package_env(python: str, pycache: Path) -> dict[str, str]:
    """The environment to run this checkout's package with `python` (installed or not).

    Byte-code is cached (in `pycache`, outside the work tree) as it is for an installed package: with
    PYTHONDONTWRITEBYTECODE=1 an editable checkout would compile its source again at every start.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("STACKQL_SIGNUPS_NO_CACHE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def signup_body(run: str, n: int) -> dict[str, object]:
    """A valid signup, different for every `n` (about 400 bytes of JSON)."""
    return {
        "organization": {
            "name": f"Customer {n}",
            "sso_config": {"kind": "AzureSSOConfig", "tenant_id": TENANT},
        },
        "user": {"email": f"user{n}@customer{n}.example", "given_name": "Jane", "family_name": f"Doe {n}"},
        "entitlement": {
            "external_id": f"{run}-{n:08d}",
            "name": f"Customer {n} entitlement",
            "plan_id": "confluent-cloud-payg-prod",
            "product_id": "confluent-cloud-kafka-service-azure",
        },
    }


def signup_script(bodies: Sequence[Mapping[str, object]]) -> str:
    """One EXEC per body, as a user writes them."""
    return "".join(
        "EXEC confluent.partner.signups.signup @dry_run=false\n@@json='"
        + json.dumps(body).replace("'", "''")
        + "';\n"
        for body in bodies
    )


def temp_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="stackql-signups-bench-")


def python_has_sqlglotc(python: str) -> bool:
    """Whether `python` runs sqlglot's compiled tokenizer core (the sqlglotc extension)."""
    probe = "import sqlglot.tokenizer_core as c; print(c.__file__)"
    found = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    return found.returncode == 0 and found.stdout.strip().endswith((".so", ".pyd"))


def verdict(ratio: float, target: float, label: str) -> int:
    """Print the ratio last, as every benchmark does; the exit status says whether the target is met."""
    ok = ratio <= target
    print(f"{label}: {ratio:.2f}x (target <= {target:g}x) {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


EMULATOR_AUTH = {"CONFLUENT_CLOUD_API_KEY": "emulator-key", "CONFLUENT_CLOUD_API_SECRET": "emulator-secret"}


class Emulator:
    """`python -m stackql_signups.emulator` on a free loopback port, as users run it; a context manager."""

    def __init__(self, python: str, env: Mapping[str, str], state: Path, *flags: str) -> None:
        command = [python, "-m", "stackql_signups.emulator", "--host", "127.0.0.1", "--port", "0"]
        self.process = subprocess.Popen(
            [*command, "--state", str(state), *flags],
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on" not in line:
            self.process.kill()
            raise SystemExit(f"the emulator did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[1].strip()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def cli(python: str) -> list[str]:
    """The installed console script beside `python`, else `python -m stackql_signups`."""
    script = Path(python).parent / "stackql-signups"
    return [str(script)] if script.is_file() else [python, "-m", "stackql_signups"]


def write_batch(folder: Path, run: str, count: int) -> tuple[Path, Path]:
    """A script of `count` signups and the same bodies one JSON document a line (for a floor)."""
    bodies = [signup_body(run, n) for n in range(count)]
    script = folder / f"{run}.iql"
    script.write_text(signup_script(bodies))
    lines = folder / f"{run}.jsonl"
    lines.write_text("".join(json.dumps(body) + "\n" for body in bodies))
    return script, lines
