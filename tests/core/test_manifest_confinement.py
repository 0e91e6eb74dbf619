"""A manifest reads only files inside its registry, only plain JSON data: exit 3 quickly, nothing cached."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from .support import acme_service_file, copy_acme, edit

SERVICE_REF = "$ref: acme/v1/services/inventory.yaml"


def provider_file(root: Path) -> Path:
    return root / "acme" / "v1" / "provider.yaml"


def run_show(cli: Any, root: Path, cache: Path) -> Any:
    return cli.run(
        "exec",
        "SHOW RESOURCES IN acme.inventory;",
        "--registry",
        str(root),
        env={"XDG_CACHE_HOME": str(cache)},
    )


@pytest.mark.parametrize(
    "ref",
    [
        "../../../../../../../../etc/passwd",
        "acme/../../../outside.yaml",
        "/etc/passwd",
        "/dev/zero",
        "acme/v1",  # a folder
        "acme/v1/services/link.yaml",  # a symlink that leaves the registry
    ],
)
def test_a_service_ref_outside_the_registry_is_refused(cli: Any, tmp_path: Path, ref: str) -> None:
    root = copy_acme(tmp_path)
    (tmp_path / "outside.yaml").write_text(
        "paths: {}\ncomponents: {x-stackQL-resources: {}}\n", encoding="utf-8"
    )
    (root / "acme" / "v1" / "services" / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    edit(provider_file(root), SERVICE_REF, f"$ref: {ref}")
    cache = tmp_path / "cache"
    started = time.monotonic()
    result = run_show(cli, root, cache)
    assert result.status == 3, result.explain()
    assert "Traceback" not in result.stderr
    assert "root:" not in result.stdout + result.stderr
    assert "registry folder" in result.stderr or "not a regular file" in result.stderr
    assert time.monotonic() - started < 10
    assert not any(p.suffix == ".json" and "outside" in p.name for p in cache.rglob("*"))
    assert not any("passwd" in p.name for p in cache.rglob("*"))


BAD_YAML = {
    "date": "info:\n  created: 2020-01-01\n",
    "alias-loop": "loop: &a [*a]\n",
    "alias-bomb": "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(9)),
    "binary": "blob: !!binary aGVsbG8=\n",
    "set": "things: !!set {a, b}\n",
    "non-string-key": "1: one\n",
    "huge-integer": "n: " + "9" * 5000 + "\n",
}


@pytest.mark.parametrize("name", list(BAD_YAML))
def test_a_manifest_that_is_not_plain_json_data_is_refused_quickly_and_not_cached(
    cli: Any, tmp_path: Path, name: str
) -> None:
    root = copy_acme(tmp_path)
    service = acme_service_file(root)
    service.write_text(service.read_text(encoding="utf-8") + "\n" + BAD_YAML[name], encoding="utf-8")
    cache = tmp_path / "cache"
    started = time.monotonic()
    result = run_show(cli, root, cache)
    assert result.status == 3, result.explain()
    assert "Traceback" not in result.stderr
    assert str(service) in result.stderr
    assert time.monotonic() - started < 10
    assert not any("inventory" in p.name for p in cache.rglob("*.json"))


def test_a_self_referencing_allof_is_a_manifest_error(cli: Any, tmp_path: Path) -> None:
    root = copy_acme(tmp_path)
    service = acme_service_file(root)
    text = service.read_text(encoding="utf-8")
    text += "\nx-loop:\n  Loop:\n    allOf:\n      - $ref: '#/x-loop/Loop'\n"
    service.write_text(text, encoding="utf-8")
    result = run_show(cli, root, tmp_path / "cache")
    assert "Traceback" not in result.stderr
    assert result.status in (0, 3), result.explain()
