"""`python -m stackql_signups.emulator [flags]`: run the emulator without the main CLI (flags: cli.py)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
