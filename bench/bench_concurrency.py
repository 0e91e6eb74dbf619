"""Concurrent batches: 1,000 signups at `--concurrency 16` against `--concurrency 1`.

The emulator answers every API request after 50 ms (`--latency 50`), as a remote API would; each run
uses new external ids. The run at concurrency 1 takes about 50 s and is measured once; the one at 16
is the best of N. The target is a speed-up of at least 12x.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _harness import EMULATOR_AUTH, Emulator, cli, package_env, run_once, temp_dir, write_batch

TARGET = 12.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter (environment) to measure")
    parser.add_argument("--signups", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=50.0, help="emulator latency per request, ms")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with temp_dir() as tmp:
        folder = Path(tmp)
        env = {**package_env(args.python, folder / "pycache"), **EMULATOR_AUTH}
        env["XDG_CACHE_HOME"] = str(folder / "cache")
        latency = ["--latency", f"{args.latency:g}"]
        with Emulator(args.python, env, folder / "state.sqlite3", *latency) as emulator:

            def batch(run: str, concurrency: int) -> float:
                script, _ = write_batch(folder, run, args.signups)
                command = [*cli(args.python), "exec", "-i", str(script), "--endpoint", emulator.url]
                return run_once([*command, "-o", "jsonl", "--concurrency", str(concurrency)], env)

            batch("warm", args.concurrency)
            many = min(batch(f"many{r}", args.concurrency) for r in range(args.rounds))
            one = batch("one", 1)
    speedup = one / many
    print(f"{args.signups} signups, emulator latency {args.latency:g} ms")
    print(f"--concurrency 1: {one:.2f} s ({args.signups / one:.0f}/s)")
    print(
        f"--concurrency {args.concurrency}: {many:.2f} s ({args.signups / many:.0f}/s), best of {args.rounds}"
    )
    ok = speedup >= TARGET
    print(
        f"concurrency speed-up ({args.concurrency} vs 1): {speedup:.1f}x (target >= {TARGET:g}x) "
        f"{'ok' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
