"""Read YAML manifest files, through a JSON cache so that a start does not parse YAML again."""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any

from .._errors import ManifestError

CACHE_FORMAT = 2


def cache_dir() -> Path | None:
    """Where parsed manifests are cached; None turns the cache off (STACKQL_SIGNUPS_NO_CACHE=1)."""
    if os.environ.get("STACKQL_SIGNUPS_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no home directory: run without the cache
            return None
    return Path(base) / "stackql-signups"


def load(path: Path) -> Any:
    """The document in `path`; parsed once per change of the file (its size and mtime key the cache)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest file ({exc.strerror})") from None
    cache = cache_dir()
    key = f"{CACHE_FORMAT}:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    # A readable name; the full key inside the file settles any clash (no hashlib: it costs ~20 ms).
    name = f"{path.stem}-{zlib.crc32(key.encode('utf-8', 'surrogatepass')):08x}.json"
    cached = cache / name if cache else None
    if cached is not None:
        try:
            entry = json.loads(cached.read_bytes())
            if isinstance(entry, dict) and entry.get("key") == key:
                return entry["document"]
        except (OSError, ValueError, KeyError):
            pass
    document = _parse_yaml(path)
    if cached is not None:
        _write_quietly(cached, json.dumps({"key": key, "document": document}, separators=(",", ":")))
    return document


def _parse_yaml(path: Path) -> Any:
    import yaml  # costly to import: only when the cache misses

    from ..datacheck import data_problem

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        text = path.read_text(encoding="utf-8")
        document = yaml.load(text, Loader=loader)
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ManifestError(f"{path}: the manifest is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, col {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ManifestError(f"{path}: not valid YAML{where}: {problem}") from None
    except (ValueError, RecursionError) as exc:  # an over-long integer; nesting deeper than Python goes
        raise ManifestError(f"{path}: not usable YAML: {str(exc)[:120]}") from None
    # Checked before anything is cached: the cache holds JSON, and only JSON that is worth keeping.
    problem = data_problem(document, MAX_MANIFEST_VALUES, json_only=True)
    if problem is not None:
        raise ManifestError(f"{path}: the manifest is not plain JSON data: {problem}")
    return document


MAX_MANIFEST_VALUES = 2_000_000
"""A manifest written out (aliases expanded) holds at most this many values; the shipped one ~3,000."""


def _write_quietly(target: Path, text: str) -> None:
    # A cache that cannot be written (read-only home, full disk) only costs speed, never an error.
    import tempfile

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except OSError:
        pass
