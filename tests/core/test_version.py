"""The package's `__version__` (also the User-Agent's) is the version pyproject.toml declares."""

from __future__ import annotations

import re

import stackql_signups

from .support import HERE


def test_version_matches_pyproject() -> None:
    text = (HERE.parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    declared = re.search(r'^version = "([^"]+)"', text, re.MULTILINE)
    assert declared is not None
    assert stackql_signups.__version__ == declared.group(1)
