"""`--dryrun` against a real endpoint says when a real run would stop for want of credentials."""

from __future__ import annotations

import json
from typing import Any

from .support import signup

VARIABLES = ("CONFLUENT_CLOUD_API_KEY", "CONFLUENT_CLOUD_API_SECRET")


def test_a_plan_without_credentials_names_the_missing_variables(cli: Any) -> None:
    result = cli.run("exec", signup(), "--dryrun", "-o", "json")
    assert result.status == 0, result.explain()
    assert (
        "warning: credentials are missing: CONFLUENT_CLOUD_API_KEY, CONFLUENT_CLOUD_API_SECRET"
        in result.stderr
    )
    assert "a real run would stop before sending" in result.stderr
    [plan] = json.loads(result.stdout)  # the plan itself is what a run with credentials would send
    assert plan["headers"]["Authorization"] == "Basic ********"


def test_a_plan_with_credentials_or_for_the_emulator_says_nothing_of_the_kind(cli: Any) -> None:
    env = {name: "set-" + name.lower() for name in VARIABLES}
    with_credentials = cli.run("exec", signup(), "--dryrun", "-o", "json", env=env)
    local = cli.run("exec", signup(), "--dryrun", "-o", "json", "--endpoint", "local")
    for result in (with_credentials, local):
        assert result.status == 0, result.explain()
        assert "missing" not in result.stdout + result.stderr
        assert json.loads(result.stdout)[0]["headers"]["Authorization"] == "Basic ********"
    assert "set-confluent" not in with_credentials.stdout + with_credentials.stderr
