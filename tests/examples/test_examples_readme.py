"""Every example runs exactly as examples/README.md says, against a real emulator; its state shows the result.

Each runnable block of the README follows a `<!-- example: NAME -->` marker; it is run with bash, unchanged,
from a copy of examples/, with EMULATOR_URL set as the README's "Before you start" tells the user to.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ..e2e import EXAMPLES, Emulator, Run, run

README = EXAMPLES / "README.md"
_BLOCK = re.compile(r"<!-- example: (?P<name>[a-z_]+) -->\s*```sh\n(?P<body>.*?)```", re.DOTALL)


def readme_blocks() -> dict[str, str]:
    return {m["name"]: m["body"] for m in _BLOCK.finditer(README.read_text(encoding="utf-8"))}


def run_block(name: str, cwd: Path, env: dict[str, str], emulator: Emulator) -> Run:
    script = readme_blocks()[name]
    result = run(
        ["bash", "-e", "-o", "pipefail", "-c", script], {**env, "EMULATOR_URL": emulator.url}, cwd=cwd
    )
    assert result.status == 0, f"README block {name!r} failed\n{result.explain()}"
    return result


@pytest.fixture(autouse=True)
def _bash() -> None:
    if shutil.which("bash") is None:
        pytest.skip("the README's blocks are bash")


def test_readme_has_a_runnable_block_for_every_example() -> None:
    blocks = readme_blocks()
    assert set(blocks) == {
        "one_customer",
        "link",
        "link_python",
        "batch_yaml",
        "batch_csv",
        "python_api",
        "partner_service",
    }
    commands = "\n".join(blocks.values())
    shipped = {
        p.name for p in EXAMPLES.iterdir() if p.suffix in (".iql", ".py") and p.name != "link_token.py"
    }
    for name in shipped:
        assert name in commands, f"examples/{name} is run by no README block"
    text = README.read_text(encoding="utf-8")
    for path in EXAMPLES.iterdir():
        if path.is_file() and path.name != "README.md":
            assert f"`{path.name}`" in text, f"examples/{path.name} is not described in the README"


def test_one_customer_signs_up_and_activates(
    examples_copy: Path, env: dict[str, str], emulator: Emulator
) -> None:
    result = run_block("one_customer", examples_copy, env, emulator)

    state = emulator.state()
    data = yaml.safe_load((EXAMPLES / "one_customer.yaml").read_text(encoding="utf-8"))
    assert [o["name"] for o in state["organizations"]] == [data["organization"]["name"]]
    [org] = state["organizations"]
    [user] = state["users"]
    assert user["organization_id"] == org["id"]
    assert (user["email"], user["given_name"], user["family_name"]) == (
        data["user"]["email"],
        data["user"]["given_name"],
        data["user"]["family_name"],
    )
    assert [e["external_id"] for e in state["entitlements"]] == [data["entitlement"]["external_id"]]
    # Both results (signup, activation) show the organization the user needs.
    assert result.stdout.count(f"| {org['id']} |") == 2
    assert org["sso_url"] in result.stdout
    assert "2 statements: 2 succeeded" in result.stderr


def test_one_customer_is_validated_as_a_whole_before_the_first_request(
    examples_copy: Path, env: dict[str, str], emulator: Emulator, run_cli
) -> None:
    data = yaml.safe_load((examples_copy / "one_customer.yaml").read_text(encoding="utf-8"))
    data["user"]["email"] = "x"  # statement 2 is invalid: the signup of statement 1 must not be sent
    (examples_copy / "bad.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")

    result = run_cli(
        "exec", "-i", "one_customer.iql", "-q", "bad.yaml", "--endpoint", emulator.url, cwd=examples_copy
    )

    assert result.status == 2, result.explain()
    assert "statement 2" in result.stderr and "email" in result.stderr, result.explain()
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert emulator.requests() == []
    assert emulator.state()["organizations"] == []


@pytest.mark.parametrize("how", ["link", "link_python"])
def test_link_adds_a_second_entitlement(
    how: str, examples_copy: Path, env: dict[str, str], emulator: Emulator
) -> None:
    if how == "link" and shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    run_block("one_customer", examples_copy, env, emulator)

    result = run_block(how, examples_copy, env, emulator)

    state = emulator.state()
    [org] = state["organizations"]
    entitlements = state["entitlements"]
    assert len(entitlements) == 2
    assert {e["organization_id"] for e in entitlements} == {org["id"]}
    linked = yaml.safe_load((EXAMPLES / "link.yaml").read_text(encoding="utf-8"))["entitlement"]
    assert entitlements[1]["external_id"] == linked["external_id"]
    assert org["id"] in result.stdout
    # The token is a secret: it is in the data file the user wrote, and nowhere in what the tool prints.
    token = yaml.safe_load((examples_copy / "link.local.yaml").read_text(encoding="utf-8"))["token"]
    assert token and token != "PASTE-LINK-TOKEN-HERE"
    assert token not in result.stdout + result.stderr


def test_link_token_is_masked_in_a_dry_run(
    examples_copy: Path, env: dict[str, str], emulator: Emulator, run_cli
) -> None:
    run_block("one_customer", examples_copy, env, emulator)
    token = emulator.link_token(emulator.state()["organizations"][0]["id"])
    text = (examples_copy / "link.yaml").read_text(encoding="utf-8").replace("PASTE-LINK-TOKEN-HERE", token)
    (examples_copy / "link.local.yaml").write_text(text, encoding="utf-8")

    result = run_cli(
        "exec",
        "-i",
        "link.iql",
        "-q",
        "link.local.yaml",
        "--endpoint",
        emulator.url,
        "--dryrun",
        "-o",
        "json",
        cwd=examples_copy,
    )

    assert result.status == 0, result.explain()
    [[plan]] = result.json_lines()
    assert plan["body"]["token"] != token
    assert token not in result.stdout + result.stderr
    assert len(emulator.state()["entitlements"]) == 1


def test_batch_from_yaml_signs_up_every_customer(
    examples_copy: Path, env: dict[str, str], emulator: Emulator
) -> None:
    result = run_block("batch_yaml", examples_copy, env, emulator)

    customers = yaml.safe_load((EXAMPLES / "customers.yaml").read_text(encoding="utf-8"))["customers"]
    state = emulator.state()
    assert [o["name"] for o in state["organizations"]] == [c["name"] for c in customers]
    assert [u["family_name"] for u in state["users"]] == [c["family_name"] for c in customers]
    assert [e["external_id"] for e in state["entitlements"]] == [c["external_id"] for c in customers]
    # -o json: one array per statement, one per line, in the order of the customers.
    arrays = result.json_lines()
    assert [[row["organization_id"] for row in a] for a in arrays] == [
        [o["id"]] for o in state["organizations"]
    ]


def test_batch_from_csv_signs_up_every_row(
    examples_copy: Path, env: dict[str, str], emulator: Emulator
) -> None:
    result = run_block("batch_csv", examples_copy, env, emulator)

    with (EXAMPLES / "customers.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    state = emulator.state()
    assert [o["name"] for o in state["organizations"]] == [r["name"] for r in rows]
    assert [u["email"] for u in state["users"]] == [r["email"] for r in rows]
    assert [u["family_name"] for u in state["users"]][-1] == "O'Neil"
    # -o jsonl: one object per line.
    objects = result.json_lines()
    assert [o["organization_id"] for o in objects] == [o["id"] for o in state["organizations"]]


def test_partner_service_selects_and_inserts_as_printed(
    examples_copy: Path, env: dict[str, str], emulator: Emulator
) -> None:
    run_block("batch_yaml", examples_copy, env, emulator)
    result = run_block("partner_service", examples_copy, env, emulator)

    state = emulator.state()
    globex = next(o for o in state["organizations"] if o["name"] == "Globex")
    names = sorted(o["name"] for o in state["organizations"])
    by_id = {o["id"]: o["name"] for o in state["organizations"]}
    listed, joined, [created], [counted] = result.json_lines()
    assert [row["name"] for row in listed] == names
    assert [row["name"] for row in joined] == names
    for row in joined:
        ids = sorted(
            e["external_id"]
            for e in state["entitlements"]
            if by_id.get(e["organization_id"]) == row["name"] and e["external_id"] != "globex-0002"
        )  # the JOIN ran before the INSERT
        assert sorted(row["external_ids"].split(", ")) == ids and row["entitlements"] == len(ids)
    assert created["external_id"] == "globex-0002" and created["organization"]["id"] == globex["id"]
    assert counted == {"entitlements": 2}
    assert [e["organization_id"] for e in state["entitlements"] if e["external_id"] == "globex-0002"] == [
        globex["id"]
    ]


def test_python_api_examples_run_as_printed(
    examples_copy: Path, env: dict[str, str], emulator: Emulator
) -> None:
    result = run_block("python_api", examples_copy, env, emulator)

    state = emulator.state()
    names = [o["name"] for o in state["organizations"]]
    assert names[0] == "Wayne Enterprises"
    assert sorted(names[1:]) == ["Cyberdyne", "Stark Industries", "Tyrell"]
    assert len(state["users"]) == 4  # every organization activated
    assert {u["organization_id"] for u in state["users"]} == {o["id"] for o in state["organizations"]}
    wayne = state["organizations"][0]["id"]
    assert f"signed up: {wayne}" in result.stdout
    assert f"activated: {wayne}" in result.stdout
    assert "ApiError 409 resource_already_exists" in result.stdout
    assert "ValidationError: " in result.stdout and "  - organization.sso_config" in result.stdout
    assert "ParseError: " in result.stdout
    for org in state["organizations"][1:]:
        assert org["id"] in result.stdout
    # The second activation reached the API and was refused; nothing else failed.
    assert [r["status"] for r in emulator.requests()].count(409) == 1

    # Both can run again on the same state: their external ids are unique.
    run_block("python_api", examples_copy, env, emulator)
    assert len(emulator.state()["organizations"]) == 8


def test_python_api_example_with_the_built_in_emulator(
    examples_copy: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """Without EMULATOR_URL the example runs `connect(endpoint="local", state="signups.db")`."""
    result = run(["python3", "python_api.py"], env, cwd=examples_copy)

    assert result.status == 0, result.explain()
    state_file = examples_copy / "signups.db"
    assert state_file.is_file()
    emulator = Emulator(state_file, env, tmp_path)  # the state the example left, seen through an emulator
    try:
        state = emulator.state()
    finally:
        emulator.stop()
    assert [o["name"] for o in state["organizations"]] == ["Wayne Enterprises"]
    assert len(state["users"]) == 1


def test_link_token_script_explains_a_missing_emulator_url(examples_copy: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        ["python3", "link_token.py"], cwd=examples_copy, env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert "EMULATOR_URL" in done.stderr
