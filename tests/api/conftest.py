"""Fixtures: a real emulator process and the installed CLI (from tests/e2e.py, shared by several suites)."""

from ..e2e import emulator, env, module_emulator, run_cli

__all__ = ["emulator", "env", "module_emulator", "run_cli"]
