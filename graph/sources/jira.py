"""Jira Cloud: the JSON its issue search REST endpoint returns (`issues[].fields`).

One file, or a folder of paged files (read in name order). An issue's parent is
`fields.parent.key` (or the classic "Epic Link" field, by mapping); a link of a
dependency type (default "Blocks") with an `outwardIssue` means this issue
blocks that one, so that one depends on this; an `inwardIssue`, the reverse.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from graph.sources.convert import Edge, Record
from graph.sources.mapping import Mapping as SourceMapping
from graph.sources.reading import SourceError, load_json_pages


def _browse_url(issue: Mapping[str, Any]) -> str | None:
    self_url = issue.get("self")
    key = issue.get("key")
    if not isinstance(self_url, str) or not isinstance(key, str):
        return None
    parts = urlsplit(self_url)
    return f"{parts.scheme}://{parts.netloc}/browse/{key}" if parts.netloc else None


def _issues(name: str, page: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    issues = page.get("issues") if isinstance(page, Mapping) else page
    if not isinstance(issues, list):
        raise SourceError(f"{name}: not a Jira search result (no 'issues' list)")
    for index, issue in enumerate(issues):
        if not isinstance(issue, Mapping) or not isinstance(issue.get("key"), str) \
                or not isinstance(issue.get("fields"), Mapping):
            raise SourceError(f"{name}: issues.{index} has no 'key' and 'fields'")
        yield name, issue


def read_jira(pages: list[tuple[str, Any]],
              mapping: SourceMapping) -> tuple[list[Record], list[Edge]]:
    records: list[Record] = []
    edges: list[Edge] = []
    wanted = set(mapping.dependency_links)
    for name, page in pages:
        for file, issue in _issues(name, page):
            key: str = issue["key"]
            fields: Mapping[str, Any] = issue["fields"]
            origin = f"{file}:{key}"
            issue_type = fields.get("issuetype")
            parent = fields.get("parent")
            records.append(Record(
                origin=origin, key=key,
                type=issue_type.get("name") if isinstance(issue_type, Mapping) else None,
                fields=fields, url=_browse_url(issue),
                parent=parent.get("key") if isinstance(parent, Mapping) else None,
            ))
            for index, link in enumerate(fields.get("issuelinks") or []):
                if not isinstance(link, Mapping):
                    continue
                link_type = link.get("type") or {}
                if link_type.get("name") not in wanted:
                    continue
                where = f"{origin}.issuelinks.{index}"
                outward = link.get("outwardIssue")
                inward = link.get("inwardIssue")
                if isinstance(outward, Mapping) and isinstance(outward.get("key"), str):
                    edges.append(Edge(outward["key"], key, where))  # this blocks that
                if isinstance(inward, Mapping) and isinstance(inward.get("key"), str):
                    edges.append(Edge(key, inward["key"], where))  # that blocks this
    return records, edges


__all__ = ["load_json_pages", "read_jira"]
