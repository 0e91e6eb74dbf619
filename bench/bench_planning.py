"""Planning: a 10,000-statement script of signups under `--dryrun -o jsonl`, against a floor.

The floor is a small program that reads the same file, splits it into statements, pulls out each
payload with a regular expression and does json.loads + json.dumps on it. Both run as whole processes,
interleaved, best of N. Also checks that peak memory grows by less than 3 KiB per statement (10,000
against 1,000 statements). The target is 4x with the pure-Python sqlglot and 2x with sqlglotc; run the
second pass with an interpreter that has sqlglotc: `python bench/bench_planning.py --python PATH`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _harness import (
    compare,
    package_env,
    peak_kib,
    python_has_sqlglotc,
    run_once,
    signup_body,
    signup_script,
    temp_dir,
)

FLOOR = r"""
import json, re, sys
PAYLOAD = re.compile(r"@@json='((?:[^']|'')*)'")
with open(sys.argv[1], encoding="utf-8") as handle:
    text = handle.read()
out = sys.stdout
for statement in text.split(";"):
    found = PAYLOAD.search(statement)
    if found:
        out.write(json.dumps(json.loads(found.group(1).replace("''", "'")), ensure_ascii=False) + "\n")
"""
MAX_KIB_PER_STATEMENT = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter to run both with")
    parser.add_argument("--statements", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    compiled = python_has_sqlglotc(args.python)
    target = 2.0 if compiled else 4.0
    with temp_dir() as tmp:
        folder = Path(tmp)
        env = package_env(args.python, folder / "pycache")
        script = folder / "signups.iql"
        small = folder / "signups-small.iql"
        script.write_text(signup_script([signup_body("plan", n) for n in range(args.statements)]))
        size = script.stat().st_size
        small.write_text(signup_script([signup_body("plan", n) for n in range(args.statements // 10)]))
        floor = folder / "floor.py"
        floor.write_text(FLOOR)
        ours = [args.python, "-m", "stackql_signups", "exec", "-i", str(script), "--dryrun", "-o", "jsonl"]
        with open(folder / "out.jsonl", "w") as out:
            run_once(ours, env, stdout=out.fileno())
        lines = (folder / "out.jsonl").read_text().count("\n")
        if lines != args.statements:
            raise SystemExit(f"expected {args.statements} planned requests, got {lines} lines")
        runs = compare({"floor": [args.python, str(floor), str(script)], "ours": ours}, args.rounds, env)
        peak = min(peak_kib(ours, env) for _ in range(3))
        small_peak = min(peak_kib([*ours[:5], str(small), *ours[6:]], env) for _ in range(3))
    floor_s, ours_s = runs["floor"].best, runs["ours"].best
    growth = (peak - small_peak) / (args.statements - args.statements // 10)
    print(f"interpreter: {args.python} ({'sqlglotc' if compiled else 'pure-Python sqlglot'})")
    print(f"script: {args.statements} signups, {size / args.statements:.0f} bytes each")
    print(
        f"floor (read, split, regex, json.loads + json.dumps): best {floor_s:.3f} s, "
        f"median {runs['floor'].median:.3f} s"
    )
    print(f"stackql-signups exec --dryrun -o jsonl: best {ours_s:.3f} s, median {runs['ours'].median:.3f} s")
    print(
        f"peak memory: {peak / 1024:.1f} MiB ({args.statements // 10} statements: "
        f"{small_peak / 1024:.1f} MiB); growth {growth:.2f} KiB per statement "
        f"(target < {MAX_KIB_PER_STATEMENT:g})"
    )
    ours_cpu, floor_cpu = min(runs["ours"].cpu), min(runs["floor"].cpu)
    print(
        f"CPU (user + system), best: {ours_cpu:.3f} s vs floor {floor_cpu:.3f} s: {ours_cpu / floor_cpu:.2f}x"
    )
    ratio = ours_s / floor_s
    ok = ratio <= target and growth < MAX_KIB_PER_STATEMENT
    print(f"planning ratio vs floor: {ratio:.2f}x (target <= {target:g}x) {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
