"""stackql-signups: StackQL statements for Confluent Cloud's partner signup API, with a local emulator."""

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
from .options import Options
from .session import AsyncSession, Session, StatementResult, connect, connect_async

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AsyncSession",
    "BindError",
    "Error",
    "ManifestError",
    "NetworkError",
    "Options",
    "ParseError",
    "RequestError",
    "Session",
    "StatementResult",
    "TemplateError",
    "UsageError",
    "ValidationError",
    "__version__",
    "connect",
    "connect_async",
]
