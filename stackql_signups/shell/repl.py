"""The read-eval-print loop: prompts, multi-line statements, meta commands, history, Ctrl-C and Ctrl-D."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from .._errors import Error
from ..present import FORMATS, Presenter
from ..present.outcomes import OutcomePrinter, summary_worth_printing
from ..session import Session
from .buffer import is_complete
from .completion import Completer

PROMPT = "stackql-signups=> "
CONTINUATION = "               -> "
HELP = """Statements end with ';' and may span lines. Examples:
  SHOW METHODS IN confluent.partner.signups;
  DESCRIBE METHOD confluent.partner.signups.signup;
  EXEC confluent.partner.signups.signup @@json='{...}';
Meta commands:
  \\help, help        this text
  \\output FORMAT     json, jsonl, csv, table or text (now: FORMAT_NOW)
  \\quit, quit, exit  leave (or Ctrl-D); Ctrl-C cancels the statement being typed
Tab completes keywords, names (confluent.partner.si<TAB>) and a method's @parameters."""


def history_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "stackql-signups" / "history"


class Shell:
    """One interactive session: statements are prepared and sent as they are completed."""

    def __init__(self, session: Session, presenter: Presenter, variables: dict[str, object]) -> None:
        self.session = session
        self.variables = variables
        self.presenter = presenter
        self.completer = Completer(session.registry)
        self.failed = False
        self.status = 0  # the worst exit status so far: 2 for bad input, as exec gives it
        self.statements = 0  # statements run so far: a piped script's errors name their place in it

    def run_statement(self, text: str) -> None:
        """Prepare and run one complete statement; an error is shown and the shell goes on."""
        offset = self.statements
        self.statements += max(1, count_statements(text))
        try:
            steps = self.session.prepare(text, self.variables)
            self.completer.default_provider = self.session.default_provider
            for step in steps:
                if step.warning:
                    print(f"warning: {step.warning}", file=sys.stderr)
            summary = self.session.send(steps, OutcomePrinter(self.presenter))
            if summary is not None:
                if summary_worth_printing(steps, summary):
                    print(summary.describe(), file=sys.stderr)
                if summary.exit_status != 0:
                    self.failed = True
                    self.status = max(self.status, summary.exit_status)
        except Error as exc:
            self.failed = True
            self.status = max(self.status, exc.exit_status)
            if offset and exc.location is not None and exc.location.statement is not None:
                exc.location = dataclasses.replace(exc.location, statement=exc.location.statement + offset)
            print(exc.describe(), file=sys.stderr)

    def meta(self, line: str) -> bool:
        """Run a meta command; False when the shell should quit."""
        word, _, rest = line.strip().lstrip("\\").partition(" ")
        word = word.rstrip(";").lower()
        if word in ("q", "quit", "exit"):
            return False
        if word in ("h", "help", "?"):
            print(HELP.replace("FORMAT_NOW", self.presenter.fmt))
        elif word in ("o", "output"):
            fmt = rest.strip().rstrip(";").lower()
            if fmt not in FORMATS:
                print(f"error: output format must be one of {', '.join(FORMATS)}", file=sys.stderr)
            else:
                self.presenter.fmt = fmt
                print(f"output format: {fmt}", file=sys.stderr)  # stdout carries results only
        else:
            print(f"error: unknown meta command '\\{word}' (try \\help)", file=sys.stderr)
        return True

    def close(self) -> None:
        self.session.close()


def is_meta(line: str, buffer: str) -> bool:
    word = line.strip().rstrip(";").lower()
    return not buffer.strip() and (line.lstrip().startswith("\\") or word in ("quit", "exit", "help"))


def interactive(shell: Shell) -> int:
    import readline

    path = history_path()
    load_history(readline, path)
    readline.set_history_length(1000)
    readline.set_completer_delims(" \t\n;,()=")
    readline.set_completer(shell.completer.complete)
    readline.parse_and_bind("tab: complete")
    print("stackql-signups shell. End statements with ';'. \\help for help, Ctrl-D to quit.")
    buffer = ""
    try:
        while True:
            try:
                line = input(CONTINUATION if buffer else PROMPT)
            except KeyboardInterrupt:
                print("^C")
                buffer = ""
                continue
            except EOFError:
                print()
                break
            if is_meta(line, buffer):
                if not shell.meta(line):
                    break
                continue
            buffer += line + "\n"
            shell.completer.buffer = buffer
            if is_complete(buffer):
                statement, buffer = buffer, ""
                _remember_whole(readline, statement)
                shell.completer.buffer = ""
                try:
                    shell.run_statement(statement)
                except KeyboardInterrupt:
                    print("^C (interrupted)", file=sys.stderr)
    finally:
        save_history(readline, path)
        shell.close()
    return 0


HISTORY_LENGTH = 1000


def load_history(readline: Any, path: Path) -> None:
    """Read the history file: one JSON string per line, so a multi-line statement stays one entry."""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        for line in path.read_text(encoding="utf-8").splitlines()[-HISTORY_LENGTH:]:
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, str) and entry:
                    readline.add_history(entry)


def save_history(readline: Any, path: Path) -> None:
    """Write the history file; a secret typed into a statement (a link token) is masked on disk."""
    from ..redact import Redactor

    count = readline.get_current_history_length()
    entries = [readline.get_history_item(i) for i in range(max(1, count - HISTORY_LENGTH + 1), count + 1)]
    masked = Redactor((), ())
    text = "".join(json.dumps(masked.text(e)) + "\n" for e in entries if e)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        # Only its owner may read it (what was typed may still hold something private), even if it existed.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)


def _remember_whole(readline: Any, statement: str) -> None:
    """Replace the history entries of a multi-line statement's lines by one entry for all of it."""
    lines = statement.rstrip("\n").split("\n")
    if len(lines) < 2:
        return
    length = readline.get_current_history_length()
    if length < len(lines):
        return
    for _ in lines:
        readline.remove_history_item(readline.get_current_history_length() - 1)
    readline.add_history("\n".join(lines))


def scripted(shell: Shell, stream: TextIO) -> int:
    """A non-terminal stdin: run each statement as it is completed, like a script."""
    buffer = ""
    for line in stream:
        if is_meta(line, buffer):
            if not shell.meta(line):
                break
            continue
        buffer += line
        if is_complete(buffer):
            shell.run_statement(buffer)
            buffer = ""
    if buffer.strip():
        shell.run_statement(buffer)
    shell.close()
    return shell.status if shell.failed else 0


def count_statements(text: str) -> int:
    """How many statements `text` holds (as the script splitter cuts it: quotes and comments kept whole)."""
    from ..sql.lexical import has_code
    from ..sql.splitter import split

    try:
        return sum(1 for chunk in split(text) if has_code(chunk.text))
    except Error:
        return 1
