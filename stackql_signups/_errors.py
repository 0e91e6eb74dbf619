"""The one exception hierarchy of stackql-signups; every error a user can cause is one of these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where in the script an error was found (1-based statement, line and column)."""

    statement: int | None = None
    line: int | None = None
    column: int | None = None
    source_line: str | None = None

    def describe(self) -> str:
        parts = []
        if self.statement is not None:
            parts.append(f"statement {self.statement}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column is not None:
            parts.append(f"col {self.column}")
        return ", ".join(parts)

    def caret(self) -> str:
        """The offending line with a caret under the column, or '' when unknown.

        A long line (a 1 MiB JSON body on one line) is cut to a window around the column.
        """
        if self.source_line is None or self.column is None:
            return ""
        line = self.source_line.expandtabs(1)
        at = self.column - 1
        if len(line) > CARET_WIDTH:
            start = max(0, min(at - CARET_WIDTH // 2, len(line) - CARET_WIDTH))
            end = start + CARET_WIDTH
            head, tail = ("..." if start > 0 else ""), ("..." if end < len(line) else "")
            line = head + line[start:end] + tail
            at = at - start + len(head)
        return f"  {line}\n  {' ' * at}^"


CARET_WIDTH = 160
"""Longest part of a source line that an error shows."""


class Error(Exception):
    """Base of every error stackql-signups reports; `exit_status` is the CLI's exit code for it."""

    exit_status = 2
    kind = "error"

    def __init__(self, message: str, *, hint: str | None = None, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.location = location

    def describe(self) -> str:
        """The full user-facing text: what, where, the offending line and what to do next."""
        where = self.location.describe() if self.location else ""
        text = f"{self.kind}: {self.message}" + (f" ({where})" if where else "")
        caret = self.location.caret() if self.location else ""
        if caret:
            text += "\n" + caret
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.describe()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class UsageError(Error):
    """Bad command-line flags, unreadable files, bad variable data."""

    kind = "usage error"


class TemplateError(Error):
    """The Jinja2 template could not be rendered (syntax, undefined variable, sandbox)."""

    kind = "template error"


class ParseError(Error):
    """The rendered SQL is not a statement this engine understands."""

    kind = "parse error"


class BindError(Error):
    """A statement names a provider, service, resource, method or parameter that does not exist."""

    kind = "bind error"


class ValidationError(Error):
    """A request body or parameter value does not satisfy the method's schema."""

    kind = "validation error"

    def __init__(
        self,
        message: str,
        *,
        violations: tuple[str, ...] = (),
        hint: str | None = None,
        location: Location | None = None,
    ) -> None:
        super().__init__(message, hint=hint, location=location)
        self.violations = violations

    def describe(self) -> str:
        text = super().describe()
        head, sep, rest = text.partition("\nhint:")
        lines = [head] + [f"  - {v}" for v in self.violations]
        return "\n".join(lines) + (sep + rest if sep else "")


class ManifestError(Error):
    """A provider manifest is missing or malformed; names the file and the path inside it."""

    exit_status = 3
    kind = "manifest error"


class RequestError(Error):
    """A request was planned but did not succeed; base of API and network errors."""

    exit_status = 1
    kind = "request failed"


class ApiError(RequestError):
    """The API answered with a non-2xx status."""

    kind = "api error"

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        title: str | None = None,
        detail: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
        location: Location | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, location=location)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.request_id = request_id
        self.body = body  # the response body as received (secrets masked), for StackQL-style reports

    def __repr__(self) -> str:
        return f"ApiError(status={self.status}, code={self.code!r}, request_id={self.request_id!r})"


class NetworkError(RequestError):
    """The request could not be completed: connection refused, timeout, reset."""

    kind = "network error"

    def __init__(
        self,
        message: str,
        *,
        outcome_unknown: bool = False,
        hint: str | None = None,
        location: Location | None = None,
    ) -> None:
        super().__init__(message, hint=hint, location=location)
        self.outcome_unknown = outcome_unknown
