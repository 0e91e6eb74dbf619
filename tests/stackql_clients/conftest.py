"""Fixtures: the installed `stackql` command, pystackql and stackql-deploy (from PyPI, unchanged), driven
against a real emulator process on 127.0.0.1 (shared helpers: tests/e2e.py)."""

from ..e2e import emulator, env, module_emulator
from .stackql_clients_support import client_env, pystackql, run_stackql

__all__ = ["client_env", "emulator", "env", "module_emulator", "pystackql", "run_stackql"]
