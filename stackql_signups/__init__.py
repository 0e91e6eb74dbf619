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
from .session import AsyncSession, Session, connect, connect_async

__version__ = "0.1.0"

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

