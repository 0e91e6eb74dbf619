"""The parsed-manifest cache: YAML is parsed once per change of a file, and a start imports little."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from stackql_signups.manifest import documents

from .support import REPO_PROVIDER_ROOT

PARTNER = REPO_PROVIDER_ROOT / "confluent" / "v00.00.00000" / "services" / "partner.yaml"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("STACKQL_SIGNUPS_NO_CACHE", raising=False)
    return tmp_path / "cache" / "stackql-signups"


def _no_yaml(path: Path) -> Any:
    raise AssertionError(f"{path} was parsed again")


def test_a_manifest_is_parsed_once_then_read_from_the_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = tmp_path / "partner.yaml"
    manifest.write_bytes(PARTNER.read_bytes())
    first = documents.load(manifest)
    (cached,) = cache.iterdir()
    assert cached.name.startswith("partner-") and cached.suffix == ".json"
    monkeypatch.setattr(documents, "_parse_yaml", _no_yaml)
    assert documents.load(manifest) == first


def test_a_changed_manifest_is_parsed_again(cache: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "provider.yaml"
    manifest.write_text("name: one\n")
    assert documents.load(manifest) == {"name": "one"}
    manifest.write_text("name: two, longer\n")
    assert documents.load(manifest) == {"name": "two, longer"}


def test_a_cache_file_for_another_key_is_not_used(cache: Path, tmp_path: Path) -> None:
    manifest = tmp_path / "provider.yaml"
    manifest.write_text("name: one\n")
    documents.load(manifest)
    (cached,) = cache.iterdir()
    cached.write_text('{"key": "something else", "document": {"name": "wrong"}}')
    assert documents.load(manifest) == {"name": "one"}


def test_an_unwritable_cache_costs_only_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    manifest = tmp_path / "provider.yaml"
    manifest.write_text("name: one\n")
    assert documents.load(manifest) == {"name": "one"}
    assert documents.load(manifest) == {"name": "one"}


def _modules_after(tmp_path: Path, *argv: str) -> set[str]:
    """The modules a CLI run in a fresh interpreter has imported by its end (the cache warm)."""
    probe = (
        "import sys\n"
        "from stackql_signups.cli.main import main\n"
        f"status = main({list(argv)!r})\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
        "sys.exit(status)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("STACKQL_SIGNUPS_NO_CACHE", None)
    for _ in range(2):  # the first run fills the cache
        done = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
    return set(done.stderr.strip().splitlines()[-1].split())


def test_show_imports_no_yaml_http_schema_or_template_library(tmp_path: Path) -> None:
    loaded = _modules_after(tmp_path, "exec", "SHOW METHODS IN confluent.partner.signups")
    assert not {"yaml", "httpx", "jsonschema", "jinja2"} & loaded


def test_a_well_formed_exec_dry_run_imports_neither_sqlglot_nor_jsonschema(tmp_path: Path) -> None:
    exec_sql = (
        "EXEC confluent.partner.signups.activate_signup @organization_id='org-1' "
        """@user='{"email": "a@b.example", "given_name": "A", "family_name": "B"}'"""
    )
    loaded = _modules_after(tmp_path, "exec", exec_sql, "--dryrun")
    assert not {"yaml", "httpx", "jsonschema", "jinja2", "sqlglot"} & loaded
