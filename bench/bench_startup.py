"""Start-up: whole processes against `python -c "import ..."` floors in the same environment.

1. `stackql-signups exec "SHOW METHODS IN confluent.partner.signups"` vs `python -c "import sqlglot"`.
2. An EXEC under `--dryrun` vs `python -c "import sqlglot, jinja2"`.
Both with the manifest cache warm (a private XDG_CACHE_HOME); the first run after an install (an empty
cache, the YAML parsed) is measured too. Interleaved, best of N; the target is 1.3x for each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from _harness import cli, compare, package_env, run_once, temp_dir

TARGET = 1.3
SHOW = "SHOW METHODS IN confluent.partner.signups"
EXEC = (
    "EXEC confluent.partner.signups.signup @dry_run=false @@json='"
    '{"organization": {"name": "Acme", "sso_config": {"kind": "AzureSSOConfig", '
    '"tenant_id": "b3a17773-05cc-4431-9560-433fb4613da8"}}, '
    '"user": {"email": "jane@acme.example", "given_name": "Jane", "family_name": "Doe"}, '
    '"entitlement": {"external_id": "acme-1", "name": "Acme", "plan_id": "confluent-cloud-payg-prod", '
    '"product_id": "confluent-cloud-kafka-service-azure"}}\''
)


def cold_ratio(command: list[str], floor: list[str], env: dict[str, str], folder: Path, rounds: int) -> float:
    """Best-of ratio of first runs: each one with an empty manifest cache."""
    ours: list[float] = []
    floors: list[float] = []
    for i in range(rounds):
        cache = folder / f"cold-{i}"
        ours.append(run_once(command, {**env, "XDG_CACHE_HOME": str(cache)}))
        floors.append(run_once(floor, env))
        shutil.rmtree(cache, ignore_errors=True)
    return min(ours) / min(floors)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter (environment) to measure")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    base = cli(args.python)
    with temp_dir() as tmp:
        folder = Path(tmp)
        env = {**package_env(args.python, folder / "pycache"), "XDG_CACHE_HOME": str(folder / "cache")}
        if len(base) == 1:
            env.pop("PYTHONPATH", None)  # the installed package, as users run it
        env.pop("STACKQL_SIGNUPS_REGISTRY", None)
        cases = {
            "show": ([*base, "exec", SHOW], [args.python, "-c", "import sqlglot"]),
            "dryrun": ([*base, "exec", EXEC, "--dryrun"], [args.python, "-c", "import sqlglot, jinja2"]),
        }
        runs = compare(
            {
                f"{name} {kind}": cmd
                for name, pair in cases.items()
                for kind, cmd in zip(("ours", "floor"), pair, strict=True)
            },
            args.rounds,
            env,
            budget_s=60,
        )
        cold = {name: cold_ratio(*pair, env, folder, 5) for name, pair in cases.items()}
    print(f"command: {' '.join(base)}; python: {args.python}; warm manifest cache; best of {args.rounds}")
    ratios = {}
    for name, (_, floor) in cases.items():
        ours_s, floor_s = runs[f"{name} ours"].best, runs[f"{name} floor"].best
        ratios[name] = ours_s / floor_s
        print(f"{name}: {ours_s * 1000:.0f} ms vs floor `{floor[-1]}` {floor_s * 1000:.0f} ms")
        print(f"{name}: first run (empty cache, YAML parsed): {cold[name]:.2f}x the floor")
    worst = max(ratios.values())
    for name, ratio in ratios.items():
        print(f"{name} ratio: {ratio:.2f}x")
    print(
        f"start-up ratio (worst of show, dryrun) vs floor: {worst:.2f}x (target <= {TARGET:g}x) "
        f"{'ok' if worst <= TARGET else 'MISSED'}"
    )
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    os.environ.pop("STACKQL_SIGNUPS_NO_CACHE", None)
    sys.exit(main())
