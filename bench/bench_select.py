"""SELECT over 1,000 entitlements from the emulator vs a plain httpx loop fetching the same pages.

Starts the emulator in its own process and creates 1,000 entitlements. The floor is a keep-alive
`httpx.Client` that GETs `/partner/v2/entitlements?page_size=100`, follows `metadata.next` and parses
each page's JSON. The measured side runs `SELECT * FROM confluent.partner.entitlements` through the
Python API (one session, like the floor's one client): plan, fetch every page, load SQLite, query, rows
as dicts. Interleaved, best of N. Also reports how many requests the SELECT sent (the fewest pages:
1,000 / 100 = 10), and the same comparison as whole processes (the CLI vs a script with the loop), whose
difference is mostly interpreter start-up and imports. The last line is the in-process ratio; exits 1
over the target.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _harness import REPO
from bench_emulator import start_emulator

import stackql_signups

TARGET = 1.5
AUTH = ("emulator-key", "emulator-secret")
SQL = "SELECT * FROM confluent.partner.entitlements"
PLAN = "confluent-cloud-payg-prod"
PRODUCT = "confluent-cloud-kafka-service-azure"

FLOOR = """
import sys, httpx
url = sys.argv[1] + "/partner/v2/entitlements"
rows, params = [], {"page_size": 100}
with httpx.Client(auth=("emulator-key", "emulator-secret"), timeout=30) as http:
    while url:
        page = http.get(url, params=params).json()
        rows += page["data"]
        url, params = page["metadata"].get("next"), None
print(len(rows))
"""


def seed(url: str, count: int) -> None:
    """`count` entitlements: one signup per 10, then 9 more entitlements for each organization."""
    with httpx.Client(base_url=url, auth=AUTH, timeout=30) as http:
        for n in range(count // 10):
            body: dict[str, Any] = {
                "organization": {
                    "name": f"Bench {n}",
                    "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "t"},
                },
                "entitlement": {
                    "external_id": f"b-{n}-0",
                    "name": "E",
                    "plan_id": PLAN,
                    "product_id": PRODUCT,
                },
            }
            organization_id = http.post("/partner/v2/signup", json=body).json()["organization_id"]
            for k in range(1, 10):
                extra = {"external_id": f"b-{n}-{k}", "name": "E", "plan_id": PLAN, "product_id": PRODUCT}
                extra["organization"] = {"id": organization_id}  # type: ignore[assignment]
                assert http.post("/partner/v2/entitlements", json=extra).status_code == 201


def floor_loop(http: httpx.Client, url: str) -> int:
    rows: list[dict[str, Any]] = []
    link: str | None = url + "/partner/v2/entitlements"
    params: dict[str, Any] | None = {"page_size": 100}
    while link:
        page = http.get(link, params=params).json()
        rows += page["data"]
        link, params = page["metadata"].get("next"), None
    return len(rows)


def requests_total(url: str) -> int:
    total: int = httpx.get(url + "/_emulator/requests", auth=AUTH, timeout=10).json()["total"]
    return total


def timed(work: Any) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--process-runs", type=int, default=5)
    args = parser.parse_args()

    process, url = start_emulator([])
    try:
        seed(url, args.rows)
        floor_s: list[float] = []
        select_s: list[float] = []
        with httpx.Client(auth=AUTH, timeout=30) as http, stackql_signups.connect(endpoint=url) as db:
            assert floor_loop(http, url) == args.rows  # warm both: connections, imports, caches
            assert len(db.execute(SQL)) == args.rows
            before = requests_total(url)
            db.execute(SQL)
            sent = requests_total(url) - before
            for _ in range(args.runs):
                floor_s.append(timed(lambda: floor_loop(http, url)))
                select_s.append(timed(lambda: db.execute(SQL)))
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "floor.py"
            script.write_text(FLOOR)
            cli = [sys.executable, "-m", "stackql_signups", "exec", SQL, "--endpoint", url, "-o", "json"]
            process_floor: list[float] = []
            process_select: list[float] = []
            for _ in range(args.process_runs):
                process_floor.append(timed(lambda: _run([sys.executable, str(script), url])))
                process_select.append(timed(lambda: _run(cli)))
    finally:
        try:
            httpx.post(url + "/_emulator/shutdown", auth=AUTH, timeout=5)
            process.wait(timeout=10)
        except (httpx.HTTPError, subprocess.TimeoutExpired):
            process.kill()

    ratio = min(select_s) / min(floor_s)
    fewest = -(-args.rows // 100)
    print(f"rows: {args.rows} entitlements; SELECT sent {sent} requests (fewest possible: {fewest})")
    print(
        f"in process, best of {args.runs}: httpx loop {min(floor_s) * 1000:.1f} ms, "
        f"SELECT {min(select_s) * 1000:.1f} ms"
    )
    print(
        f"whole processes, best of {args.process_runs}: python + httpx loop "
        f"{min(process_floor) * 1000:.0f} ms, stackql-signups exec {min(process_select) * 1000:.0f} ms "
        f"(ratio {min(process_select) / min(process_floor):.2f}, mostly start-up and imports)"
    )
    print(f"ratio vs httpx loop (target <= {TARGET}): {ratio:.2f}")
    return 0 if ratio <= TARGET and sent == fewest else 1


def _run(command: list[str]) -> None:
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr.decode()[-2000:]}")


if __name__ == "__main__":
    sys.exit(main())
