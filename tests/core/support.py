"""Data and helpers shared by the core engine tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ACME_REGISTRY = FIXTURES / "registry"
TEMPLATES = FIXTURES / "templates"
REPO_PROVIDER_ROOT = HERE.parent.parent / "provider"

SIGNUPS = "confluent.partner.signups"
SERVER = "https://api.confluent.cloud"

ORGANIZATION: dict[str, Any] = {
    "name": "Acme Organization",
    "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "b3a17773-05cc-4431-9560-433fb4613da8"},
}
ENTITLEMENT: dict[str, Any] = {
    "external_id": "1111-2222-3333-4444",
    "name": "Acme Prod Entitlement",
    "plan_id": "confluent-cloud-payg-prod",
    "product_id": "confluent-cloud-kafka-service-azure",
}
ENTITLEMENT_REFERENCE: dict[str, Any] = {
    "related": "https://api.confluent.cloud/partner/v2/entitlements/ent-123"
}
USER: dict[str, Any] = {"email": "sean@acme.example", "given_name": "Sean", "family_name": "O'Brien"}
LINK_TOKEN = "eyJhbGciOiJIUzI1NiJ9.TOP-SECRET-LINK-TOKEN-7f3a9.c2lnbmF0dXJl"


def sql_json(value: Any) -> str:
    """`value` as JSON inside a single-quoted SQL string literal."""
    return "'" + json.dumps(value).replace("'", "''") + "'"


def exec_sql(method: str, **params: Any) -> str:
    """`EXEC confluent.partner.signups.<method> @name=value ...;`: a str value is written as raw SQL,
    anything else as its JSON in a SQL string; None leaves the param out."""
    items = [
        f"@{name}={value if isinstance(value, str) else sql_json(value)}"
        for name, value in params.items()
        if value is not None
    ]
    return f"EXEC {SIGNUPS}.{method} " + " ".join(items) + ";"


def signup(**overrides: Any) -> str:
    """An EXEC of `signup` with a valid organization and entitlement unless overridden."""
    return exec_sql("signup", **{"organization": ORGANIZATION, "entitlement": ENTITLEMENT, **overrides})


def activate(**overrides: Any) -> str:
    return exec_sql("activate_signup", **{"organization_id": "'org-1'", "user": USER, **overrides})


def link(**overrides: Any) -> str:
    org = {"sso_config": ORGANIZATION["sso_config"]}
    return exec_sql(
        "signup_partner_v2_link",
        **{"token": f"'{LINK_TOKEN}'", "organization": org, "entitlement": ENTITLEMENT, **overrides},
    )


def copy_acme(target: Path) -> Path:
    """A writable copy of the acme registry fixture under `target`; returns the registry root."""
    root = target / "registry"
    shutil.copytree(ACME_REGISTRY, root)
    return root


def acme_service_file(root: Path) -> Path:
    return root / "acme" / "v1" / "services" / "inventory.yaml"


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in `path` (fails loudly when the fixture changed)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def first_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


def sqlglot_build() -> str:
    """'sqlglotc' when sqlglot's tokenizer core is the compiled extension, else 'pure-python'."""
    try:
        from sqlglot import tokenizer_core
    except ImportError:  # an older sqlglot without the split tokenizer core
        return "pure-python"
    return "sqlglotc" if str(tokenizer_core.__file__).endswith((".so", ".pyd")) else "pure-python"


def run_all(cli: Any, jobs: dict[Any, tuple[tuple[str, ...], dict[str, Any]]]) -> dict[Any, Any]:
    """Run `cli.run(*args, **kwargs)` for every job at once (each run is a separate process)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    workers = max(2, min(8, (os.cpu_count() or 2) * 2))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {key: pool.submit(cli.run, *args, **kwargs) for key, (args, kwargs) in jobs.items()}
        return {key: future.result() for key, future in futures.items()}
