"""`python -m stackql_signups.emulator [flags]`: run the emulator without the main CLI."""

from __future__ import annotations

import argparse
import sys

from .cli import DESCRIPTION, EPILOG, add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stackql_signups.emulator",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
