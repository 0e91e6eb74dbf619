"""`srv`: statements over one Postgres connection against a process per statement, and a concurrent batch.

1. `SHOW METHODS IN confluent.partner.signups` over one psycopg connection to `stackql-signups srv`
   against `stackql exec "SHOW METHODS ..."` started once per statement with the flags pystackql's local
   mode passes (this project's `stackql` command). Median latency per statement; target: srv at least 20x
   faster.
2. 16 connections x 100 signups (one EXEC per query, each connection in its own thread) at the emulator's
   `--latency 50`, against the same 1,600 signups as one script through `exec --concurrency 16`.
   Wall time, best of N; target: srv within 1.3x.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from _harness import (
    EMULATOR_AUTH,
    Emulator,
    cli,
    package_env,
    run_once,
    signup_body,
    temp_dir,
    write_batch,
)

SHOW = "SHOW METHODS IN confluent.partner.signups"
# What pystackql 3.8.5's local mode passes to `stackql exec` for every statement.
PYSTACKQL_FLAGS = (
    "--output", "json", "--execution.concurrency.limit", "-1", "--dataflow.dependency.max", "50",
    "--dataflow.components.max", "50", "--http.response.maxResults", "-1", "--http.response.pageLimit", "20",
    "--indirect.depth.max", "5", "--apirequesttimeout", "45",
)  # fmt: skip
LATENCY_TARGET = 20.0
BATCH_TARGET = 1.3


def stackql(python: str) -> list[str]:
    """The `stackql` console script beside `python`, else its module."""
    script = Path(python).parent / "stackql"
    return [str(script)] if script.is_file() else [python, "-m", "stackql_signups.cli.stackql_command"]


class Srv:
    """`stackql-signups srv --pgsrv.port 0` started for the benchmark; stopped with SIGTERM."""

    def __init__(self, python: str, env: dict[str, str], *flags: str) -> None:
        self.process = subprocess.Popen(
            [*cli(python), "srv", "--pgsrv.port", "0", *flags],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("srv listening on "):
            self.process.kill()
            raise SystemExit(f"srv did not start: {line!r}")
        host, _, port = line.split()[3].rpartition(":")
        self.host, self.port = host, int(port)

    def connect(self) -> Any:
        import psycopg

        return psycopg.connect(
            host=self.host, port=self.port, user="stackql", dbname="stackql", autocommit=True
        )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        if self.process.wait(timeout=60) != 0:
            raise SystemExit(f"srv exited {self.process.returncode}")


def show_latencies(srv: Srv, count: int) -> list[float]:
    with srv.connect() as conn:
        conn.execute(SHOW).fetchall()  # warm
        seconds = []
        for _ in range(count):
            start = time.perf_counter()
            rows = conn.execute(SHOW).fetchall()
            seconds.append(time.perf_counter() - start)
            assert len(rows) == 3
    return seconds


def srv_batch(srv: Srv, run: str, connections: int, per_connection: int) -> float:
    failures: list[str] = []

    def sign_up(worker: int) -> None:
        with srv.connect() as conn:
            for n in range(per_connection):
                body = signup_body(run, worker * per_connection + n)
                sql = (
                    "EXEC confluent.partner.signups.signup @dry_run=false\n@@json='" + json.dumps(body) + "'"
                )
                try:
                    conn.execute(sql).fetchall()
                except Exception as exc:  # every outcome counts: a failure ends the benchmark
                    failures.append(str(exc))

    threads = [threading.Thread(target=sign_up, args=(w,)) for w in range(connections)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} signups failed over srv, e.g. {failures[0]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter (environment) to measure")
    parser.add_argument("--statements", type=int, default=300, help="SHOW statements over the connection")
    parser.add_argument("--processes", type=int, default=10, help="exec processes started for the floor")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--per-connection", type=int, default=100)
    parser.add_argument("--latency", type=float, default=50.0, help="emulator latency per request, ms")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    total = args.connections * args.per_connection
    with temp_dir() as tmp:
        folder = Path(tmp)
        env = {**package_env(args.python, folder / "pycache"), **EMULATOR_AUTH}
        env["XDG_CACHE_HOME"] = str(folder / "cache")
        with Emulator(
            args.python, env, folder / "state.sqlite3", "--latency", f"{args.latency:g}"
        ) as emulator:
            srv = Srv(args.python, env, "--endpoint", emulator.url)
            try:
                exec_show = [*stackql(args.python), "exec", SHOW, *PYSTACKQL_FLAGS]
                run_once(exec_show, env)  # warm the manifest cache
                per_process = [run_once(exec_show, env) for _ in range(args.processes)]
                over_srv = show_latencies(srv, args.statements)

                def exec_batch(run: str) -> float:
                    script, _ = write_batch(folder, run, total)
                    command = [*cli(args.python), "exec", "-i", str(script), "--endpoint", emulator.url]
                    return run_once([*command, "-o", "jsonl", "--concurrency", str(args.connections)], env)

                exec_batch("warm")
                exec_times, srv_times = [], []
                for r in range(args.rounds):  # interleaved: load from other work hits both alike
                    exec_times.append(exec_batch(f"exec{r}"))
                    srv_times.append(srv_batch(srv, f"srv{r}", args.connections, args.per_connection))
            finally:
                srv.stop()
    floor, served = statistics.median(per_process), statistics.median(over_srv)
    speedup = floor / served
    print(f"{SHOW}:")
    print(f"  stackql exec per statement: median {floor * 1000:.1f} ms ({1 / floor:.1f} statements/s)")
    rate = len(over_srv) / sum(over_srv)
    print(f"  one srv connection: median {served * 1000:.2f} ms ({rate:.0f} statements/s)")
    batch_ratio = min(srv_times) / min(exec_times)
    print(f"{total} signups, emulator latency {args.latency:g} ms, best of {args.rounds}:")
    print(f"  exec --concurrency {args.connections}: {min(exec_times):.2f} s")
    print(f"  srv, {args.connections} connections x {args.per_connection}: {min(srv_times):.2f} s")
    latency_ok = speedup >= LATENCY_TARGET
    verdict = "ok" if latency_ok else "MISSED"
    print(f"srv vs exec per SHOW: {speedup:.0f}x faster (target >= {LATENCY_TARGET:g}x) {verdict}")
    batch_ok = batch_ratio <= BATCH_TARGET
    verdict = "ok" if batch_ok else "MISSED"
    print(f"srv batch vs exec --concurrency: {batch_ratio:.2f}x (target <= {BATCH_TARGET:g}x) {verdict}")
    return 0 if latency_ok and batch_ok else 1


if __name__ == "__main__":
    sys.exit(main())
