"""Emulator throughput: signups per second from 8 keep-alive clients, against a 1,000/s target.

Starts the emulator in its own process (as users run it), warms up, then drives it for a fixed window
with httpx.Client threads posting distinct signups. Checks every answer was 201 and every signup is
stored, prints the rate; the last line is the ratio to the target. Exits 1 when under the target.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx

TARGET_PER_S = 1000.0
AUTH = ("emulator-key", "emulator-secret")


@dataclass
class Tally:
    """What the client threads saw in the measured window."""

    created: int = 0
    other: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, created: int, other: dict[int, int]) -> None:
        with self.lock:
            self.created += created
            for status, count in other.items():
                self.other[status] = self.other.get(status, 0) + count


@dataclass
class Window:
    """The measured interval, shared by all clients: it starts once every client is warm."""

    warm: threading.Barrier
    end: float = float("inf")


ADMIN = ("emulator-key", "emulator-secret")  # the emulator's /_emulator/ routes need its credentials


def body(run: str, n: int) -> dict[str, object]:
    return {
        "organization": {
            "name": f"Bench {n}",
            "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "b3a17773-05cc-4431-9560-433fb4613da8"},
        },
        "user": {"email": f"user{n}@bench.example", "given_name": "Bench", "family_name": f"User {n}"},
        "entitlement": {
            "external_id": f"{run}-{n}",
            "name": f"Bench entitlement {n}",
            "plan_id": "confluent-cloud-payg-prod",
            "product_id": "confluent-cloud-kafka-service-azure",
        },
    }


def worker(url: str, run: str, index: int, warmup: int, window: Window, tally: Tally) -> None:
    """One keep-alive client: warm up, wait for the others, then post signups until the window ends."""
    with httpx.Client(base_url=url, auth=AUTH, timeout=30) as http:
        n = index * 10_000_000
        for _ in range(warmup):
            n += 1
            http.post("/partner/v2/signup", json=body(run + "w", n))
        window.warm.wait()
        created = 0
        other: dict[int, int] = {}
        while time.perf_counter() < window.end:
            n += 1
            status = http.post("/partner/v2/signup", json=body(run, n)).status_code
            if status == 201:
                created += 1
            else:
                other[status] = other.get(status, 0) + 1
        tally.add(created, other)


def start_emulator(extra: list[str]) -> tuple[subprocess.Popen[str], str]:
    """`python -m stackql_signups.emulator` on a free port; its process and URL once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "stackql_signups.emulator", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        raise SystemExit(f"the emulator did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1].strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=int, default=50, help="requests per client before measuring")
    parser.add_argument("--state", default=None, help="state file (default: the emulator's temporary one)")
    args = parser.parse_args()

    process, url = start_emulator(["--state", args.state] if args.state else [])
    tally = Tally()
    run = uuid.uuid4().hex[:8]
    window = Window(threading.Barrier(args.clients + 1))
    try:
        threads = [
            threading.Thread(target=worker, args=(url, run, i, args.warmup, window, tally))
            for i in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        window.warm.wait()
        start = time.perf_counter()
        window.end = start + args.seconds
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        state = httpx.get(url + "/_emulator/state", auth=ADMIN, timeout=30).json()
    finally:
        try:
            httpx.post(url + "/_emulator/shutdown", auth=ADMIN, timeout=5)
            process.wait(timeout=10)
        except (httpx.HTTPError, subprocess.TimeoutExpired):
            process.kill()

    rate = tally.created / elapsed
    stored = sum(1 for e in state["entitlements"] if str(e["external_id"]).startswith(run + "-"))
    print(f"clients: {args.clients} keep-alive httpx.Client threads; window {elapsed:.2f} s")
    print(f"signups answered 201: {tally.created}; stored: {stored}; other answers: {tally.other or 'none'}")
    print(f"emulator throughput: {rate:,.0f} signups/s")
    print(f"ratio vs {TARGET_PER_S:,.0f}/s target: {rate / TARGET_PER_S:.2f}")
    return 0 if rate >= TARGET_PER_S and not tally.other and stored == tally.created else 1


if __name__ == "__main__":
    sys.exit(main())
