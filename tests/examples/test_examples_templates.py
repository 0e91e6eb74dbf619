"""`SHOW EXEC [/*+ REQUIRED */] <method>` prints a template; filled from a `-q` file, it runs."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from ..e2e import CLI, RESOURCE, Emulator, clean_env, run

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
METHODS = ("signup", "activate_signup", "signup_partner_v2_link")


@pytest.fixture(scope="module")
def templates(
    module_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, bool], str]:
    """Every template, from one run of `exec "SHOW EXEC ...; SHOW EXEC /*+ REQUIRED */ ...; ..."`."""
    keys = [(method, required) for method in METHODS for required in (True, False)]
    script = "\n".join(
        f"SHOW EXEC {'/*+ REQUIRED */ ' if required else ''}{RESOURCE}.{method};" for method, required in keys
    )
    home = tmp_path_factory.mktemp("templates")
    result = run([str(CLI), "exec", script, "-o", "json"], clean_env(home), cwd=home)
    assert result.status == 0, result.explain()
    arrays = result.json_lines()
    assert [list(row) for [row] in arrays] == [["template"]] * len(keys)
    return {key: row["template"] for key, [row] in zip(keys, arrays, strict=True)}


def value_for(name: str, context: dict[str, str]) -> Any:
    """A valid value for a placeholder, from its name (the template names them after their JSON path)."""
    if name in context:
        return context[name]
    if name == "dry_run":
        return False
    if name.endswith("email"):
        return "pat.lee@example.com"
    if name.endswith("external_id"):
        return f"ext-{uuid.uuid4().hex[:10]}"
    if name.endswith("plan_id"):
        return "confluent-cloud-payg-prod"
    if name.endswith("product_id"):
        return "confluent-cloud-kafka-service-azure"
    if name == "organization_name":
        return "Template Co"
    return f"{name.replace('_', '-')}-1"


@pytest.mark.parametrize("required", [True, False], ids=["required", "all"])
@pytest.mark.parametrize("method", METHODS)
def test_show_exec_template_renders_to_a_statement_that_runs(
    method: str, required: bool, templates, run_cli, module_emulator: Emulator, tmp_path: Path
) -> None:
    emulator = module_emulator
    context: dict[str, str] = {}
    if method != "signup":  # activation and link need an organization to work on
        context["organization_id"] = emulator.signup(
            f"Existing {method[:10]}", f"ext-{uuid.uuid4().hex[:10]}"
        )
        if method == "signup_partner_v2_link":
            context["token"] = emulator.link_token(context["organization_id"])
    before = emulator.state()

    template = templates[method, required]
    assert template.startswith(f"EXEC {RESOURCE}.{method}")
    names = sorted(set(_PLACEHOLDER.findall(template)))
    assert names, template
    (tmp_path / "template.iql").write_text(template, encoding="utf-8")
    values = {name: value_for(name, context) for name in names}
    (tmp_path / "values.json").write_text(json.dumps(values), encoding="utf-8")

    result = run_cli(
        "exec", "-i", "template.iql", "-q", "values.json", "--endpoint", emulator.url, "-o", "json"
    )

    assert result.status == 0, f"{template}\n{values}\n{result.explain()}"
    [[row]] = result.json_lines()
    after = emulator.state()
    new_users = after["users"][len(before["users"]) :]
    new_entitlements = after["entitlements"][len(before["entitlements"]) :]
    if method == "signup":
        [org] = after["organizations"][len(before["organizations"]) :]
        assert row["organization_id"] == org["id"]
        assert org["name"] == "Template Co"
        # the full template includes the user: the signup is complete in one call
        assert [u["organization_id"] for u in new_users] == ([] if required else [org["id"]])
        assert [e["organization_id"] for e in new_entitlements] == [org["id"]]
    elif method == "activate_signup":
        assert row["organization_id"] == context["organization_id"]
        [user] = new_users
        assert (user["organization_id"], user["email"]) == (context["organization_id"], "pat.lee@example.com")
    else:
        assert row["organization_id"] == context["organization_id"]
        assert [e["organization_id"] for e in new_entitlements] == [context["organization_id"]]
        assert context["token"] not in result.stdout + result.stderr


@pytest.mark.parametrize("method", METHODS)
def test_required_template_has_only_required_fields(method: str, templates) -> None:
    required = set(_PLACEHOLDER.findall(templates[method, True]))
    full = set(_PLACEHOLDER.findall(templates[method, False]))
    assert required <= full
    assert "dry_run" not in required
    if method != "activate_signup":  # every field of activate_signup is required
        assert required < full


def test_template_with_a_missing_value_names_it(
    templates, run_cli, module_emulator: Emulator, tmp_path: Path
) -> None:
    (tmp_path / "t.iql").write_text(templates["activate_signup", True], encoding="utf-8")
    (tmp_path / "v.json").write_text(json.dumps({"user_email": "a@b.example"}), encoding="utf-8")
    sent_before = len(module_emulator.requests())

    result = run_cli("exec", "-i", "t.iql", "-q", "v.json", "--endpoint", module_emulator.url)

    assert result.status != 0
    assert "undefined variable 'user_given_name'" in result.stderr, result.explain()
    assert len(module_emulator.requests()) == sent_before
