"""Sequential dispatch: 1,000 signups in one script against the emulator on loopback, against a floor.

The floor is a plain httpx.Client loop posting the same 1,000 bodies (same URL, headers and JSON) to
the same emulator, as a whole process too. Each round uses new external ids (a signup is created
once); rounds are interleaved, best of N. The target is 1.2x.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _harness import EMULATOR_AUTH, Emulator, cli, package_env, run_once, temp_dir, write_batch

TARGET = 1.2
FLOOR = """
import sys, httpx
url, path = sys.argv[1], sys.argv[2]
headers = {"Content-Type": "application/json", "Accept": "application/json"}
auth = ("emulator-key", "emulator-secret")
with open(path, "rb") as bodies, httpx.Client(base_url=url, auth=auth) as http:
    for line in bodies:
        body = line.rstrip()
        answer = http.post("/partner/v2/signup", params={"dry_run": "false"}, content=body, headers=headers)
        if answer.status_code != 201:
            sys.exit(f"{answer.status_code}: {answer.text}")
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter (environment) to measure")
    parser.add_argument("--signups", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with temp_dir() as tmp:
        folder = Path(tmp)
        env = {**package_env(args.python, folder / "pycache"), **EMULATOR_AUTH}
        env["XDG_CACHE_HOME"] = str(folder / "cache")
        floor = folder / "floor.py"
        floor.write_text(FLOOR)
        with Emulator(args.python, env, folder / "state.sqlite3") as emulator:
            ours_s: list[float] = []
            floor_s: list[float] = []
            for r in range(args.rounds + 1):  # the first round warms up both
                script, _ = write_batch(folder, f"ours{r}", args.signups)
                _, bodies = write_batch(folder, f"floor{r}", args.signups)
                ours = [
                    *cli(args.python),
                    "exec",
                    "-i",
                    str(script),
                    "--endpoint",
                    emulator.url,
                    "-o",
                    "jsonl",
                ]
                ours_time = run_once(ours, env)
                floor_time = run_once([args.python, str(floor), emulator.url, str(bodies)], env)
                if r:
                    ours_s.append(ours_time)
                    floor_s.append(floor_time)
    ratio = min(ours_s) / min(floor_s)
    print(f"{args.signups} signups, one keep-alive connection, emulator on loopback; best of {args.rounds}")
    print(f"floor (httpx.Client loop): {min(floor_s):.3f} s ({args.signups / min(floor_s):.0f}/s)")
    best = min(ours_s)
    print(f"stackql-signups exec -i script --endpoint URL: {best:.3f} s ({args.signups / best:.0f}/s)")
    ok = ratio <= TARGET
    print(
        f"sequential dispatch ratio vs floor: {ratio:.2f}x (target <= {TARGET:g}x) {'ok' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
