"""`stackql-signups shell` in a real pseudo-terminal, typed into as a user types (pexpect)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..e2e import CLI, RESOURCE, Emulator

pexpect = pytest.importorskip("pexpect")

PROMPT = "stackql-signups=> "
MORE = "-> "
CTRL_C, CTRL_D, UP = "\x03", "\x04", "\x1b[A"


class Tty:
    """One shell session in a wide pseudo-terminal (no line wrapping to confuse the matching)."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.child = pexpect.spawn(
            str(CLI),
            ["shell", *args],
            env={**env, "TERM": "xterm"},
            encoding="utf-8",
            timeout=15,
            dimensions=(50, 500),
        )
        self.expect(PROMPT)

    def expect(self, text: str) -> str:
        """Wait for `text`; what came before it."""
        try:
            self.child.expect_exact(text)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pytest.fail(f"waited for {text!r}; the terminal shows:\n{self.child.before}")
        return str(self.child.before)

    def type(self, line: str) -> None:
        self.child.send(line + "\r")

    def run(self, statement: str) -> str:
        """Type a statement (lines joined by newlines) and wait for the next prompt; the output."""
        lines = statement.split("\n")
        for line in lines[:-1]:
            self.type(line)
            self.expect(MORE)
        self.type(lines[-1])
        return self.expect(PROMPT)

    def quit(self) -> int:
        self.child.send(CTRL_D)
        self.child.expect(pexpect.EOF)
        self.child.close()
        return int(self.child.exitstatus)

    def close(self) -> None:
        if self.child.isalive():
            self.child.terminate(force=True)


@pytest.fixture
def tty(env: dict[str, str]) -> Iterator[Callable[..., Tty]]:
    opened: list[Tty] = []

    def start(*args: str) -> Tty:
        opened.append(Tty(env, *args))
        return opened[-1]

    yield start
    for shell in opened:
        shell.close()


def test_show_methods_then_ctrl_d_exits_0(tty) -> None:
    shell = tty()

    out = shell.run(f"SHOW METHODS IN {RESOURCE};")

    for row in ("activate_signup", "signup", "signup_partner_v2_link", "entitlement, organization, token"):
        assert row in out
    assert shell.quit() == 0


def test_multiline_exec_signup_creates_the_organization(tty, module_emulator: Emulator) -> None:
    name, external_id = f"Tty {uuid.uuid4().hex[:8]}", f"ext-{uuid.uuid4().hex[:8]}"
    shell = tty("--endpoint", module_emulator.url, "-o", "json")

    out = shell.run(
        f"EXEC {RESOURCE}.signup\n"
        "@@json='{\n"
        f'  "organization": {{"name": "{name}",\n'
        '    "sso_config": {"kind": "AzureSSOConfig", "tenant_id": "t-1"}},\n'
        f'  "entitlement": {{"external_id": "{external_id}", "name": "Prod",\n'
        '    "plan_id": "confluent-cloud-payg-prod", "product_id": "confluent-cloud-kafka-service-azure"}\n'
        "}';"
    )

    [row] = json.loads(out[out.index("[{") : out.rindex("}]") + 2])
    orgs = {o["id"]: o for o in module_emulator.state()["organizations"]}
    assert orgs[row["organization_id"]]["name"] == name
    assert "despatched successfully" in out
    assert shell.quit() == 0


def test_typo_is_shown_and_the_shell_stays_open(tty) -> None:
    shell = tty()

    out = shell.run(f"EXEC {RESOURCE}.sinup;")

    assert "could not find method for key = 'sinup'" in out
    assert "did you mean 'signup'" in out
    assert "Traceback" not in out
    out = shell.run(f"SHOW METHODS IN {RESOURCE} LIKE 'signup';")
    assert "entitlement, organization" in out and "error" not in out
    assert shell.quit() == 0


def test_tab_completes_keywords_and_names(tty) -> None:
    shell = tty()

    shell.child.send("sho\t")
    shell.expect("show")
    shell.child.send(" METHODS IN confluent.partner.si\t")
    shell.expect("signups")
    shell.type(";")
    out = shell.expect(PROMPT)

    assert "signup_partner_v2_link" in out  # the completed name reached the statement
    assert "error" not in out
    assert shell.quit() == 0


def test_tab_completes_a_method_parameter(tty, module_emulator: Emulator) -> None:
    shell = tty("--endpoint", module_emulator.url)

    shell.child.send(f"EXEC {RESOURCE}.activate_signup @org\t")
    shell.expect("organization_id=")
    shell.type(
        "'no-such-org' @@json='"
        '{"user": {"email": "a@b.example", "given_name": "A", "family_name": "B"}}\';'
    )
    out = shell.expect(PROMPT)

    # the statement bound (the completed @organization_id= was accepted) and reached the API
    assert "The organization 'no-such-org' does not exist" in out, out
    assert shell.quit() == 0


def test_tab_completes_the_columns_of_a_selected_resource(tty, module_emulator: Emulator) -> None:
    shell = tty("--endpoint", module_emulator.url, "-o", "json")

    shell.child.send("SELECT count(*) AS n FROM confluent.partner.organiz\t")
    shell.expect("organizations")
    shell.child.send(" WHERE sso_u\t")
    shell.expect("sso_url")
    shell.type(" LIKE 'https://%';")
    out = shell.expect(PROMPT)

    # the completed column was accepted by SQLite and the SELECT reached the API
    assert '[{"n": ' in out and "error" not in out, out
    assert shell.quit() == 0


def test_ctrl_c_cancels_the_statement_being_typed(tty) -> None:
    shell = tty()
    shell.type("SHOW METHODS")
    shell.expect(MORE)
    shell.child.send("IN confluent.par")

    shell.child.send(CTRL_C)
    shell.expect(PROMPT)
    out = shell.run("SHOW PROVIDERS;")  # would be a parse error if the half statement were kept

    assert "confluent" in out
    assert "error" not in out
    assert shell.quit() == 0


def test_history_survives_a_restart(tty, env: dict[str, str]) -> None:
    statement = f"SHOW METHODS IN {RESOURCE} LIKE 'activ%';"
    first = tty()
    first.run(statement)
    assert first.quit() == 0
    assert (Path(env["XDG_DATA_HOME"]) / "stackql-signups" / "history").is_file()

    second = tty()
    second.child.send(UP)
    second.expect(statement)
    second.child.send("\r")
    out = second.expect(PROMPT)

    assert "organization_id, user" in out
    assert second.quit() == 0


def test_history_recalls_a_multiline_statement_whole(tty) -> None:
    first = tty()
    first.run(f"SHOW METHODS\nIN {RESOURCE} LIKE 'activ%';")
    assert first.quit() == 0

    second = tty()
    second.child.send(UP)
    second.child.send("\r")
    index = second.child.expect_exact(["organization_id, user", MORE, "error"])
    assert index == 0, f"Up recalled only part of the statement:\n{second.child.before}"


def test_output_meta_command_and_quit(tty) -> None:
    shell = tty()

    shell.type("\\output jsonl")
    shell.expect("output format: jsonl")
    shell.expect(PROMPT)
    out = shell.run(f"SHOW METHODS IN {RESOURCE} LIKE 'signup';")
    shell.type("\\quit")
    shell.child.expect(pexpect.EOF)
    shell.child.close()

    [line] = [json.loads(s) for s in out.splitlines() if s.startswith("{")]
    assert line == {"MethodName": "signup", "RequiredParams": "entitlement, organization", "SQLVerb": "EXEC"}
    assert shell.child.exitstatus == 0


def test_help_meta_command(tty) -> None:
    shell = tty()

    shell.type("\\help")
    index = shell.child.expect_exact([PROMPT, pexpect.EOF])

    assert "Traceback" not in str(shell.child.before)
    assert index == 0 and "Meta commands" in str(shell.child.before)
