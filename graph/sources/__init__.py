"""Importing from the tools portfolios live in: Jira, Azure DevOps and spreadsheets.

`convert(source, path, mapping)` reads an export and maps it onto the portfolio
document (see graph/sources/mapping.py for the presets and the mapping file);
the result then goes through the normal import: validation, all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graph.sources.azure_devops import read_azure_devops
from graph.sources.convert import Converted, Edge, Record, to_document
from graph.sources.csv_sheets import read_csv
from graph.sources.jira import read_jira
from graph.sources.mapping import Mapping, MappingError, SourceFormat, load_mapping
from graph.sources.reading import (
    SourceError,
    load_csv_sheets,
    load_json_pages,
    parse_csv,
)


def read_records(source: SourceFormat, content: Any,
                 mapping: Mapping) -> tuple[list[Record], list[Edge]]:
    """Records and edges from loaded content: JSON pages [(name, data)] for Jira and
    Azure DevOps, CSV sheets [(name, rows)] for CSV."""
    if source is SourceFormat.JIRA:
        return read_jira(content, mapping)
    if source is SourceFormat.AZURE_DEVOPS:
        return read_azure_devops(content, mapping)
    return read_csv(content, mapping)


def convert(source: SourceFormat, path: Path, mapping: Mapping,
            existing_ids: Iterable[str] = ()) -> Converted:
    """Read the export at `path` (a file or a folder of pages or sheets) into a document."""
    content: Any = (load_csv_sheets(path) if source is SourceFormat.CSV
                    else load_json_pages(path))
    records, edges = read_records(source, content, mapping)
    return to_document(source, mapping, records, edges, existing_ids)


__all__ = [
    "Converted",
    "Mapping",
    "MappingError",
    "SourceError",
    "SourceFormat",
    "convert",
    "load_mapping",
    "parse_csv",
    "read_records",
    "to_document",
]
