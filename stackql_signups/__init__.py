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

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "BindError",
    "Error",
    "ManifestError",
    "NetworkError",
    "ParseError",
    "RequestError",
    "TemplateError",
    "UsageError",
    "ValidationError",
    "__version__",
]
