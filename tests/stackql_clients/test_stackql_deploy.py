"""stackql-deploy 1.9.5 from PyPI, unchanged (`--download-dir` = the venv's bin), against a real emulator.

Each build starts a dozen `stackql` processes: the tests are few and each checks several things.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from ..e2e import BIN, EXAMPLES, Emulator, Run, run
from .stackql_clients_support import organizations_named

DEPLOY = BIN / "stackql-deploy"
STACK = EXAMPLES / "stackql-deploy" / "confluent-onboarding"


def deploy(command: str, stack: Path, stack_env: str, env: dict[str, str], *extra: str, cwd: Path) -> Run:
    if not DEPLOY.is_file():
        pytest.skip(f"stackql-deploy is not installed beside {BIN}")
    return run(
        [str(DEPLOY), command, str(stack), stack_env, "--download-dir", str(BIN), *extra],
        env,
        cwd=cwd,
        timeout=120,
    )


def test_the_example_stack_builds_twice_creating_one_customer(
    client_env: dict[str, str], module_emulator: Emulator, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    name = f"Deploy {tag}"
    customer = ["-e", f"CUSTOMER_NAME={name}", "-e", f"CUSTOMER_EXTERNAL_ID=deploy-{tag}"]
    sent = len(module_emulator.requests())

    dry = deploy("build", STACK, "dev", client_env, *customer, "--dry-run", cwd=tmp_path)
    assert dry.status == 0, dry.explain()
    assert len(module_emulator.requests()) == sent  # --dry-run sends nothing

    exports = []
    for attempt in (1, 2):
        outputs = tmp_path / f"outputs-{attempt}.json"
        done = deploy(
            "build", STACK, "dev", client_env, *customer, "--output-file", str(outputs), cwd=tmp_path
        )
        assert done.status == 0, done.explain()
        assert "build complete" in done.stdout, done.explain()
        exports.append(json.loads(outputs.read_text()))
    [organization] = organizations_named(module_emulator, name)
    assert [e["organization_id"] for e in exports] == [organization["id"]] * 2
    assert exports[0]["sso_url"] == organization["sso_url"]
    signups = [r for r in module_emulator.requests()[sent:] if r["path"] == "/partner/v2/signup"]
    assert len(signups) == 1  # the second build found the customer and created nothing

    tested = deploy("test", STACK, "dev", client_env, *customer, cwd=tmp_path)
    assert tested.status == 0, tested.explain()
    assert "test passed for customer" in tested.stdout + tested.stderr, tested.explain()


COMMAND_STACK = """\
version: 1
name: signup-command
providers:
  - confluent::v00.00.00000
globals:  # -e NAME=VALUE reaches the queries through globals
  - name: name
    value: "{{ NAME }}"
  - name: external_id
    value: "{{ EXTERNAL_ID }}"
  - name: plan
    value: "{{ PLAN }}"
resources:
  - name: signup
    type: command
"""

COMMAND = """\
/*+ command */
EXEC confluent.partner.signups.signup
@@json='{"organization": {"name": "{{ name }}", "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "t"}},
"entitlement": {"external_id": "{{ external_id }}", "name": "E", "plan_id": "{{ plan }}",
"product_id": "confluent-cloud-kafka-service-azure"}}';
"""


def test_a_409_or_an_invalid_body_stops_the_build(
    client_env: dict[str, str], module_emulator: Emulator, tmp_path: Path
) -> None:
    stack = tmp_path / "stack"
    (stack / "resources").mkdir(parents=True)
    (stack / "stackql_manifest.yml").write_text(COMMAND_STACK)
    (stack / "resources" / "signup.iql").write_text(COMMAND)
    tag = uuid.uuid4().hex[:8]
    customer = ["-e", f"NAME=Command {tag}", "-e", f"EXTERNAL_ID=command-{tag}"]

    first = deploy(
        "build", stack, "dev", client_env, *customer, "-e", "PLAN=confluent-cloud-payg-prod", cwd=tmp_path
    )
    assert first.status == 0 and "build complete" in first.stdout, first.explain()
    sent = len(module_emulator.requests())

    again = deploy(
        "build", stack, "dev", client_env, *customer, "-e", "PLAN=confluent-cloud-payg-prod", cwd=tmp_path
    )
    assert again.status != 0, again.explain()
    assert "build complete" not in again.stdout
    assert len(module_emulator.requests()) == sent + 1  # the signup, answered 409

    too_long = ["-e", f"NAME={'x' * 40}", "-e", f"EXTERNAL_ID=other-{tag}"]  # names have at most 31
    invalid = deploy("build", stack, "dev", client_env, *too_long, "-e", "PLAN=p", cwd=tmp_path)
    assert invalid.status != 0, invalid.explain()
    assert "build complete" not in invalid.stdout
    assert len(module_emulator.requests()) == sent + 1  # refused before sending
    assert len(organizations_named(module_emulator, f"Command {tag}")) == 1
