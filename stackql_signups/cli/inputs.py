"""Read what the user hands the CLI: the query text, template variables and data files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .._errors import UsageError

MAX_SCRIPT_BYTES = 64 * 1024 * 1024
MAX_DATA_BYTES = 64 * 1024 * 1024


def read_text(path: str, what: str, limit: int) -> str:
    """A UTF-8 file's text (`-` is stdin), refused when larger than `limit` bytes."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise UsageError(f"{what} {path} is a folder, not a file") from None
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror}") from None
    return decode(data, f"{what} {path}", limit)


def decode(data: bytes, what: str, limit: int) -> str:
    if len(data) > limit:
        raise UsageError(
            f"{what} is larger than the limit of {limit // (1024 * 1024)} MiB",
            hint="split it into several scripts",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{what} is not UTF-8 text (byte {exc.start + 1})", hint="save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise UsageError(f"{what} contains a NUL character", hint="is it a binary file?")
    return text


def query_text(query: str | None, infile: str | None) -> str:
    if query is not None and infile is not None:
        raise UsageError("give the query either as an argument or with -i/--infile, not both")
    if query is not None:
        if len(query.encode("utf-8", "surrogatepass")) > MAX_SCRIPT_BYTES:
            raise UsageError("the query is larger than the 64 MiB limit")
        return query
    if infile is not None:
        return read_text(infile, "query file", MAX_SCRIPT_BYTES)
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("no query given", hint="pass it as an argument, with -i FILE, or on standard input")
    return read_text("-", "standard input", MAX_SCRIPT_BYTES)


def variables(iqldata: str | list[str] | None, pairs: list[str]) -> dict[str, Any]:
    """Template variables: each `-q` file in turn, then each `--var NAME=VALUE` (JSON when it parses).

    A later file or `--var` replaces a variable of the same name from an earlier one.
    """
    found: dict[str, Any] = {}
    for item in [iqldata] if isinstance(iqldata, str) else (iqldata or []):
        found.update(data_item(item))
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise UsageError(
                f"--var {pair.split('=')[0]!r} is not NAME=VALUE",
                hint="write --var name=value (a valid identifier before '=')",
            )
        try:
            found[name] = json.loads(value, parse_constant=_not_json)
        except ValueError:
            found[name] = value
        except RecursionError:
            raise UsageError(f"--var {name} is nested too deeply", hint="flatten the value") from None
    return found


def _not_json(name: str) -> Any:
    # json.loads accepts NaN and Infinity, which are not JSON: keep such a value as a string.
    raise ValueError(name)


def data_item(item: str) -> dict[str, Any]:
    """One `-q` argument: `FILE` (JSON, YAML, or CSV/TSV rows under the file's stem) or `NAME=FILE`."""
    name, sep, path = item.partition("=")
    if sep and name.isidentifier() and not Path(item).exists():
        if Path(path).suffix.lower() in TABLE_SUFFIXES:
            return {name: table_file(path)}
        return {name: data_file(path, mapping=False)}
    if Path(item).suffix.lower() in TABLE_SUFFIXES:
        stem = Path(item).stem
        if not stem.isidentifier():
            raise UsageError(
                f"data file {item}: its name '{stem}' is not a variable name",
                hint=f"name the variable: -q customers={item}",
            )
        return {stem: table_file(item)}
    found: dict[str, Any] = data_file(item)
    return found


TABLE_SUFFIXES = (".csv", ".tsv")


def table_file(path: str) -> list[dict[str, str]]:
    """The rows of a CSV (or TSV) file with a header row, as a list of mappings of strings."""
    import csv
    import io

    text = read_text(path, "data file", MAX_DATA_BYTES)
    dialect = "excel-tab" if Path(path).suffix.lower() == ".tsv" else "excel"
    # Not splitlines(): it also splits at U+2028, form feeds and other characters a quoted cell may hold.
    reader = csv.reader(io.StringIO(text, newline=""), dialect=dialect)
    try:
        header = next(reader, None)
        if not header or any(not h.strip() for h in header):
            raise UsageError(f"data file {path} needs a header row naming every column")
        if len(set(header)) != len(header):
            raise UsageError(f"data file {path}: the header names a column twice")
        rows = []
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise UsageError(
                    f"data file {path}, line {number}: {len(row)} cells where the header has {len(header)}"
                )
            rows.append(dict(zip([h.strip() for h in header], row, strict=True)))
    except csv.Error as exc:
        raise UsageError(f"data file {path} is not valid CSV: {exc}") from None
    return rows


def data_file(path: str, mapping: bool = True) -> Any:
    text = read_text(path, "data file", MAX_DATA_BYTES)
    data = _json_data(path, text) if Path(path).suffix.lower() == ".json" else _yaml_data(path, text)
    if not mapping:
        return data
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise UsageError(
            f"data file {path} must hold a mapping of variable names to values",
            hint="for example: organization: {name: Acme}",
        )
    return data


def _json_data(path: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"data file {path} is not valid JSON: {exc.msg} (line {exc.lineno}, col {exc.colno})"
        ) from None
    except RecursionError:
        raise UsageError(f"data file {path} is nested too deeply") from None
    except ValueError as exc:  # an integer longer than Python reads (4300 digits)
        raise UsageError(f"data file {path} is not usable JSON: {number_problem(exc)}") from None


def _yaml_data(path: str, text: str) -> Any:
    import yaml  # costly to import: only when a YAML data file is given

    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, col {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UsageError(f"data file {path} is not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise UsageError(f"data file {path} is nested too deeply") from None
    except ValueError as exc:  # an integer longer than Python reads (4300 digits)
        raise UsageError(f"data file {path} is not usable YAML: {number_problem(exc)}") from None
    check_expansion(data, f"data file {path}")
    return data


MAX_EXPANDED_VALUES = 10_000_000
"""YAML aliases may share values; written out, a data file may stand for at most this many values."""


def check_expansion(data: Any, what: str) -> None:
    """Refuse data that contains itself (`a: &a [*a]`) or whose aliases expand past MAX_EXPANDED_VALUES."""
    from ..datacheck import data_problem

    problem = data_problem(data, MAX_EXPANDED_VALUES)
    if problem is not None:
        raise UsageError(f"{what}: {problem}", hint="write the data out instead of repeating aliases")


def number_problem(exc: ValueError) -> str:
    """Python's message for an over-long integer names a Python setting; say what is wrong instead."""
    text = str(exc)
    return "a number has more than 4300 digits" if "4300" in text else text[:200]
