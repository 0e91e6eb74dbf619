"""A second provider with its own rules for results and conflicts, sent to a small server on loopback.

The fixture manifest's `x-outcome` names the result's id `id` and says a 409 points (with `Location`) at the
widget of the same name; nothing in the engine's Python knows this provider.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from .support import ACME_REGISTRY

CREDENTIALS = {"ACME_API_KEY": "acme-key-1234", "ACME_API_SECRET": "acme-secret-5678"}
WIDGETS = "acme.inventory.widgets"


class Inventory(ThreadingHTTPServer):
    """The widgets API, as the fixture manifest describes it: one widget per name."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.widgets: dict[str, dict[str, Any]] = {}
        self.requests: list[str] = []
        self.forbid = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api"


class _Handler(BaseHTTPRequestHandler):
    server: Inventory

    def log_message(self, *args: Any) -> None:  # keep pytest's output clean
        pass

    def _answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.server.requests.append(f"POST {self.path}")
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.server.forbid:
            self._answer(403, {"errors": [{"code": "forbidden", "detail": "not allowed"}]})
            return
        name = body["name"]
        for widget in self.server.widgets.values():
            if widget["name"] == name:
                error = {"errors": [{"code": "duplicate", "detail": f"widget {name} exists"}]}
                self._answer(409, error, {"Location": f"/api/v1/widgets/{widget['id']}"})
                return
        widget = {"id": f"wid-{len(self.server.widgets) + 1}", "name": name, "color": body.get("color")}
        self.server.widgets[widget["id"]] = widget
        self._answer(201, widget)

    def do_GET(self) -> None:
        self.server.requests.append(f"GET {self.path}")
        widget = self.server.widgets.get(self.path.rsplit("/", 1)[-1])
        self._answer(200, widget) if widget else self._answer(404, {"errors": [{"code": "not_found"}]})


@pytest.fixture
def inventory() -> Iterator[Inventory]:
    server = Inventory()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def create(name: str, label: str | None = None) -> str:
    body = json.dumps({"name": name, "color": "red"})
    at = f" /* label: {label} */" if label else ""
    return f"EXEC{at} {WIDGETS}.create_widget @warehouse_id='w1' @batch_size=1 @@json='{body}';"


def run(cli: Any, inventory: Inventory, script: str, *flags: str) -> Any:
    args = ("exec", script, "--registry", str(ACME_REGISTRY), "--endpoint", inventory.url, "-o", "json")
    return cli.run(*args, *flags, env=CREDENTIALS)


def test_a_created_widget_is_the_row_and_its_id_is_reported(
    cli: Any, inventory: Inventory, tmp_path: Path
) -> None:
    report = tmp_path / "report.jsonl"
    result = run(cli, inventory, create("sprocket"), "--report", str(report))
    assert result.status == 0, result.explain()
    assert json.loads(result.stdout) == [{"id": "wid-1", "name": "sprocket", "color": "red"}]
    [record] = [json.loads(line) for line in report.read_text().splitlines()]
    assert record["id"] == "wid-1" and record["status"] == "succeeded"
    assert "organization_id" not in record


def test_a_409_is_explained_with_the_manifests_words(cli: Any, inventory: Inventory) -> None:
    assert run(cli, inventory, create("gear")).status == 0
    result = run(cli, inventory, create("gear"))
    assert result.status == 1
    assert "409 Conflict: duplicate: widget gear exists" in result.stderr
    assert "hint: a widget of that name is in the warehouse already (/api/v1/widgets/wid-1)" in result.stderr
    assert len(inventory.widgets) == 1


def test_on_conflict_existing_reports_the_widget_the_409_points_at(
    cli: Any, inventory: Inventory, tmp_path: Path
) -> None:
    assert run(cli, inventory, create("cog")).status == 0
    report = tmp_path / "report.jsonl"
    result = run(cli, inventory, create("cog"), "--on-conflict", "existing", "--report", str(report))
    assert result.status == 0, result.explain()
    assert json.loads(result.stdout) == [{"id": "wid-1", "name": "cog"}]
    assert "already there, nothing new was created: id wid-1" in result.stderr
    [record] = [json.loads(line) for line in report.read_text().splitlines()]
    assert (record["id"], record["existing"], record["http_status"]) == ("wid-1", True, 409)
    sent = ["POST /api/v1/warehouses/w1/widgets?batch_size=1", "GET /api/v1/widgets/wid-1"]
    assert inventory.requests[-2:] == sent
    assert len(inventory.widgets) == 1


def test_a_403_says_what_the_manifest_says_it_needs(cli: Any, inventory: Inventory) -> None:
    inventory.forbid = True
    result = run(cli, inventory, create("bolt"))
    assert result.status == 1
    assert "may not do this: the key needs the inventory-writer role" in result.stderr
    assert "partner" not in result.stderr.lower()
