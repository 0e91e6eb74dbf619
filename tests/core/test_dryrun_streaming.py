"""`--dryrun` plans statement by statement, yet prints nothing unless the whole script is planned."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from stackql_signups.cli.main import main

from .support import ENTITLEMENT, ORGANIZATION, SIGNUPS, sql_json


def _signup(n: int) -> str:
    body = {"organization": ORGANIZATION, "entitlement": {**ENTITLEMENT, "external_id": f"ext-{n}"}}
    return f"EXEC {SIGNUPS}.signup @dry_run=false @@json={sql_json(body)};\n"


def test_a_late_error_leaves_stdout_and_the_outfile_empty(cli: Any, tmp_path: Any) -> None:
    script = tmp_path / "batch.iql"
    script.write_text("".join(_signup(n) for n in range(40)) + f"EXEC {SIGNUPS}.signup @@json='{{}}';\n")
    out = tmp_path / "plan.json"
    for extra in ((), ("-f", str(out))):
        result = cli.run("exec", "-i", str(script), "--dryrun", "-o", "jsonl", *extra)
        assert result.status == 2, result.explain()
        assert result.stdout == ""
        assert "statement 41" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table", "text"])
def test_every_format_prints_what_the_whole_plan_prints(
    fmt: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from stackql_signups.engine import prepare
    from stackql_signups.manifest import Registry
    from stackql_signups.present import Presenter
    from stackql_signups.results import ResultSet

    sql = f"SHOW METHODS IN {SIGNUPS};\n" + "".join(_signup(n) for n in range(3))
    assert main(["exec", sql, "--dryrun", "-o", fmt]) == 0
    printed = capsys.readouterr().out
    # What the plan of the whole script prints, made the way it was made before streaming.
    steps = prepare(sql, {}, Registry())
    buffer = io.StringIO()
    presenter = Presenter(buffer, fmt)
    for step in steps:
        if step.answer is not None:
            presenter.write(step.answer)
    views = [s.request.describe(auth_scheme="Basic") for s in steps if s.request is not None]
    presenter.write(ResultSet.from_records(views))
    assert printed == buffer.getvalue()
    if fmt == "json":
        assert len(json.loads(printed.splitlines()[-1])) == 3
