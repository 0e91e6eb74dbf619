"""Batches of 200 signups through the installed CLI against an emulator process under each fault.

Each run must report every statement as succeeded, failed, unknown or not sent (stderr lines, the summary
line, `-o json` and the --report file agree), must never resend a request whose outcome is unknown (the
emulator's request log counts every attempt), and the emulator must never hold two organizations for one
customer. A re-run with --on-conflict existing finishes what the first run left undone.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .reliability_support import (
    SIGNUP_PATH,
    Run,
    RunCli,
    StartEmulator,
    api_posts,
    assert_every_statement_reported,
    assert_one_organization_per_customer,
    customer,
    external_ids_by_organization,
    signup_batch,
)

BATCH = 200


def write_batch(tmp_path: Path, prefix: str, count: int = BATCH) -> Path:
    script = tmp_path / f"{prefix}.iql"
    script.write_text(signup_batch(count, prefix), encoding="utf-8")
    return script


def attempts_by_status(run: Run) -> dict[str, int]:
    total: Counter[str] = Counter()
    for record in run.report:
        total[record["status"]] += record["attempts"]
    return dict(total)


def assert_created_as_reported(run: Run, state: dict[str, list[dict[str, object]]], prefix: str) -> None:
    """Every statement reported succeeded names the organization that holds its customer's entitlement."""
    owner = external_ids_by_organization(state)
    for record in run.report:
        if record["status"] == "succeeded":
            _, external_id = customer(record["statement"] - 1, prefix)
            assert owner.get(record["organization_id"]) == external_id, record


def test_latency_beyond_the_timeout_is_unknown_never_resent_and_a_rerun_finds_everyone(
    tmp_path: Path, start_emulator: StartEmulator, cli: RunCli
) -> None:
    emulator = start_emulator("--latency", "150")
    script = write_batch(tmp_path, "lat")

    first = cli(
        "exec", "-i", str(script), "--endpoint", emulator.url, "-o", "json",
        "--timeout", "0.05", "--concurrency", "16", "--on-error", "continue",
        report=tmp_path / "first.jsonl",
    )  # fmt: skip

    assert first.status == 1, first.explain()
    assert_every_statement_reported(first, BATCH)
    assert first.counts() == {"unknown": BATCH}, first.counts()
    assert all(r["attempts"] == 1 for r in first.report)
    assert "no answer within 0.05 s (--timeout)" in first.stderr
    log = emulator.settled_log(BATCH)
    assert len(api_posts(log)) == BATCH  # one attempt each: nothing unknown was sent twice
    state = emulator.state()
    assert len(state["organizations"]) == BATCH  # the emulator processed them all, slowly
    assert_one_organization_per_customer(state)

    second = cli(
        "exec", "-i", str(script), "--endpoint", emulator.url, "-o", "json",
        "--concurrency", "16", "--on-conflict", "existing",
        report=tmp_path / "second.jsonl",
    )  # fmt: skip

    assert second.status == 0, second.explain()
    assert_every_statement_reported(second, BATCH)
    assert all(r["existing"] for r in second.report)
    assert f"{BATCH} of them already there" in second.stderr
    after = emulator.state()
    assert len(after["organizations"]) == BATCH
    assert_one_organization_per_customer(after)
    assert_created_as_reported(second, after, "lat")


def test_a_rate_limited_batch_succeeds_whole_at_the_allowed_rate(
    tmp_path: Path, start_emulator: StartEmulator, cli: RunCli
) -> None:
    rate = 50
    emulator = start_emulator("--rate-limit", str(rate))
    script = write_batch(tmp_path, "rate")

    run = cli(
        "exec", "-i", str(script), "--endpoint", emulator.url, "-o", "json",
        "--concurrency", "8", "--retries", "10",
        report=tmp_path / "report.jsonl",
    )  # fmt: skip

    assert run.status == 0, run.explain()
    assert_every_statement_reported(run, BATCH)
    posts = api_posts(emulator.request_log())
    statuses = Counter(p["status"] for p in posts)
    # The client paces itself from the X-RateLimit-* headers; any 429 it still meets is retried.
    assert statuses[201] == BATCH and set(statuses) <= {201, 429}, statuses
    assert len(posts) == sum(r["attempts"] for r in run.report)  # only 429s were sent again
    if statuses[429]:
        assert "429 Too Many Requests; retrying in" in run.stderr
    # The limit was in force: a burst of `rate`, then `rate` per second, and nothing failed.
    assert run.seconds >= 0.9 * (BATCH - rate) / rate, run.seconds
    state = emulator.state()
    assert len(state["organizations"]) == BATCH
    assert_one_organization_per_customer(state)
    assert_created_as_reported(run, state, "rate")


def test_server_errors_are_unknown_never_resent_and_reruns_finish_the_job(
    tmp_path: Path, start_emulator: StartEmulator, cli: RunCli
) -> None:
    emulator = start_emulator("--fail-rate", "0.15", "--seed", "7", state=tmp_path / "failing.sqlite3")
    script = write_batch(tmp_path, "fail")

    first = cli(
        "exec", "-i", str(script), "--endpoint", emulator.url, "-o", "json",
        "--concurrency", "8", "--on-error", "continue",
        report=tmp_path / "run-0.jsonl",
    )  # fmt: skip

    assert first.status == 1, first.explain()
    assert_every_statement_reported(first, BATCH)
    counts = first.counts()
    assert set(counts) == {"succeeded", "unknown"} and counts["unknown"] >= 10, counts
    assert all(r["attempts"] == 1 for r in first.report)  # a 500 is never retried
    posts = api_posts(emulator.request_log())
    assert len(posts) == BATCH
    assert Counter(p["status"] for p in posts) == {201: counts["succeeded"], 500: counts["unknown"]}
    assert "the outcome is unknown" in first.stderr
    state = emulator.state()
    assert len(state["organizations"]) == counts["succeeded"]
    assert_created_as_reported(first, state, "fail")

    # Re-run while the API still fails now and then: each run finds the customers already there and
    # creates some of the missing ones; nobody twice.
    done = {n for n, status in first.statuses().items() if status == "succeeded"}
    again = cli(
        "exec", "-i", str(script), "--endpoint", emulator.url, "-o", "json",
        "--concurrency", "8", "--on-error", "continue", "--on-conflict", "existing",
        report=tmp_path / "run-1.jsonl",
    )  # fmt: skip
    assert_every_statement_reported(again, BATCH)
    assert all(r["attempts"] == 1 for r in again.report if r["status"] == "unknown")
    state = emulator.state()
    assert_one_organization_per_customer(state)
    assert_created_as_reported(again, state, "fail")
    done |= {n for n, status in again.statuses().items() if status == "succeeded"}
    assert len(state["organizations"]) == len(done) > counts["succeeded"]

    # The API recovers (the same state, no faults): one more run finishes the job and exits 0.
    emulator.stop()
    healthy = start_emulator(state=emulator.state_path)
    last = cli(
        "exec", "-i", str(script), "--endpoint", healthy.url, "-o", "json",
        "--concurrency", "8", "--on-conflict", "existing",
        report=tmp_path / "run-2.jsonl",
    )  # fmt: skip
    assert last.status == 0, last.explain()
    assert_every_statement_reported(last, BATCH)
    final = healthy.state()
    assert len(final["organizations"]) == BATCH
    assert_one_organization_per_customer(final)
    assert_created_as_reported(last, final, "fail")
    assert sum(r["existing"] for r in last.report) == len(done)
    first_ids = {r["statement"]: r["organization_id"] for r in first.report if r["status"] == "succeeded"}
    last_ids = {r["statement"]: r["organization_id"] for r in last.report}
    assert all(last_ids[n] == org for n, org in first_ids.items())  # the same organizations, found again


def test_dropped_answers_after_commit_are_unknown_never_resent_and_a_rerun_finds_them(
    tmp_path: Path, start_emulator: StartEmulator, cli: RunCli
) -> None:
    emulator = start_emulator("--drop-after-commit", "0.15", "--seed", "3")
    script = write_batch(tmp_path, "drop")

    first = cli(
        "exec", "-i", str(script), "--endpoint", emulator.url, "-o", "json",
        "--concurrency", "8", "--on-error", "continue",
        report=tmp_path / "first.jsonl",
    )  # fmt: skip

    assert first.status == 1, first.explain()
    assert_every_statement_reported(first, BATCH)
    counts = first.counts()
    assert set(counts) == {"succeeded", "unknown"} and counts["unknown"] >= 10, counts
    assert all(r["attempts"] == 1 for r in first.report)
    assert "the server closed the connection without a complete answer" in first.stderr
    posts = api_posts(emulator.request_log())
    assert len(posts) == BATCH  # a dropped answer is not resent
    assert Counter(p["status"] for p in posts) == {201: counts["succeeded"], None: counts["unknown"]}
    state = emulator.state()
    assert len(state["organizations"]) == BATCH  # the dropped ones were committed
    assert_one_organization_per_customer(state)

    second = cli(
        "exec", "-i", str(script), "--endpoint", emulator.url, "-o", "json",
        "--concurrency", "8", "--on-conflict", "existing",
        report=tmp_path / "second.jsonl",
    )  # fmt: skip

    assert second.status == 0, second.explain()
    assert_every_statement_reported(second, BATCH)
    assert all(r["existing"] for r in second.report)
    after = emulator.state()
    assert after["organizations"] == state["organizations"]
    assert_created_as_reported(second, after, "drop")
    unknown = [r["statement"] for r in first.report if r["status"] == "unknown"]
    owner = external_ids_by_organization(after)
    for number in unknown:  # what the first run could not know, the second one reports
        record = second.report[number - 1]
        assert owner[record["organization_id"]] == customer(number - 1, "drop")[1]


def test_an_emulator_stopped_mid_batch_leaves_every_statement_accounted_for(
    tmp_path: Path, start_emulator: StartEmulator, cli: RunCli
) -> None:
    state_path = tmp_path / "stopped.sqlite3"
    emulator = start_emulator("--stop-after", "120", state=state_path)
    script = write_batch(tmp_path, "stop")

    run = cli(
        "exec", "-i", str(script), "--endpoint", emulator.url, "-o", "json",
        "--concurrency", "4", "--retries", "1",
        report=tmp_path / "report.jsonl",
    )  # fmt: skip

    assert emulator.wait_exit() == 137
    assert run.status == 1, run.explain()
    assert_every_statement_reported(run, BATCH)
    counts = run.counts()
    assert counts["succeeded"] == 120, counts
    assert counts["not_sent"] > 0 and counts["succeeded"] + counts["not_sent"] < BATCH + 1, counts
    assert all(r["attempts"] == 1 for r in run.report if r["status"] == "unknown")
    assert "--on-error is stop" in run.stderr

    restarted = start_emulator(state=state_path)
    state = restarted.state()
    assert_one_organization_per_customer(state)
    assert_created_as_reported(run, state, "stop")
    unknown = counts["unknown"]
    assert counts["succeeded"] <= len(state["organizations"]) <= counts["succeeded"] + unknown
    assert len(api_posts(restarted.request_log(), SIGNUP_PATH)) == 0  # a fresh log after the restart
