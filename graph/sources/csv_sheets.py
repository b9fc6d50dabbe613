"""Spreadsheets: one CSV with a type column, or one sheet per kind (epics.csv,
features.csv) plus an optional dependencies.csv with `from` and `to` columns."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from graph.sources.convert import Edge, Record
from graph.sources.mapping import Mapping as SourceMapping
from graph.sources.reading import SourceError

_SPLIT = re.compile(r"[,;\s]+")
_SHEET_TYPES = {"epics": "epic", "features": "feature"}


def _keys(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [key for v in values for key in _SPLIT.split(str(v or "")) if key]


def read_csv(sheets: list[tuple[str, list[tuple[int, dict[str, Any]]]]],
             mapping: SourceMapping) -> tuple[list[Record], list[Edge]]:
    records: list[Record] = []
    edges: list[Edge] = []
    for name, rows in sheets:
        stem = PurePath(name).stem.lower()
        if stem == "dependencies":
            for line, row in rows:
                if not row.get("from") or not row.get("to"):
                    raise SourceError(f"{name}:row {line}: a dependency needs 'from' and 'to'")
                edges.append(Edge(str(row["from"]), str(row["to"]), f"{name}:row {line}"))
            continue
        sheet_type = _SHEET_TYPES.get(stem)
        key_field = mapping.key_field or "id"
        for line, row in rows:
            origin = f"{name}:row {line}"
            key = row.get(key_field)
            if not key or not isinstance(key, str):
                raise SourceError(f"{origin}: no '{key_field}' (the item's key)")
            item_type = row.get(mapping.type_field) if mapping.type_field else None
            if not item_type:
                item_type = sheet_type
            if item_type is None:
                raise SourceError(f"{origin}: no '{mapping.type_field}' column value and the "
                                  "sheet is not named epics.csv or features.csv")
            url = row.get(mapping.url_field) if mapping.url_field else None
            records.append(Record(origin=origin, key=key, type=str(item_type), fields=row,
                                  url=url if isinstance(url, str) and url else None))
            for column in mapping.depends_on_fields:
                where = f"{origin}.{column}"
                edges += [Edge(key, other, where) for other in _keys(row.get(column))]
            for column in mapping.blocks_fields:
                where = f"{origin}.{column}"
                edges += [Edge(other, key, where) for other in _keys(row.get(column))]
    return records, edges
