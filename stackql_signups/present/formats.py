"""The output formats; each writes whole result sets to a text stream."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, TextIO

from ..results import ResultSet

FORMATS = ("json", "jsonl", "csv", "table", "text")


def cell(value: Any) -> str:
    """A value as one cell of text: JSON for objects, lists, booleans and null."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, (dict, list, bool)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@dataclass
class Presenter:
    """Writes result sets to `out` in one format; json keeps one array per result set."""

    out: TextIO
    fmt: str = "table"
    hide_headers: bool = False
    delimiter: str = ","

    def write(self, result: ResultSet) -> None:
        if not result.columns and self.fmt != "json":
            return  # nothing to show; only json keeps a place (`[]`) for every statement
        getattr(self, "_" + self.fmt)(result)
        self.out.flush()

    def _json(self, result: ResultSet) -> None:
        self.out.write(json.dumps(result.records(), ensure_ascii=False, indent=None) + "\n")

    def _jsonl(self, result: ResultSet) -> None:
        for record in result.records():
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")

    def _csv(self, result: ResultSet) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.delimiter, lineterminator="\n")
        if not self.hide_headers:
            writer.writerow(result.columns)
        writer.writerows([cell(v) for v in row] for row in result.rows)
        self.out.write(buffer.getvalue())

    def _table(self, result: ResultSet) -> None:
        rows = [[cell(v).splitlines() or [""] for v in row] for row in result.rows]
        widths = [
            max([len(c), *(len(line) for r in rows for line in r[i])]) for i, c in enumerate(result.columns)
        ]
        rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|\n"
        lines = [rule]
        if not self.hide_headers:
            header = "|".join(_center(c, w + 2) for c, w in zip(result.columns, widths, strict=True))
            lines += ["|" + header + "|\n", rule]
        for row in rows:
            # A multi-line cell (a template, a description) spreads over several lines of its row.
            for k in range(max(len(c) for c in row)):
                parts = [(c[k] if k < len(c) else "").ljust(w) for c, w in zip(row, widths, strict=True)]
                lines.append("|" + "|".join(f" {p} " for p in parts) + "|\n")
        if rows:
            lines.append(rule)
        self.out.write("".join(lines))

    def _text(self, result: ResultSet) -> None:
        if len(result.columns) == 1:  # one column (a template): its values as they are
            if not self.hide_headers:
                self.out.write(result.columns[0] + "\n")
            for row in result.rows:
                self.out.write(cell(row[0]) + "\n")
            return
        lines = [[_one_line(cell(v)) for v in row] for row in result.rows]
        if not self.hide_headers:
            lines.insert(0, list(result.columns))
        widths = [max(len(r[i]) for r in lines) for i in range(len(result.columns))] if lines else []
        for line in lines:
            self.out.write("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() + "\n")


def _center(text: str, width: int) -> str:
    left = (width - len(text)) // 2
    return " " * left + text + " " * (width - len(text) - left)


def _one_line(text: str) -> str:
    return text.replace("\r\n", " ").replace("\n", " ")
