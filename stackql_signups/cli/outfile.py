"""Files the CLI writes results or reports to: a full disk must not stop a run that is sending."""

from __future__ import annotations

import sys
from typing import IO

from .._errors import UsageError


class GuardedFile:
    """A text file whose first write error is kept (and later writes dropped) instead of raised.

    Requests already sent cannot be unsent: their outcomes still reach stderr, and the command says at
    the end that the file is incomplete.
    """

    def __init__(self, handle: IO[str], flag: str, path: str) -> None:
        self.handle = handle
        self.flag = flag
        self.path = path
        self.error: str | None = None
        self.sent = False  # set once requests may have gone out: then the error cannot be a usage error

    def write(self, text: str) -> int:
        if self.error is None:
            try:
                return self.handle.write(text)
            except OSError as exc:
                self._failed(exc)
        return len(text)

    def flush(self) -> None:
        if self.error is None:
            try:
                self.handle.flush()
            except OSError as exc:
                self._failed(exc)

    def close(self) -> None:
        try:
            self.handle.close()
        except OSError as exc:
            if self.error is None:  # the file is closed all the same; what its buffer held is lost
                self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        self.error = f"cannot write {self.flag} {self.path}: {exc.strerror or exc}"

    def status(self, status: int) -> int:
        """The exit status once the run is over: a write error after sending is told, and is a failure."""
        if self.error is None:
            return status
        print(f"error: {self.error}; the file is incomplete (stderr has every outcome)", file=sys.stderr)
        return max(status, 1)


def open_guarded(path: str, flag: str) -> GuardedFile:
    try:
        handle = open(path, "w", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115 - closed by GuardedFile.close
    except OSError as exc:
        raise UsageError(f"cannot write {flag} {path}: {exc.strerror}") from None
    return GuardedFile(handle, flag, path)
