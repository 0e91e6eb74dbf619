"""The engine is generic: a made-up provider in tests/core/fixtures/registry works with no Python change.

Broken manifests are refused with exit status 3 and a message naming the file and the path inside it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .support import ACME_REGISTRY, acme_service_file, copy_acme, edit, run_all

ENGINE = Path(__file__).resolve().parents[2] / "stackql_signups"
WIDGETS = "acme.inventory.widgets"
WIDGET_SERVER = "https://inventory.acme.example/api"
REG = ("--registry", str(ACME_REGISTRY))


def ok(cli: Any, *args: str, env: dict[str, str] | None = None) -> str:
    result = cli.run("exec", *args, env=env)
    assert result.status == 0, result.explain()
    assert "Traceback" not in result.stderr
    return str(result.stdout)


ANSWERS = {
    "providers": "SHOW PROVIDERS",
    "services": "SHOW SERVICES IN acme",
    "services-extended": "SHOW EXTENDED SERVICES IN acme",
    "resources": "SHOW RESOURCES IN acme.inventory",
    "resources-like": "SHOW RESOURCES IN acme.inventory LIKE '%gets'",
    "widget-methods": f"SHOW METHODS IN {WIDGETS}",
    "gadget-methods": "SHOW METHODS IN acme.inventory.gadgets",
    "describe": f"DESCRIBE METHOD {WIDGETS}.create_widget",
    "describe-resource": "DESCRIBE acme.inventory.gadgets",
    "describe-resource-extended": "DESCRIBE EXTENDED acme.inventory.gadgets",
}


@pytest.fixture(scope="module")
def answers(cli: Any) -> dict[str, list[dict[str, Any]]]:
    """Every statement of ANSWERS from one script: -o json prints one array per statement."""
    out = ok(cli, ";\n".join(ANSWERS.values()), *REG, "-o", "json")
    arrays = [json.loads(line) for line in out.splitlines()]
    assert len(arrays) == len(ANSWERS)
    return dict(zip(ANSWERS, arrays, strict=True))


def plan(cli: Any, sql: str, *args: str) -> dict[str, Any]:
    [item] = json.loads(ok(cli, sql, *REG, "--dryrun", "-o", "json", *args))
    return dict(item)


def test_the_engine_names_no_fixture_provider() -> None:
    sources = [p for p in ENGINE.rglob("*.py") if "emulator" not in p.parts]
    assert sources
    for source in sources:
        text = source.read_text(encoding="utf-8").lower()
        for word in ("acme.inventory", "widget", "gadget", "warehouse"):
            assert word not in text, f"{source} mentions {word!r}"


def test_show_providers_lists_the_registry(answers: dict[str, Any]) -> None:
    assert answers["providers"] == [{"name": "acme", "version": "v1"}]


def test_show_services(answers: dict[str, Any]) -> None:
    assert answers["services"] == [{"id": "inventory:v1", "name": "inventory", "title": "Acme Inventory API"}]
    [extended] = answers["services-extended"]
    assert list(extended) == ["id", "name", "title", "description", "version", "preferred"]
    assert (extended["description"], extended["version"]) == (
        "Widgets and the warehouses that hold them",
        "v1",
    )


def test_show_resources(answers: dict[str, Any]) -> None:
    assert answers["resources"] == [
        {"name": "widgets", "id": "acme.inventory.widgets"},
        {"name": "cloud_resources", "id": "acme.inventory.cloud_resources"},
        {"name": "gadgets", "id": "acme.inventory.gadgets"},
    ]
    assert answers["resources-like"] == [
        {"name": "widgets", "id": "acme.inventory.widgets"},
        {"name": "gadgets", "id": "acme.inventory.gadgets"},
    ]


def test_show_methods(answers: dict[str, Any]) -> None:
    assert answers["widget-methods"] == [
        {"MethodName": "create_widget", "RequiredParams": "batch_size, warehouse_id, name", "SQLVerb": "EXEC"}
    ]


def test_show_methods_lists_sql_verbs_before_exec(answers: dict[str, Any]) -> None:
    assert answers["gadget-methods"] == [
        {"MethodName": "get_gadget", "RequiredParams": "gadget_id", "SQLVerb": "SELECT"},
        {"MethodName": "delete_gadget", "RequiredParams": "gadget_id", "SQLVerb": "DELETE"},
        {"MethodName": "zap_gadget", "RequiredParams": "gadget_id", "SQLVerb": "EXEC"},
    ]


def test_describe_a_resource_with_a_select_method(answers: dict[str, Any]) -> None:
    assert answers["describe-resource"] == [
        {"name": "id", "type": "string"},
        {"name": "weight", "type": "number"},
        {"name": "parts", "type": "array"},
    ]
    assert answers["describe-resource-extended"] == [
        {"name": "id", "type": "string", "description": "The gadget's id"},
        {"name": "weight", "type": "number", "description": "Grams"},
        {"name": "parts", "type": "array", "description": ""},
    ]


def test_table_output_matches_stackqls_own_test_byte_for_byte(cli: Any) -> None:
    # The table from StackQL's tests (reference/STACKQL.md), reproduced by a fixture resource.
    assert ok(cli, "SHOW METHODS IN acme.inventory.cloud_resources", *REG) == (
        "|-----------------|----------------------------|---------|\n"
        "|   MethodName    |       RequiredParams       | SQLVerb |\n"
        "|-----------------|----------------------------|---------|\n"
        "| create_resource | data__DesiredState, region | INSERT  |\n"
        "|-----------------|----------------------------|---------|\n"
    )


def test_describe_method(answers: dict[str, Any]) -> None:
    described = answers["describe"]
    assert [(r["name"], r["type"], r["param_type"]) for r in described] == [
        ("batch_size", "integer", "input_required"),
        ("warehouse_id", "string", "input_required"),
        ("name", "string", "input_required"),
        ("notify", "boolean", "input_optional"),
        ("color", "string", "input_optional"),
        ("secret_code", "string", "input_optional"),
        ("id", "string", "output"),
        ("name", "string", "output"),
    ]


def test_dryrun_plans_path_and_query_parameters(cli: Any) -> None:
    item = plan(
        cli,
        f"EXEC {WIDGETS}.create_widget @warehouse_id='wh-7' @batch_size=3 @notify=true\n"
        "  @name='Sprocket' @color='red' @secret_code='HUSH-HUSH-42';",
    )
    assert item["method"] == "POST"
    assert item["url"] == f"{WIDGET_SERVER}/v1/warehouses/wh-7/widgets?batch_size=3&notify=true"
    assert item["headers"]["Authorization"] == "Basic ********"
    assert item["body"] == {"name": "Sprocket", "color": "red", "secret_code": "********"}


def test_dryrun_of_a_method_without_a_body(cli: Any) -> None:
    item = plan(cli, "EXEC acme.inventory.gadgets.delete_gadget @gadget_id='g-1';")
    assert (item["method"], item["url"], item["body"]) == ("DELETE", f"{WIDGET_SERVER}/v1/gadgets/g-1", None)
    assert "Content-Type" not in item["headers"]


def test_use_with_the_fixture_provider(cli: Any) -> None:
    item = plan(
        cli, "USE acme; EXEC inventory.widgets.create_widget @warehouse_id='w' @batch_size=1 @name='n';"
    )
    assert item["url"] == f"{WIDGET_SERVER}/v1/warehouses/w/widgets?batch_size=1"


@pytest.mark.parametrize(
    "spelling",
    [
        "dir",
        "file-url",
        "json",
        "env",
    ],
)
def test_registry_spellings(cli: Any, spelling: str) -> None:
    root = str(ACME_REGISTRY)
    args: tuple[str, ...] = {
        "dir": ("--registry", root),
        "file-url": ("--registry", f"file://{root}"),
        "json": ("--registry", json.dumps({"url": f"file://{root}"})),
        "env": (),
    }[spelling]
    env = {"STACKQL_SIGNUPS_REGISTRY": root} if spelling == "env" else None
    out = ok(cli, "SHOW PROVIDERS", *args, "-o", "csv", env=env)
    assert out == "name,version\nacme,v1\n"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            f"EXEC {WIDGETS}.create_widget @warehouse_id='w' @batch_size=1 @name='n' @color='purple';",
            "color: 'purple' is not one of red, green, blue",
        ),
        (
            f"EXEC {WIDGETS}.create_widget @warehouse_id='w' @batch_size=1 @name='';",
            "name: must not be empty",
        ),
        (
            f"EXEC {WIDGETS}.create_widget @warehouse_id='w' @name='n';",
            "could not find variable 'batch_size'",
        ),
        (
            f"EXEC {WIDGETS}.create_widget @warehouse_id='w' @batch_size='many' @name='n';",
            "@batch_size must be a number",
        ),
        (f"EXEC {WIDGETS}.create_widgets;", "did you mean 'create_widget'?"),
    ],
    ids=["enum", "min-length", "missing-query-param", "integer-param", "unknown-method"],
)
def test_the_fixture_schema_is_enforced(cli: Any, sql: str, message: str) -> None:
    result = cli.run("exec", sql, *REG, "--dryrun")
    assert result.status == 2, result.explain()
    assert result.stdout == ""
    assert message in result.stderr


def test_path_parameters_are_percent_encoded(cli: Any) -> None:
    item = plan(cli, f"EXEC {WIDGETS}.create_widget @warehouse_id='a/b?c=d#e f' @batch_size=1 @name='n';")
    assert item["url"] == f"{WIDGET_SERVER}/v1/warehouses/a%2Fb%3Fc%3Dd%23e%20f/widgets?batch_size=1"


def test_empty_path_parameter_is_refused(cli: Any) -> None:
    result = cli.run(
        "exec", f"EXEC {WIDGETS}.create_widget @warehouse_id='' @batch_size=1 @name='n';", *REG, "--dryrun"
    )
    assert result.status == 2, result.explain()
    assert "warehouse_id" in result.stderr


def test_a_fraction_for_an_integer_parameter_is_refused(cli: Any) -> None:
    result = cli.run(
        "exec", f"EXEC {WIDGETS}.create_widget @warehouse_id='w' @batch_size=1.5 @name='n';", *REG, "--dryrun"
    )
    assert result.status == 2, result.explain()
    assert "batch_size" in result.stderr


# -- broken manifests -----------------------------------------------------------------------------------


def _service(root: Path) -> Path:
    return acme_service_file(root)


def _provider(root: Path) -> Path:
    return root / "acme" / "v1" / "provider.yaml"


BROKEN: dict[str, tuple[Callable[[Path], None], Callable[[Path], Path], str, tuple[str, ...]]] = {
    # name: (change, which file the message names, statement, what the message must also say)
    "missing-paths": (
        lambda r: edit(_service(r), "\npaths:\n", "\nendpoints:\n"),
        _service,
        f"SHOW METHODS IN {WIDGETS}",
        ("paths: is missing",),
    ),
    "missing-resources": (
        lambda r: edit(_service(r), "  x-stackQL-resources:\n", "  x-resources:\n"),
        _service,
        "SHOW RESOURCES IN acme.inventory",
        ("components.x-stackQL-resources: is missing",),
    ),
    "dangling-body-ref": (
        lambda r: edit(_service(r), "'#/components/schemas/WidgetInput'", "'#/components/schemas/NoSuch'"),
        _service,
        f"SHOW METHODS IN {WIDGETS}",
        (
            "#/paths/~1v1~1warehouses~1{warehouse_id}~1widgets/post.requestBody",
            "'#/components/schemas/NoSuch'",
        ),
    ),
    "dangling-operation-ref": (
        lambda r: edit(_service(r), "~1{warehouse_id}~1widgets/post'", "~1{warehouse_id}~1widgets/put'"),
        _service,
        f"SHOW METHODS IN {WIDGETS}",
        ("components.x-stackQL-resources.widgets.methods.create_widget.operation", "does not resolve"),
    ),
    "dangling-parameter-ref": (
        lambda r: edit(
            _service(r), "        - name: notify\n", "        - $ref: '#/nope'\n        - name: notify\n"
        ),
        _service,
        f"SHOW METHODS IN {WIDGETS}",
        ("post.parameters[1]", "'#/nope' does not resolve"),
    ),
    "auth-type-dispatch-cannot-send": (
        lambda r: edit(_provider(r), "    type: basic\n", "    type: bearer\n"),
        _provider,
        "SHOW SERVICES IN acme",
        ("config.auth.type", "auth type 'bearer' is not supported"),
    ),
    "outcome-unknown-key": (
        lambda r: edit(_service(r), "            conflict: a widget", "            conflicts: a widget"),
        _service,
        f"SHOW METHODS IN {WIDGETS}",
        ("create_widget.x-outcome: unknown key conflicts",),
    ),
    "outcome-existing-nowhere": (
        lambda r: edit(_service(r), "              at: location\n", "              at: somewhere\n"),
        _service,
        f"SHOW METHODS IN {WIDGETS}",
        ("x-outcome.existing.at: must be location or request",),
    ),
    "service-bad-yaml": (
        lambda r: _service(r).write_text("openapi: 3.0.0\npaths:\n  /x: [1, 2\n", encoding="utf-8"),
        _service,
        "SHOW RESOURCES IN acme.inventory",
        ("not valid YAML at line",),
    ),
    "service-not-a-mapping": (
        lambda r: _service(r).write_text("- just\n- a list\n", encoding="utf-8"),
        _service,
        "SHOW RESOURCES IN acme.inventory",
        ("must be a mapping",),
    ),
    "service-file-missing": (
        lambda r: _service(r).unlink(),
        _service,
        "SHOW RESOURCES IN acme.inventory",
        ("cannot read the manifest file",),
    ),
    "provider-bad-yaml": (
        lambda r: _provider(r).write_text("name: acme\nproviderServices: {\n", encoding="utf-8"),
        _provider,
        "SHOW SERVICES IN acme",
        ("not valid YAML at line",),
    ),
    "provider-services-missing": (
        lambda r: edit(_provider(r), "providerServices:", "services:"),
        _provider,
        "SHOW SERVICES IN acme",
        ("providerServices: is missing",),
    ),
    "unknown-auth-type": (
        lambda r: edit(_provider(r), "type: basic", "type: telepathy"),
        _provider,
        "SHOW SERVICES IN acme",
        ("config.auth.type", "telepathy"),
    ),
}


@pytest.fixture(scope="module")
def broken_runs(cli: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Any]]:
    """Each broken copy of the fixture registry, and the CLI's answer to its statement."""
    named: dict[str, Path] = {}
    jobs: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {}
    for name, (change, which, statement, _) in BROKEN.items():
        root = copy_acme(tmp_path_factory.mktemp(name))
        named[name] = which(root)
        change(root)
        jobs[name] = (("exec", statement, "--registry", str(root)), {})
    results = run_all(cli, jobs)
    return {name: (named[name], results[name]) for name in BROKEN}


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_manifest_is_refused_naming_file_and_path(broken_runs: dict[str, Any], name: str) -> None:
    named, result = broken_runs[name]
    assert result.status == 3, result.explain()
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"manifest error: {named}: "), result.explain()
    for fragment in BROKEN[name][3]:
        assert fragment in first, result.explain()


def test_dangling_ref_deep_in_a_request_schema_names_file_and_path(cli: Any, tmp_path: Path) -> None:
    root = copy_acme(tmp_path)
    edit(
        _service(root),
        "        secret_code:\n",
        "        size:\n          type: object\n          properties:\n            width:\n"
        "              $ref: '#/components/schemas/NoSuchDimension'\n        secret_code:\n",
    )
    result = cli.run(
        "exec",
        f"EXEC {WIDGETS}.create_widget @warehouse_id='w' @batch_size=1 @name='n';",
        "--registry",
        str(root),
        "--dryrun",
    )
    assert result.status == 3, result.explain()
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"manifest error: {_service(root)}: "), result.explain()
    assert "NoSuchDimension" in first


def test_the_newest_provider_version_is_used(cli: Any, tmp_path: Path) -> None:
    root = copy_acme(tmp_path)
    for version in ("v2", "v10"):
        folder = root / "acme" / version
        shutil.copytree(root / "acme" / "v1", folder)
        text = (folder / "provider.yaml").read_text(encoding="utf-8")
        (folder / "provider.yaml").write_text(text.replace("version: v1\n", f"version: {version}\n"), "utf-8")
        edit(folder / "provider.yaml", "acme/v1/services/", f"acme/{version}/services/")
    out = ok(cli, "SHOW PROVIDERS", "--registry", str(root), "-o", "csv")
    assert out == "name,version\nacme,v10\n"
