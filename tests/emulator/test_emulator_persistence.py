"""Persistence: restarts keep state, concurrent clients stay consistent, kill -9 loses no answered signup."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from stackql_signups.emulator import EmulatorConfig, EmulatorServer
from stackql_signups.emulator.store import Store, StoreError

from .emulator_support import (
    ACTIVATE,
    AUTH,
    LINK,
    SIGNUP,
    entitlement,
    link_token,
    organization,
    signup_body,
    start_process,
    state,
    user,
)


def test_state_survives_a_restart_on_the_same_file(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with (
        EmulatorServer(EmulatorConfig(state_path=path)) as first,
        httpx.Client(base_url=first.url, auth=AUTH) as http,
    ):
        created = http.post(SIGNUP, json=signup_body("keep", with_user=False)).json()
        token = link_token(first, created["organization_id"])
        before = state(first)
    with (
        EmulatorServer(EmulatorConfig(state_path=path)) as second,
        httpx.Client(base_url=second.url, auth=AUTH) as http,
    ):
        assert state(second) == before
        assert http.post(SIGNUP, json=signup_body("keep")).status_code == 409
        # The link token issued before the restart still works (its hash is stored).
        body = {"token": token, "organization": organization(), "entitlement": entitlement("keep-2")}
        assert http.post(LINK, json=body).status_code == 201
        org_id = created["organization_id"]
        assert http.post(ACTIVATE, json={"user": user(), "organization_id": org_id}).status_code == 201
    with (
        EmulatorServer(EmulatorConfig(state_path=path)) as third,
        httpx.Client(base_url=third.url, auth=AUTH) as http,
    ):
        assert http.post(ACTIVATE, json={"user": user(), "organization_id": org_id}).status_code == 409
        assert len(state(third)["entitlements"]) == 2


def test_the_state_file_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "wal.sqlite3"
    Store(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_without_a_state_file_a_temporary_one_is_used_and_removed() -> None:
    with EmulatorServer(EmulatorConfig()) as server:
        path = server.state_path
        assert path is not None and path.exists()
        assert httpx.post(f"{server.url}{SIGNUP}", json=signup_body(), auth=AUTH).status_code == 201
    assert not path.exists() and not path.parent.exists()


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database " * 100)
    with pytest.raises(StoreError, match="cannot use this file"):
        EmulatorServer(EmulatorConfig(state_path=path)).start()


def test_sixteen_concurrent_clients_see_consistent_state(server: EmulatorServer) -> None:
    """Every client signs up its own customers and races the others on the same few external ids."""
    shared = [f"shared-{i}" for i in range(5)]
    answers: list[tuple[str, int, str | None]] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def client(index: int) -> None:
        mine: list[tuple[str, int, str | None]] = []
        with httpx.Client(base_url=server.url, auth=AUTH, timeout=30) as http:
            start.wait()
            for n in range(12):
                for external_id in (f"own-{index}-{n}", shared[n % len(shared)]):
                    answer = http.post(SIGNUP, json=signup_body(external_id))
                    org = answer.json().get("organization_id") if answer.status_code == 201 else None
                    mine.append((external_id, answer.status_code, org))
        with lock:
            answers.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    created = [(ext, org) for ext, status, org in answers if status == 201 and org is not None]
    assert all(status in (201, 409) for _, status, _ in answers)
    assert len([ext for ext, _ in created if ext.startswith("shared-")]) == len(shared)  # one winner each
    assert len([ext for ext, _ in created if ext.startswith("own-")]) == 16 * 12  # no lost writes
    now = state(server)
    assert sorted(o["id"] for o in now["organizations"]) == sorted(org for _, org in created)  # no extra orgs
    by_org = {e["organization_id"]: e["external_id"] for e in now["entitlements"]}
    assert len(by_org) == len(now["entitlements"]) == len(created)
    assert all(by_org[org] == ext for ext, org in created)
    assert len(now["users"]) == len(created)


def test_kill_9_loses_no_signup_that_was_answered(tmp_path: Path) -> None:
    path = tmp_path / "killed.sqlite3"
    process, url = start_process("--state", str(path))
    answered: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(index: int) -> None:
        with httpx.Client(base_url=url, auth=AUTH, timeout=10) as http:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    answer = http.post(SIGNUP, json=signup_body(f"k-{index}-{n}"))
                except httpx.HTTPError:
                    return  # the process was killed mid-request: its outcome is unknown, that is allowed
                assert answer.status_code == 201
                with lock:
                    answered.append(answer.json()["organization_id"])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(answered) < 150 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)  # in the middle of the batch
    process.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join()
    assert process.returncode == -signal.SIGKILL
    assert len(answered) >= 150

    with EmulatorServer(EmulatorConfig(state_path=path)) as restarted:
        stored = {o["id"] for o in state(restarted)["organizations"]}
    assert set(answered) <= stored
    assert len(stored) - len(answered) <= 4  # at most the requests in flight when it died
