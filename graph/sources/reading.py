"""Reading export files: JSON pages (one file or a folder) and CSV sheets."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any


class SourceError(ValueError):
    """An export that cannot be read at all (not JSON, not the tool's shape); names the file."""


def files_of(path: Path, suffix: str) -> list[Path]:
    """`path` itself, or the files with `suffix` in the folder `path`, in name order."""
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() == suffix and p.is_file())
        if not found:
            raise SourceError(f"{path}: no {suffix} files in this folder")
        return found
    if not path.is_file():
        raise SourceError(f"{path}: no such file or folder")
    return [path]


def load_json_pages(path: Path) -> list[tuple[str, Any]]:
    """Every JSON file of `path` (a file or a folder of paged files), by file name."""
    pages = []
    for file in files_of(path, ".json"):
        try:
            pages.append((file.name, json.loads(file.read_text(encoding="utf-8-sig"))))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(f"{file.name}: not readable JSON: {exc}") from exc
    return pages


def parse_csv(name: str, text: str) -> list[tuple[int, dict[str, Any]]]:
    """Rows of a CSV sheet as (line number, {header: value}); a header that repeats (as Jira
    exports multi-valued fields) gives the list of its non-empty values."""
    try:
        dialect: Any = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise SourceError(f"{name}: the sheet is empty (no header row)") from None
    counts: dict[str, int] = {}
    for column in header:
        counts[column] = counts.get(column, 0) + 1
    rows = []
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            raise SourceError(f"{name}:row {line}: {len(cells)} cells for {len(header)} columns")
        row: dict[str, Any] = {}
        for column, cell in zip(header, cells, strict=False):
            value = cell.strip()
            if counts[column] > 1:
                row.setdefault(column, [])
                if value:
                    row[column].append(value)
            else:
                row[column] = value
        rows.append((line, row))
    return rows


def load_csv_sheets(path: Path) -> list[tuple[str, list[tuple[int, dict[str, Any]]]]]:
    sheets = []
    for file in files_of(path, ".csv"):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"{file.name}: not readable UTF-8 text: {exc}") from exc
        sheets.append((file.name, parse_csv(file.name, text)))
    return sheets
