"""Chaining in one script is checked at bind time, before the first request: nothing is half applied."""

from __future__ import annotations

import uuid

import pytest

from ..e2e import Emulator, activate_sql, signup_sql


def signup() -> str:
    tag = uuid.uuid4().hex[:8]
    return signup_sql(f"Chain {tag}", f"ext-{tag}", label="acme")


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            lambda: signup() + "\n" + activate_sql("acme.org_id"),
            "responses have no field 'org_id'",
        ),
        (
            lambda: activate_sql("acme.organization_id") + "\n" + signup(),
            "refers to label 'acme', which no earlier EXEC defines",
        ),
        (
            lambda: signup() + "\n" + signup(),
            "label 'acme' is used twice",
        ),
    ],
    ids=["unknown-field", "label-defined-later", "label-twice"],
)
def test_a_broken_chain_sends_nothing(script, message: str, run_cli, module_emulator: Emulator) -> None:
    sent = len(module_emulator.requests())

    result = run_cli("exec", script(), "--endpoint", module_emulator.url, "-o", "json")

    assert result.status == 2, result.explain()
    assert message in result.stderr, result.explain()
    assert "statement 2" in result.stderr or "statement 1" in result.stderr
    assert result.json_lines() == [] or all(a == [] for a in result.json_lines())
    assert len(module_emulator.requests()) == sent
