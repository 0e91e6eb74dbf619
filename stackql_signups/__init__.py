"""stackql-signups: StackQL statements for Confluent Cloud's partner signup API, with a local emulator."""

from typing import TYPE_CHECKING, Any

from ._errors import (
    ApiError,
    BindError,
    Error,
    ManifestError,
    NetworkError,
    ParseError,
    RequestError,
    TemplateError,
    UsageError,
    ValidationError,
)

if TYPE_CHECKING:
    from .session import AsyncSession, Session, connect, connect_async

__version__ = "0.1.0"

_SESSION_NAMES = frozenset({"AsyncSession", "Session", "connect", "connect_async"})

__all__ = [
    "ApiError",
    "AsyncSession",
    "BindError",
    "Error",
    "ManifestError",
    "NetworkError",
    "ParseError",
    "RequestError",
    "Session",
    "TemplateError",
    "UsageError",
    "ValidationError",
    "__version__",
    "connect",
    "connect_async",
]


def __getattr__(name: str) -> Any:
    # The Python API loads on first use: the command line starts without it (and without httpx).
    if name in _SESSION_NAMES:
        from . import session

        return getattr(session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
