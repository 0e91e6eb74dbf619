"""Fixtures: a real emulator process and the installed CLI (shared with tests/examples/signups_e2e.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from signups_e2e import emulator, env, module_emulator, run_cli

__all__ = ["emulator", "env", "module_emulator", "run_cli"]
