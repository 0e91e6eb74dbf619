"""The emulator under a crowd and under `kill -9`, driven through the installed CLI as partners drive it."""

from __future__ import annotations

import json
import random
import subprocess
import time
from collections import defaultdict
from pathlib import Path

from .reliability_support import (
    CLI,
    StartEmulator,
    assert_one_organization_per_customer,
    customer,
    external_ids_by_organization,
    signup_batch,
    signup_sql,
)

CLIENTS = 16


def read_report(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    lines = path.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


def test_kill_9_mid_batch_loses_no_signup_the_cli_reported_succeeded(
    tmp_path: Path, start_emulator: StartEmulator, env: dict[str, str]
) -> None:
    state_path = tmp_path / "killed.sqlite3"
    emulator = start_emulator("--latency", "5", state=state_path)  # a batch of about a second
    script = tmp_path / "batch.iql"
    script.write_text(signup_batch(400, "kill"), encoding="utf-8")
    report = tmp_path / "report.jsonl"
    argv = [str(CLI), "exec", "-i", str(script), "--endpoint", emulator.url, "-o", "json"]
    argv += ["--concurrency", "4", "--retries", "0", "--report", str(report)]
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path
    ) as batch:
        deadline = time.monotonic() + 30
        while len(read_report(report)) < 150 and time.monotonic() < deadline and batch.poll() is None:
            time.sleep(0.01)
        emulator.kill9()  # in the middle of the batch
        _, err = batch.communicate(timeout=60)
    records = read_report(report)
    assert batch.returncode == 1, err.decode()
    assert [r["statement"] for r in records] == list(range(1, 401))
    succeeded = {r["statement"]: r["organization_id"] for r in records if r["status"] == "succeeded"}
    assert 150 <= len(succeeded) < 400, len(succeeded)

    restarted = start_emulator(state=state_path)
    state = restarted.state()
    assert_one_organization_per_customer(state)
    owner = external_ids_by_organization(state)
    for number, organization in succeeded.items():
        assert owner.get(str(organization)) == customer(number - 1, "kill")[1], number
    unknown = sum(1 for r in records if r["status"] == "unknown")
    assert len(succeeded) <= len(state["organizations"]) <= len(succeeded) + unknown


def test_sixteen_cli_clients_at_once_keep_one_organization_per_customer(
    tmp_path: Path, start_emulator: StartEmulator, env: dict[str, str]
) -> None:
    emulator = start_emulator()
    shared = [customer(i, "shared") for i in range(4)]
    scripts = []
    for client in range(CLIENTS):
        own = [customer(i, f"own{client}") for i in range(12)]
        statements = [signup_sql(name, external_id) for name, external_id in own + shared]
        random.Random(client).shuffle(statements)  # the shared customers come at different moments
        path = tmp_path / f"client-{client}.iql"
        path.write_text("\n".join(statements) + "\n", encoding="utf-8")
        scripts.append((path, statements))

    processes = []
    for client, (path, _) in enumerate(scripts):
        argv = [str(CLI), "exec", "-i", str(path), "--endpoint", emulator.url, "-o", "json"]
        argv += ["--concurrency", "2", "--on-conflict", "existing", "--report", f"{path}.jsonl"]
        out = (tmp_path / f"client-{client}.err").open("wb")
        processes.append((subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=out, env=env), out))
    for process, out in processes:
        process.wait(timeout=120)
        out.close()

    assert [p.returncode for p, _ in processes] == [0] * CLIENTS, [
        (tmp_path / f"client-{i}.err").read_text()[-2000:]
        for i, (p, _) in enumerate(processes)
        if p.returncode
    ]
    state = emulator.state()
    assert_one_organization_per_customer(state)
    assert len(state["organizations"]) == CLIENTS * 12 + len(shared)
    owner = external_ids_by_organization(state)
    seen: dict[str, set[str]] = defaultdict(set)
    for path, statements in scripts:
        records = read_report(Path(f"{path}.jsonl"))
        assert len(records) == len(statements)
        for record, statement in zip(records, statements, strict=True):
            assert record["status"] == "succeeded"
            external_id = json.loads(statement.split("@@json='", 1)[1].rsplit("'", 1)[0])["entitlement"][
                "external_id"
            ]
            assert owner[str(record["organization_id"])] == external_id
            seen[external_id].add(str(record["organization_id"]))
    # Every client that named a shared customer got the one organization the winner created.
    assert all(len(seen[external_id]) == 1 for _, external_id in shared)
    existing = sum(
        1 for path, _ in scripts for record in read_report(Path(f"{path}.jsonl")) if record["existing"]
    )
    assert existing == CLIENTS * len(shared) - len(shared)
