"""Fixtures of the examples suite: a real emulator process, the installed CLI, a copy of examples/."""

from ..e2e import emulator, env, examples_copy, module_emulator, run_cli

__all__ = ["emulator", "env", "examples_copy", "module_emulator", "run_cli"]
