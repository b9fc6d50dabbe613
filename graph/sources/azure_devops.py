"""Azure DevOps: work items as its REST API returns them (`value[]` with `fields` named
`System.*` / `Microsoft.VSTS.*`, and `relations` when expanded).

Parent: a `System.LinkTypes.Hierarchy-Reverse` relation. Dependencies: relations
of the mapping's types; by default `System.LinkTypes.Dependency-Reverse`
(Predecessor: this item depends on the linked one). A `...Dependency-Forward`
relation named there (Successor) means the linked item depends on this one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graph.sources.convert import Edge, Record
from graph.sources.mapping import Mapping as SourceMapping
from graph.sources.reading import SourceError

PARENT_REL = "System.LinkTypes.Hierarchy-Reverse"
FORWARD = "-Forward"


def _linked_id(relation: Mapping[str, Any]) -> str | None:
    url = relation.get("url")
    if not isinstance(url, str) or "/workItems/" not in url.replace("workitems", "workItems"):
        return None
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return tail if tail.isdigit() else None


def _html_url(item: Mapping[str, Any]) -> str | None:
    links = item.get("_links")
    if isinstance(links, Mapping):
        html = links.get("html")
        if isinstance(html, Mapping) and isinstance(html.get("href"), str):
            return str(html["href"])
    url = item.get("url")
    if isinstance(url, str) and "/_apis/wit/workItems/" in url:
        return url.replace("/_apis/wit/workItems/", "/_workitems/edit/")
    return None


def _items(name: str, page: Any) -> Iterator[Mapping[str, Any]]:
    items = page.get("value") if isinstance(page, Mapping) else page
    if not isinstance(items, list):
        raise SourceError(f"{name}: not Azure DevOps work items (no 'value' list)")
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), int | str) \
                or not isinstance(item.get("fields"), Mapping):
            raise SourceError(f"{name}: value.{index} has no 'id' and 'fields'")
        yield item


def read_azure_devops(pages: list[tuple[str, Any]],
                      mapping: SourceMapping) -> tuple[list[Record], list[Edge]]:
    records: list[Record] = []
    edges: list[Edge] = []
    wanted = set(mapping.dependency_links)
    for name, page in pages:
        for item in _items(name, page):
            key = str(item["id"])
            fields: Mapping[str, Any] = item["fields"]
            origin = f"{name}:{key}"
            parent = None
            for index, relation in enumerate(item.get("relations") or []):
                if not isinstance(relation, Mapping):
                    continue
                rel = relation.get("rel")
                other = _linked_id(relation)
                if other is None:
                    continue
                if rel == PARENT_REL:
                    parent = other
                elif rel in wanted:
                    where = f"{origin}.relations.{index}"
                    if str(rel).endswith(FORWARD):
                        edges.append(Edge(other, key, where))  # the successor depends on this
                    else:
                        edges.append(Edge(key, other, where))  # this depends on the predecessor
            work_type = fields.get("System.WorkItemType")
            records.append(Record(origin=origin, key=key,
                                  type=work_type if isinstance(work_type, str) else None,
                                  fields=fields, url=_html_url(item), parent=parent))
    return records, edges
