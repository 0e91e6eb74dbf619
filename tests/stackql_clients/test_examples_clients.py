"""The pystackql notebook in examples/ runs as a script against the emulator, and again: one customer."""

from __future__ import annotations

import sys
from pathlib import Path

from ..e2e import EXAMPLES, Emulator, run
from .stackql_clients_support import organizations_named

NOTEBOOK = EXAMPLES / "pystackql" / "onboarding_notebook.py"


def test_the_notebook_onboards_its_customer_once(
    client_env: dict[str, str], module_emulator: Emulator, tmp_path: Path
) -> None:
    outputs = [run([sys.executable, str(NOTEBOOK)], client_env, cwd=tmp_path) for _ in range(2)]

    [organization] = organizations_named(module_emulator, "Notebook Corp")
    for done in outputs:
        assert done.status == 0, done.explain()
        assert f"organization: {organization['id']}" in done.stdout
        assert "signup                   requires entitlement, organization" in done.stdout
        assert "error: validation error" in done.stdout  # the notebook's deliberate mistake, reported
    assert f"SSO URL:      {organization['sso_url']}" in outputs[0].stdout
    users = [u for u in module_emulator.state()["users"] if u["organization_id"] == organization["id"]]
    assert [u["email"] for u in users] == ["ada@notebook.example"]
