"""Rate limits: 1,000 signups at `--concurrency 16` against the emulator's `--rate-limit R`.

The emulator answers 429 with Retry-After and X-RateLimit-* once its token bucket (R a second, bursts
of R) is empty. Every run must end with no failed statement, and sustain at least 90% of R: measured
by the emulator, from the 201s after the first R (the initial burst) to the last. Each run uses new
external ids; the worst run counts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

from _harness import EMULATOR_AUTH, Emulator, cli, package_env, temp_dir, write_batch

TARGET = 0.9


ADMIN = ("emulator-key", "emulator-secret")  # the emulator's /_emulator/ routes need its credentials


def requests_log(url: str) -> list[dict[str, object]]:
    import base64

    token = base64.b64encode(":".join(ADMIN).encode()).decode()
    request = urllib.request.Request(url + "/_emulator/requests", headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        entries: list[dict[str, object]] = json.load(answer)["requests"]
    return entries


def sustained(entries: list[dict[str, object]], burst: int) -> float:
    """Signups per second after the first `burst` ones, from the emulator's own timestamps."""
    times = sorted(
        datetime.fromisoformat(str(e["at"]).replace("Z", "+00:00")).timestamp()
        for e in entries
        if e["status"] == 201
    )
    if len(times) <= burst + 1:
        raise SystemExit(f"only {len(times)} signups were created")
    return (len(times) - 1 - burst) / (times[-1] - times[burst])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter (environment) to measure")
    parser.add_argument("--signups", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="the emulator's --rate-limit R, per second")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results: list[tuple[float, float, int, int]] = []
    with temp_dir() as tmp:
        folder = Path(tmp)
        env = {**package_env(args.python, folder / "pycache"), **EMULATOR_AUTH}
        env["XDG_CACHE_HOME"] = str(folder / "cache")
        for r in range(args.rounds):
            # A new emulator each run: its bucket starts full, as after a pause.
            state = folder / f"state{r}.sqlite3"
            with Emulator(args.python, env, state, "--rate-limit", f"{args.rate:g}") as emulator:
                script, _ = write_batch(folder, f"rate{r}", args.signups)
                command = [*cli(args.python), "exec", "-i", str(script), "--endpoint", emulator.url]
                start = time.perf_counter()
                done = subprocess.run(
                    [*command, "-o", "jsonl", "--concurrency", str(args.concurrency)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                wall = time.perf_counter() - start
                summary = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
                if done.returncode != 0:
                    print(f"run {r}: exit {done.returncode}: {summary}")
                    return 1
                entries = requests_log(emulator.url)
            limited = sum(1 for e in entries if e["status"] == 429)
            results.append((sustained(entries, int(args.rate)), wall, limited, len(entries)))
            print(f"run {r}: {summary}; {wall:.2f} s; {limited} answers 429 out of {len(entries)} requests")
    worst = min(rate for rate, *_ in results)
    print(
        f"{args.signups} signups at --concurrency {args.concurrency}, emulator --rate-limit {args.rate:g}/s"
    )
    for rate, wall, _, _ in results:
        print(f"sustained {rate:.1f}/s after the burst; overall {args.signups / wall:.1f}/s")
    ok = worst / args.rate >= TARGET
    print(
        f"sustained rate vs limit (worst run): {worst / args.rate:.2f} (target >= {TARGET:g}) "
        f"{'ok' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
