"""Every command the README shows runs as written from a fresh clone: its files exist, exec plans cleanly.

The commands are read out of the README's ```sh blocks (nothing is copied into this test), and each exec
runs with --dryrun added, from the folder the block says (`cd examples`), so nothing is sent anywhere.
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from ..e2e import CLI

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
FILE_FLAGS = ("-i", "--infile", "-q", "--iqldata")


def readme_commands() -> list[tuple[str, Path]]:
    """(command, folder it runs in) for each `stackql-signups` command in the README's sh blocks."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        folder = REPO
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                part = part.split(" # ")[0].strip()
                if part.startswith("cd "):
                    folder = folder / part[3:].strip()
                elif part.startswith("stackql-signups "):
                    found.append((part, folder))
    return found


COMMANDS = readme_commands()


def test_the_readme_shows_commands() -> None:
    assert len([c for c, _ in COMMANDS if c.startswith("stackql-signups exec")]) >= 4


@pytest.mark.parametrize(("command", "folder"), COMMANDS, ids=[c[:60] for c, _ in COMMANDS])
def test_a_readme_command_names_files_that_exist(command: str, folder: Path) -> None:
    words = shlex.split(command)
    for flag, value in itertools.pairwise(words):
        if flag in FILE_FLAGS:
            assert (folder / value).is_file(), f"{command}: {value} does not exist in {folder}"


@pytest.mark.parametrize(
    ("command", "folder"),
    [c for c in COMMANDS if c[0].startswith("stackql-signups exec")],
    ids=[c[:60] for c, _ in COMMANDS if c.startswith("stackql-signups exec")],
)
def test_a_readme_exec_command_plans_cleanly(command: str, folder: Path, tmp_path: Path) -> None:
    words = shlex.split(command)
    done = subprocess.run(
        [str(CLI), *words[1:], "--dryrun"],
        capture_output=True,
        text=True,
        cwd=folder,
        timeout=60,
        env={"PATH": str(CLI.parent), "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, f"{command}\n{done.stderr}"
    assert "Traceback" not in done.stderr


def test_the_files_the_docs_tell_users_to_create_are_ignored_by_git() -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    docs = README.read_text(encoding="utf-8") + (REPO / "examples" / "README.md").read_text(encoding="utf-8")
    created = set(re.findall(r"--(?:state|report) ([\w./-]+\.\w+)", docs))
    created |= set(re.findall(r"\b([\w-]+\.local\.yaml)\b", docs))
    assert {"link.local.yaml", "outcomes.jsonl"} <= created
    for name in created:
        for suffix in ("", "-wal", "-shm") if name.endswith((".db", ".sqlite3")) else ("",):
            assert any(fnmatch.fnmatch(name + suffix, p) for p in patterns), f"{name + suffix} is not ignored"
